/**
 * The benchmark's results as data (written to .cache/bench/last-results.json so runs can be
 * diffed), the targets of issue 8 decided from them, and their rendering as markdown.
 */
import {existsSync} from 'node:fs'
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {renderCompactMarkdown, type CompactBenchResults} from './compact-bench.js'
import {renderStoreMarkdown, type StoreBenchResults} from './store-bench.js'
import {geomean, median} from './stats.js'

/** The targets, in the order they are measured and shown. */
export const TARGET_KEYS = ['prom', 'q1', 'q2', 't1', 't2'] as const
export type TargetKey = (typeof TARGET_KEYS)[number]
export const TARGET_LABEL: Record<TargetKey, string> = {prom: 'P', q1: 'Q1', q2: 'Q2', t1: 'T1', t2: 'T2'}
/** The queriers and the Prometheus process each one's RSS is compared with. */
const QUERIER_PROCESS: Record<Exclude<TargetKey, 'prom'>, string> = {q1: 'querier-Q1', q2: 'querier-Q2', t1: 'thanos-query-T1', t2: 'thanos-query-T2'}

export interface QueryResult {
  id: string
  expr: string
  shape: string
  /** Result series in Prometheus's answer. */
  series: number
  /** Wall times (ms) of the measured repetitions, per target. */
  times: Record<TargetKey, number[]>
  /** Medians of `times`. */
  ms: Record<TargetKey, number>
  /** Mean CPU ms per request of each process (by name) while each target answered. */
  cpuMs: Record<TargetKey, Record<string, number>>
  /** First difference from Prometheus's answer, per target; absent = agrees. */
  diffs: Partial<Record<TargetKey, string>>
}

export interface StreamSummary {
  samplesPerSec: number
  samples: number
  series: number
  runsMs: number[]
  /** Mean CPU ms per run: the bench's client, the sidecar streamed through, Prometheus replica 0. */
  cpuMs: {client: number; sidecar: number; prometheus: number}
}

export interface ProcessMemory {
  name: string
  pid: number
  /** VmHWM after the query phase (bytes). */
  peakAfterQueries: number
  /** VmHWM at the end, after the throughput phase (bytes). */
  peakEnd: number
}

export interface Target {
  name: string
  goal: string
  value: string
  met: boolean
}

export interface Throughput {
  remoteRead: StreamSummary
  sidecar: StreamSummary
  thanosSidecar?: StreamSummary
  /** thanosts sidecar ÷ remote read, thanos sidecar ÷ remote read (samples/s). */
  ratio: number
  thanosRatio?: number
  samplesMatch: boolean
}

export interface BenchResults {
  version: 2
  date: string
  smoke: boolean
  machine: {cpu: string; cores: number; ramGiB: number; node: string; prometheus: string; thanos: string; commit: string}
  dataset: {hash: string; series: number; samples: number; startMs: number; endMs: number; hours: number; scrapeIntervalMs: number}
  warmups: number
  reps: number
  queries: QueryResult[]
  geomean: Geomeans
  throughput?: Throughput
  memory: ProcessMemory[]
  /** Querier peak RSS after the queries ÷ Prometheus replica 0's, and ours ÷ Thanos's. */
  rssRatio: {q1: number; q2: number; t1: number; t2: number; q1VsT1: number; q2VsT2: number}
  targets: Target[]
  processes: {name: string; pid: number}[]
  /** The store gateway section (thanosts store vs thanos store), when it ran. */
  store?: StoreBenchResults
  /** The compactor section (thanosts compact vs thanos compact, 30-day queries), when it ran. */
  compact?: CompactBenchResults
  cpuProfDir?: string
}

export interface Geomeans {
  promMs: number
  /** Target ÷ Prometheus. */
  vsProm: Record<Exclude<TargetKey, 'prom'>, number>
  /** thanosts ÷ Thanos on the same topology. */
  q1VsT1: number
  q2VsT2: number
}

export const vsProm = (q: QueryResult, k: TargetKey): number => q.ms[k] / q.ms.prom
export const q1VsT1 = (q: QueryResult): number => q.ms.q1 / q.ms.t1
export const q2VsT2 = (q: QueryResult): number => q.ms.q2 / q.ms.t2

