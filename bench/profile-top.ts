/**
 * `node dist/bench/profile-top.js <file.cpuprofile>... [--top N]`: where a `npm run bench --
 * --cpu-prof` profile spends its time, without opening DevTools. Prints self time per
 * function and per source file (busy time only: idle is left out of the percentages).
 */
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

interface ProfileNode {
  id: number
  callFrame: {functionName: string; url: string; lineNumber: number}
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  totalMs: number
  idleMs: number
  byFunction: [string, number][]
  byFile: [string, number][]
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

function shortUrl(url: string): string {
  if (!url) return '(native)'
  const p = url.startsWith('file://') ? fileURLToPath(url) : url
  return p.startsWith(ROOT) ? path.relative(ROOT, p) : p.replace(/^.*node_modules\//, 'node_modules/')
}

export function summarizeProfile(p: CpuProfile): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  // timeDeltas[i] is the time before sample i; attribute it to that sample's node.
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000)
  const fn = new Map<string, number>()
  const file = new Map<string, number>()
  let total = 0
  let idle = 0
  for (const [id, ms] of self) {
    const cf = byId.get(id)!.callFrame
    total += ms
    if (cf.functionName === '(idle)') {
      idle += ms
      continue
    }
    const where = shortUrl(cf.url)
    const key = `${cf.functionName || '(anonymous)'} ${cf.url ? `${where}:${cf.lineNumber + 1}` : ''}`.trim()
    fn.set(key, (fn.get(key) ?? 0) + ms)
    file.set(where, (file.get(where) ?? 0) + ms)
  }
  const sorted = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1])
  return {totalMs: total, idleMs: idle, byFunction: sorted(fn), byFile: sorted(file)}
}

async function main(): Promise<void> {
  const {values, positionals} = parseArgs({options: {top: {type: 'string', default: '25'}}, allowPositionals: true})
  const top = Number(values.top)
  if (positionals.length === 0) throw new Error('usage: profile-top <file.cpuprofile>... [--top N]')
  for (const f of positionals) {
    const s = summarizeProfile(JSON.parse(await readFile(f, 'utf8')) as CpuProfile)
    const busy = s.totalMs - s.idleMs
    const pct = (ms: number): string => `${((ms / busy) * 100).toFixed(1).padStart(5)}%`
    console.log(`\n== ${f}: ${(busy / 1000).toFixed(2)} s busy of ${(s.totalMs / 1000).toFixed(2)} s`)
    console.log('-- self time by function')
    for (const [k, ms] of s.byFunction.slice(0, top)) console.log(`${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${k}`)
    console.log('-- self time by file')
    for (const [k, ms] of s.byFile.slice(0, Math.min(top, 15))) console.log(`${pct(ms)} ${ms.toFixed(0).padStart(7)} ms  ${k}`)
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e))
    process.exit(1)
  })
}
