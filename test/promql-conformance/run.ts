/**
 * `npm run promql:conformance [dir] [--failures]`: runs every *.test script in dir (default
 * ../shared/promql-testdata) and prints per-file counts (and with --failures every failure),
 * ending with the line `N passed, N failed, N skipped`.
 */
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {runDir} from './runner.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const dirArg = process.argv.slice(2).find((a) => !a.startsWith('--'))
const dir = dirArg ? path.resolve(dirArg) : path.resolve(repoRoot, '../shared/promql-testdata')
const verbose = process.argv.includes('--failures')
const results = await runDir(dir)
let p = 0
let f = 0
let s = 0
for (const r of results) {
  p += r.passed
  f += r.failed
  s += r.skipped
  console.log(`${r.file}: passed ${r.passed}, failed ${r.failed}, skipped ${r.skipped}${r.skipped ? ` (native histograms, lines ${r.skippedLines.join(' ')})` : ''}`)
  if (verbose) for (const x of r.failures) console.log('   ' + x)
}
console.log(`${p} passed, ${f} failed, ${s} skipped`)