export function geomeans(queries: readonly QueryResult[]): Geomeans {
  const g = (f: (q: QueryResult) => number): number => geomean(queries.map(f))
  return {
    promMs: g((q) => q.ms.prom),
    vsProm: {q1: g((q) => vsProm(q, 'q1')), q2: g((q) => vsProm(q, 'q2')), t1: g((q) => vsProm(q, 't1')), t2: g((q) => vsProm(q, 't2'))},
    q1VsT1: g(q1VsT1),
    q2VsT2: g(q2VsT2),
  }
}

/** Querier peak RSS ratios from the processes' peaks after the queries. */
export function rssRatios(peakAfterQueries: ReadonlyMap<string, number>): BenchResults['rssRatio'] {
  const prom = peakAfterQueries.get('prometheus-0') ?? NaN
  const rss = (k: keyof typeof QUERIER_PROCESS): number => peakAfterQueries.get(QUERIER_PROCESS[k]) ?? NaN
  return {q1: rss('q1') / prom, q2: rss('q2') / prom, t1: rss('t1') / prom, t2: rss('t2') / prom, q1VsT1: rss('q1') / rss('t1'), q2VsT2: rss('q2') / rss('t2')}
}

/** The targets of the speed issue (#19), decided from one run. */
export function decideTargets(r: Pick<BenchResults, 'queries' | 'geomean' | 'throughput' | 'rssRatio'>): Target[] {
  const worst = (f: (q: QueryResult) => number): number => Math.max(...r.queries.map(f).filter(Number.isFinite))
  const x = (v: number): string => `${v.toFixed(2)}×`
  const t: Target[] = [
    {name: 'Q1 vs T1, thanosts vs Thanos over one sidecar (geomean)', goal: '≤ 0.80×', value: x(r.geomean.q1VsT1), met: r.geomean.q1VsT1 <= 0.8},
    {name: 'Q2 vs T2, thanosts vs Thanos over two replicas with dedup (geomean)', goal: '≤ 0.80×', value: x(r.geomean.q2VsT2), met: r.geomean.q2VsT2 <= 0.8},
    {name: 'no query slower than Thanos (worst Q1/T1, Q2/T2)', goal: '≤ 1.00×', value: x(Math.max(worst(q1VsT1), worst(q2VsT2))), met: Math.max(worst(q1VsT1), worst(q2VsT2)) <= 1},
    {name: 'Q1 vs Prometheus, one sidecar (geomean)', goal: '≤ 1.20×', value: x(r.geomean.vsProm.q1), met: r.geomean.vsProm.q1 <= 1.2},
    {name: 'Q2 vs Prometheus, two replicas with dedup (geomean)', goal: '≤ 1.60×', value: x(r.geomean.vsProm.q2), met: r.geomean.vsProm.q2 <= 1.6},
    {name: 'no query above 2× Prometheus (worst of Q1, Q2)', goal: '≤ 2.00×', value: x(Math.max(worst((q) => vsProm(q, 'q1')), worst((q) => vsProm(q, 'q2')))), met: Math.max(worst((q) => vsProm(q, 'q1')), worst((q) => vsProm(q, 'q2'))) <= 2},
  ]
  if (r.throughput) t.push({name: 'thanosts sidecar streaming throughput vs raw remote read', goal: '≥ 90%', value: `${(r.throughput.ratio * 100).toFixed(0)}%`, met: r.throughput.ratio >= 0.9})
  const rss = Math.max(r.rssRatio.q1, r.rssRatio.q2)
  t.push({name: 'querier peak RSS vs Prometheus (worst of Q1, Q2)', goal: '≤ 1.50×', value: x(rss), met: rss <= 1.5})
  const vsT = Math.max(r.rssRatio.q1VsT1, r.rssRatio.q2VsT2)
  t.push({name: 'querier peak RSS vs Thanos querier (worst of Q1/T1, Q2/T2)', goal: '≤ 1.00×', value: x(vsT), met: vsT <= 1})
  return t
}

