/**
 * `npm run promql:conformance [dir] [--failures]`: runs every *.test script in dir (default
 * ../shared/promql-testdata, then our own test/promql-conformance/testdata) and prints per-file
 * counts (and with --failures every failure), ending with the line `N passed, N failed` for
 * Prometheus's scripts (the count promql-baseline.json holds).
 */
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {OWN_TESTDATA, runDir, type FileResult} from './runner.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const dirArg = process.argv.slice(2).find((a) => !a.startsWith('--'))
const verbose = process.argv.includes('--failures')

function report(results: FileResult[]): string {
  let p = 0
  let f = 0
  for (const r of results) {
    p += r.passed
    f += r.failed
    console.log(`${r.file}: passed ${r.passed}, failed ${r.failed}`)
    if (verbose) for (const x of r.failures) console.log('   ' + x)
  }
  return `${p} passed, ${f} failed`
}

if (dirArg) console.log(report(await runDir(path.resolve(dirArg))))
else {
  const ours = report(await runDir(path.resolve(repoRoot, OWN_TESTDATA)))
  console.log(`(our own scripts: ${ours})`)
  console.log(report(await runDir(path.resolve(repoRoot, '../shared/promql-testdata'))))
}