const mib = (b: number): string => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(0)} MiB` : 'n/a')
const fmtMs = (ms: number): string => (!Number.isFinite(ms) ? 'n/a' : ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0))
const fmtRatio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a')
const fmtRate = (x: number): string => `${(x / 1e6).toFixed(2)} M/s`
const cell = (s: string): string => s.replace(/\|/g, '\\|')
const QUERIERS = ['q1', 'q2', 't1', 't2'] as const
const agreeAll = (q: QueryResult): string => QUERIERS.map((k) => (q.diffs[k] === undefined ? '✓' : '✗')).join('')

/** The generated section (between the markers in docs/benchmarks.md). */
export function renderMarkdown(r: BenchResults): string {
  const L: string[] = []
  const d = r.dataset
  L.push(`Run ${r.date}${r.smoke ? ' (smoke: tiny data, not meaningful numbers)' : ''} on thanosts \`${r.machine.commit}\`.`, '')
  L.push(`- Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.ramGiB} GiB RAM; Node ${r.machine.node}; ${r.machine.prometheus}; ${r.machine.thanos}`)
  L.push(`- Data: ${d.series.toLocaleString('en-US')} series × ${d.hours} h at ${d.scrapeIntervalMs / 1000} s = ${d.samples.toLocaleString('en-US')} samples (set \`${d.hash}\`, ${new Date(d.startMs).toISOString()} to ${new Date(d.endMs).toISOString()})`)
  L.push(`- Each (query, target) warmed up ${r.warmups}×, then ${r.reps} repetitions with the targets interleaved; medians of wall time until the whole JSON body is read and parsed.`)
  L.push(
    '- P = Prometheus 3 direct; Q1 = thanosts query → thanosts sidecar → replica 0; Q2 = thanosts query → two thanosts sidecars → both replicas, deduplicated; T1 and T2 = the same with real `thanos query` and `thanos sidecar`. Every querier runs with `--query.replica-label replica`. "/P" = median ÷ Prometheus\'s; Q1/T1 and Q2/T2 = thanosts ÷ Thanos.',
    '',
  )
  L.push('| query | shape | series | P ms | Q1/P | Q2/P | T1/P | T2/P | **Q1/T1** | **Q2/T2** | agree Q1 Q2 T1 T2 |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|')
  for (const q of r.queries) {
    L.push(`| \`${cell(q.expr)}\` | ${q.shape} | ${q.series} | ${fmtMs(q.ms.prom)} | ${fmtRatio(vsProm(q, 'q1'))} | ${fmtRatio(vsProm(q, 'q2'))} | ${fmtRatio(vsProm(q, 't1'))} | ${fmtRatio(vsProm(q, 't2'))} | ${fmtRatio(q1VsT1(q))} | ${fmtRatio(q2VsT2(q))} | ${agreeAll(q)} |`)
  }
  const g = r.geomean
  L.push(`| **geomean** | | | ${fmtMs(g.promMs)} | **${fmtRatio(g.vsProm.q1)}** | **${fmtRatio(g.vsProm.q2)}** | ${fmtRatio(g.vsProm.t1)} | ${fmtRatio(g.vsProm.t2)} | **${fmtRatio(g.q1VsT1)}** | **${fmtRatio(g.q2VsT2)}** | |`, '')
  const n = noise(r)
  L.push(`Noise: the repetitions of a query spread (interquartile range ÷ median, median over the queries) by ${TARGET_KEYS.map((k) => `${pct(n[k])} for ${TARGET_LABEL[k]}`).join(', ')}; a change between runs smaller than that is within the noise.`, '')
  const diffs = r.queries.flatMap((q) => QUERIERS.flatMap((k) => (q.diffs[k] ? [`- \`${q.id}\` ${TARGET_LABEL[k]}: ${q.diffs[k]}`] : [])))
  if (diffs.length > 0) L.push('Disagreements with Prometheus (first difference each):', '', ...diffs, '')
  L.push(...renderCpu(r), '')
  L.push('### Targets', '', '| target | goal | measured | |', '|---|---|---:|:---:|')
  for (const t of r.targets) L.push(`| ${t.name} | ${t.goal} | ${t.value} | ${t.met ? 'met' : '**missed**'} |`)
  L.push('')
  if (r.throughput) {
    const t = r.throughput
    L.push('### Streaming throughput', '', `All series over the whole data set, median of ${t.sidecar.runsMs.length} runs; samples counted from the XOR chunk headers.`, '')
    const cpuCols = (s: StreamSummary, viaSidecar: boolean): string => `${(s.cpuMs.client / 1000).toFixed(2)} | ${viaSidecar ? (s.cpuMs.sidecar / 1000).toFixed(2) : '–'} | ${(s.cpuMs.prometheus / 1000).toFixed(2)}`
    const row = (name: string, s: StreamSummary, viaSidecar: boolean, ratio?: number): string =>
      `| ${name} | ${s.samples.toLocaleString('en-US')} | ${(median(s.runsMs) / 1000).toFixed(2)} | ${fmtRate(s.samplesPerSec)} | ${ratio === undefined ? '' : `**${(ratio * 100).toFixed(0)}%**`} | ${cpuCols(s, viaSidecar)} |`
    L.push('| path | samples | median s | samples/s | of remote read | CPU s: client | sidecar | Prometheus |', '|---|---:|---:|---:|---:|---:|---:|---:|')
    L.push(row('Prometheus remote read (STREAMED_XOR_CHUNKS)', t.remoteRead, false))
    L.push(row('thanosts sidecar StoreAPI Series', t.sidecar, true, t.ratio))
    if (t.thanosSidecar) L.push(row('thanos sidecar StoreAPI Series', t.thanosSidecar, true, t.thanosRatio))
    L.push('', `${t.samplesMatch ? 'Every path streamed the same samples.' : '**The sample counts differ between the paths.**'} CPU is the mean per run; the client is the bench process (gRPC or frame decoding, no chunk decoding).`, '')
  }
  L.push('### Peak RSS (VmHWM)', '', "Prometheus's RSS includes its TSDB head and mmapped chunks, as measured.", '')
  L.push('| process | after queries | at the end (after throughput) |', '|---|---:|---:|')
  for (const m of r.memory) L.push(`| ${m.name} | ${mib(m.peakAfterQueries)} | ${mib(m.peakEnd)} |`)
  const x = r.rssRatio
  L.push('', `Querier ÷ Prometheus replica 0 after the queries: Q1 ${fmtRatio(x.q1)}, Q2 ${fmtRatio(x.q2)}, T1 ${fmtRatio(x.t1)}, T2 ${fmtRatio(x.t2)}; thanosts ÷ Thanos: Q1/T1 ${fmtRatio(x.q1VsT1)}, Q2/T2 ${fmtRatio(x.q2VsT2)}.`)
  return L.join('\n')
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : 'n/a')

/**
 * Median over the queries of each target's relative interquartile range of its repetitions,
 * (p75 − p25) / median: robust to the odd GC pause or scheduler hiccup.
 */
export function noise(r: BenchResults): Record<TargetKey, number> {
  const spread = (xs: number[]): number => {
    const ok = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
    if (ok.length < 2) return NaN
    const q = (p: number): number => {
      const i = p * (ok.length - 1)
      return ok[Math.floor(i)]! + (ok[Math.ceil(i)]! - ok[Math.floor(i)]!) * (i - Math.floor(i))
    }
    return (q(0.75) - q(0.25)) / median(ok)
  }
  return Object.fromEntries(TARGET_KEYS.map((k) => [k, median(r.queries.map((q) => spread(q.times[k])))])) as Record<TargetKey, number>
}

/** Where the time goes: mean CPU ms per request of each process, per target. */
function renderCpu(r: BenchResults): string[] {
  const sum = (m: Record<string, number>, prefix: string): number => Object.entries(m).reduce((a, [k, v]) => (k.startsWith(prefix) ? a + v : a), 0)
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(x < 10 ? 1 : 0) : 'n/a')
  const L = [
    '### CPU per request',
    '',
    'Mean CPU ms per request (user + system, all threads, from /proc at 10 ms resolution, averaged over the repetitions) of each process while one target answered. Two-replica columns add up both sidecars and both Prometheus servers.',
    '',
    '| query | P | Q1: querier | sidecar | Prom | T1: querier | sidecar | Prom | Q2: querier | sidecars | Prom ×2 | T2: querier | sidecars | Prom ×2 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const q of r.queries) {
    const c = q.cpuMs
    const cols = [
      sum(c.prom, 'prometheus-0'),
      sum(c.q1, 'querier-Q1'),
      sum(c.q1, 'sidecar-A'),
      sum(c.q1, 'prometheus-0'),
      sum(c.t1, 'thanos-query-T1'),
      sum(c.t1, 'thanos-sidecar-A'),
      sum(c.t1, 'prometheus-0'),
      sum(c.q2, 'querier-Q2'),
      sum(c.q2, 'sidecar-'),
      sum(c.q2, 'prometheus-'),
      sum(c.t2, 'thanos-query-T2'),
      sum(c.t2, 'thanos-sidecar-'),
      sum(c.t2, 'prometheus-'),
    ]
    L.push(`| ${q.id} | ${cols.map(f).join(' | ')} |`)
  }
  return L
}

/** A plain-text summary for the terminal. */
export function renderConsole(r: BenchResults): string {
  const L: string[] = []
  const w = Math.max(10, ...r.queries.map((q) => q.id.length))
  const cols = (xs: string[]): string => xs.map((x) => x.padStart(7)).join(' ')
  L.push(`${'query'.padEnd(w)}  ${'shape'.padEnd(11)} ${'series'.padStart(6)} ${'P ms'.padStart(8)} ${cols(['Q1/P', 'Q2/P', 'T1/P', 'T2/P', 'Q1/T1', 'Q2/T2'])}  agree`)
  for (const q of r.queries) {
    L.push(`${q.id.padEnd(w)}  ${q.shape.padEnd(11)} ${String(q.series).padStart(6)} ${fmtMs(q.ms.prom).padStart(8)} ${cols([vsProm(q, 'q1'), vsProm(q, 'q2'), vsProm(q, 't1'), vsProm(q, 't2'), q1VsT1(q), q2VsT2(q)].map(fmtRatio))}  ${agreeAll(q)}`)
  }
  const g = r.geomean
  L.push(`${'geomean'.padEnd(w)}  ${''.padEnd(11)} ${''.padStart(6)} ${fmtMs(g.promMs).padStart(8)} ${cols([g.vsProm.q1, g.vsProm.q2, g.vsProm.t1, g.vsProm.t2, g.q1VsT1, g.q2VsT2].map(fmtRatio))}`)
  const n = noise(r)
  L.push(`noise (median IQR/median of the repetitions): ${TARGET_KEYS.map((k) => `${TARGET_LABEL[k]} ${pct(n[k])}`).join(', ')}`)
  for (const q of r.queries) for (const k of QUERIERS) if (q.diffs[k]) L.push(`  ✗ ${q.id} ${TARGET_LABEL[k]}: ${q.diffs[k]}`)
  if (r.throughput) {
    const t = r.throughput
    L.push(
      `throughput: remote read ${fmtRate(t.remoteRead.samplesPerSec)}, thanosts sidecar ${fmtRate(t.sidecar.samplesPerSec)} = ${(t.ratio * 100).toFixed(0)}%${t.thanosSidecar ? `, thanos sidecar ${fmtRate(t.thanosSidecar.samplesPerSec)} = ${((t.thanosRatio ?? NaN) * 100).toFixed(0)}%` : ''}${t.samplesMatch ? '' : ' (SAMPLE COUNTS DIFFER)'}`,
    )
  }
  L.push(`peak RSS: ${r.memory.map((m) => `${m.name} ${mib(m.peakAfterQueries)}`).join(', ')}`)
  for (const t of r.targets) L.push(`target ${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.value} (goal ${t.goal})`)
  return L.join('\n')
}

const START = '<!-- bench:results:start -->'
const END = '<!-- bench:results:end -->'

const HEADER = `# Benchmarks

\`npm run bench\` measures how fast thanosts answers dashboard queries compared with asking Prometheus
directly and with real Thanos on the same topology, on one machine, in one run:

- a deterministic data set (node-exporter- and HTTP-service-like series: counters with resets, gauges,
  classic histograms; 1,864 series, 25 h at 15 s: the queries look at the last 24 h and the hour
  before fills their first windows) is generated once, turned into TSDB blocks with
  \`promtool tsdb create-blocks-from openmetrics\` and cached under \`.cache/bench/\`;
- two Prometheus 3 replicas (the peers' build, external labels \`{cluster="bench", replica="0"|"1"}\`)
  run on copies of it, with a \`thanosts sidecar\` and a real \`thanos sidecar\` each; a thanosts querier
  Q1 over sidecar A and Q2 over both, and real thanos queriers T1 and T2 the same way over the thanos
  sidecars, all with \`--query.replica-label replica\`, each a separate process (Thanos and Prometheus
  are built by \`scripts/peers.sh\`);
- every query is sent as Grafana sends it (form-encoded POST to \`/api/v1/query\` or \`/query_range\`,
  accepting gzip, which Prometheus and thanosts then use for answers of some size),
  warmed up, then repeated with the targets interleaved so that noise hits all alike; answers are
  compared with Prometheus's (label sets without external labels, equal timestamps, values within a
  relative 1e-9);
- throughput streams every series of the data set through each sidecar's StoreAPI and, for
  comparison, straight from Prometheus's remote read;
- peak RSS (VmHWM) of every process is read from \`/proc\`.
- the store section serves the same blocks from a FILESYSTEM bucket (uploaded by \`thanos tools
  bucket upload-blocks\` with \`{cluster="bench", replica="0"}\`) through \`thanosts store\` behind
  \`thanosts query\` and through the real \`thanos store\` behind \`thanos query\`: a handful of the
  dashboard queries cold (first answer after start) and warm, CPU per request, a full StoreAPI
  Series straight from each store, each store's peak RSS (its own markers below the querier table).
- the compactor section runs \`thanosts compact\` and the real \`thanos compact\` once each over copies
  of the same 2h blocks (with and without downsampling: wall, CPU, peak RSS, samples/s, same blocks
  made?), then 30-day range queries at \`max_source_resolution\` 0s and 1h through \`thanosts store\` +
  \`thanosts query\` and \`thanos store\` + \`thanos query\` over one bucket downsampled by Thanos.

The reference is Prometheus 3 (until 2026-12 runs used Debian's 2.42, whose numbers are in the
History below). Scrape timestamps sit off whole seconds and instant queries run off the minute (as
Grafana's "now"), so answers do not hinge on window-boundary rules. Any ✗ below is a real difference.

Run it:

\`\`\`sh
npm run bench                          # full run; rewrites the section below and .cache/bench/last-results.json
npm run bench -- --only 'http-.*'      # a subset of queries (regex on the query id)
npm run bench -- --reps 15             # more repetitions (default 7 after 2 warm-ups)
npm run bench -- --cpu-prof            # CPU profiles of the sidecars and queriers (directory printed)
npm run bench -- --keep                # leave everything running afterwards, print the URLs; Ctrl-C stops
npm run bench -- --history 'after X'   # also append a line to the History section
npm run bench -- --store-only          # only the store section (thanosts store vs thanos store); --no-store skips it
npm run bench -- --compact-only        # only the compactor section (thanosts compact vs thanos compact); --no-compact skips it
npm run bench -- --smoke               # tiny data, 2 repetitions; does not touch this file unless --out is given
node dist/bench/run.js --render .cache/bench/last-results.json --history 'label'   # re-render from saved results
\`\`\`

Numbers depend on the machine; compare runs made on the same machine.

## Latest results

`

const STORE_START = '<!-- bench:store:start -->'
const STORE_END = '<!-- bench:store:end -->'
const COMPACT_START = '<!-- bench:compact:start -->'
const COMPACT_END = '<!-- bench:compact:end -->'

/** Replaces the text between `start` and `end` (markers included), or appends it after `after`'s end marker. */
function replaceSection(text: string, start: string, end: string, body: string, after?: string): string {
  const section = `${start}\n${body}\n${end}`
  const a = text.indexOf(start)
  const b = text.indexOf(end)
  if (a >= 0 && b > a) return text.slice(0, a) + section + text.slice(b + end.length)
  const at = after !== undefined ? text.indexOf(after) : -1
  if (at >= 0) return `${text.slice(0, at + after!.length)}\n\n${section}${text.slice(at + after!.length)}`
  return `${text.trimEnd()}\n\n${section}\n`
}

/**
 * Rewrites the generated sections of `file` (the querier comparison, and the store section when
 * the run has one), keeping everything outside the markers.
 */
export async function writeMarkdown(file: string, r: BenchResults, historyLabel?: string, o: {querierSection?: boolean} = {}): Promise<void> {
  let text = existsSync(file) ? await readFile(file, 'utf8') : `${HEADER}${START}\n${END}\n\n## History\n\n`
  if (o.querierSection !== false) text = replaceSection(text, START, END, renderMarkdown(r))
  if (r.store) text = replaceSection(text, STORE_START, STORE_END, renderStoreMarkdown(r.store, `### Store gateway: thanosts store vs thanos store\n\nRun ${r.date}${r.smoke ? ' (smoke: tiny data, not meaningful numbers)' : ''} on thanosts \`${r.machine.commit}\`, same data set, ${r.warmups} warm-ups and ${r.reps} repetitions per query.`), END)
  if (r.compact) {
    const header = `### Compactor: thanosts compact vs thanos compact\n\nRun ${r.date}${r.smoke ? ' (smoke: tiny data, not meaningful numbers)' : ''} on thanosts \`${r.machine.commit}\`; ${r.machine.cpu}, ${r.machine.cores} cores; ${r.machine.thanos}.`
    text = replaceSection(text, COMPACT_START, COMPACT_END, renderCompactMarkdown(r.compact, header), text.includes(STORE_END) ? STORE_END : END)
  }
  if (historyLabel !== undefined) text = addHistoryLine(text, historyLine(r, historyLabel))
  await mkdir(path.dirname(file), {recursive: true})
  await writeFile(file, text)
}

/**
 * Appends `line` to the list under `## History`, which may be followed by other text: the line
 * goes right after the list's last entry (or the heading), not at the end of the file.
 */
export function addHistoryLine(text: string, line: string): string {
  const heading = /^## History[ \t]*$/m.exec(text)
  if (!heading) return `${text.trimEnd()}\n\n## History\n\n${line}\n`
  const bodyStart = heading.index + heading[0].length
  const rest = text.slice(bodyStart)
  // The list is the run of "- " lines after the heading (and the blank line under it).
  const list = /^(\n*)((?:- [^\n]*\n?)*)/.exec(rest)!
  const at = bodyStart + list[0].length
  const before = text.slice(0, at).trimEnd()
  const after = text.slice(at).replace(/^\n*/, '')
  const sep = list[2] === '' ? '\n\n' : '\n'
  return `${before}${sep}${line}\n${after === '' ? '' : '\n' + after}`
}

export function historyLine(r: BenchResults, label: string): string {
  const g = r.geomean
  const parts = [`geomean Q1 ${fmtRatio(g.vsProm.q1)}, Q2 ${fmtRatio(g.vsProm.q2)} of Prometheus`, `Q1/T1 ${fmtRatio(g.q1VsT1)}, Q2/T2 ${fmtRatio(g.q2VsT2)} of Thanos`]
  if (r.throughput) parts.push(`sidecar throughput ${(r.throughput.ratio * 100).toFixed(0)}% of remote read`)
  parts.push(`querier RSS ${fmtRatio(Math.max(r.rssRatio.q1, r.rssRatio.q2))} Prometheus's`)
  const bad = r.queries.filter((q) => QUERIERS.some((k) => q.diffs[k])).length
  parts.push(bad === 0 ? 'all answers agree' : `${bad} queries disagree`)
  return `- ${r.date.slice(0, 10)} ${label} (\`${r.machine.commit}\`): ${parts.join(', ')}`
}
