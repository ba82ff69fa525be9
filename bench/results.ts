/**
 * The benchmark's results as data (written to .cache/bench/last-results.json so runs can be
 * diffed), the targets of issue 8 decided from them, and their rendering as markdown.
 */
import {existsSync} from 'node:fs'
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

export interface QueryResult {
  id: string
  expr: string
  shape: string
  /** Result series in Prometheus's answer. */
  series: number
  /** Wall times (ms) of the measured repetitions, per target. */
  times: {prom: number[]; q1: number[]; q2: number[]}
  promMs: number
  /** Mean CPU ms per request of each process (by name) while each target answered. */
  cpuMs: {prom: Record<string, number>; q1: Record<string, number>; q2: Record<string, number>}
  q1Ratio: number
  q2Ratio: number
  /** undefined = agrees with Prometheus; else the first difference. */
  q1Diff?: string
  q2Diff?: string
}

export interface StreamSummary {
  samplesPerSec: number
  samples: number
  series: number
  runsMs: number[]
  /** Mean CPU ms per run: the bench's client, sidecar A, Prometheus replica 0. */
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

export interface BenchResults {
  version: 1
  date: string
  smoke: boolean
  machine: {cpu: string; cores: number; ramGiB: number; node: string; prometheus: string; commit: string}
  dataset: {hash: string; series: number; samples: number; startMs: number; endMs: number; hours: number; scrapeIntervalMs: number}
  warmups: number
  reps: number
  queries: QueryResult[]
  geomean: {promMs: number; q1Ratio: number; q2Ratio: number}
  throughput?: {sidecar: StreamSummary; remoteRead: StreamSummary; ratio: number; samplesMatch: boolean}
  memory: ProcessMemory[]
  /** Querier peak RSS ÷ Prometheus replica 0's, after the queries. */
  rssRatio: {q1: number; q2: number}
  targets: Target[]
  processes: {name: string; pid: number}[]
  cpuProfDir?: string
}

export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
  if (s.length === 0) return NaN
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export function geomean(xs: readonly number[]): number {
  const ok = xs.filter((x) => Number.isFinite(x) && x > 0)
  if (ok.length === 0) return NaN
  return Math.exp(ok.reduce((a, x) => a + Math.log(x), 0) / ok.length)
}

export function decideTargets(r: Pick<BenchResults, 'geomean' | 'throughput' | 'rssRatio'>): Target[] {
  const rss = Math.max(r.rssRatio.q1, r.rssRatio.q2)
  const t: Target[] = [
    {name: 'thanosts over one sidecar vs Prometheus (geomean)', goal: '≤ 1.00×', value: `${r.geomean.q1Ratio.toFixed(2)}×`, met: r.geomean.q1Ratio <= 1.0},
    {name: 'thanosts over two replicas with dedup vs Prometheus (geomean)', goal: '≤ 1.50×', value: `${r.geomean.q2Ratio.toFixed(2)}×`, met: r.geomean.q2Ratio <= 1.5},
  ]
  if (r.throughput) t.push({name: 'sidecar streaming throughput vs raw remote read', goal: '≥ 90%', value: `${(r.throughput.ratio * 100).toFixed(0)}%`, met: r.throughput.ratio >= 0.9})
  t.push({name: 'querier peak RSS vs Prometheus peak RSS (same queries)', goal: '≤ 2.00×', value: `${rss.toFixed(2)}×`, met: rss <= 2})
  return t
}

const mib = (b: number): string => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(0)} MiB` : 'n/a')
const fmtMs = (ms: number): string => (!Number.isFinite(ms) ? 'n/a' : ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0))
const fmtRatio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a')
const fmtRate = (x: number): string => `${(x / 1e6).toFixed(2)} M/s`
const cell = (s: string): string => s.replace(/\|/g, '\\|')
const agree = (d: string | undefined): string => (d === undefined ? '✓' : '✗')

/** The generated section (between the markers in docs/benchmarks.md). */
export function renderMarkdown(r: BenchResults): string {
  const L: string[] = []
  const d = r.dataset
  L.push(`Run ${r.date}${r.smoke ? ' (smoke: tiny data, not meaningful numbers)' : ''} on thanosts \`${r.machine.commit}\`.`, '')
  L.push(`- Machine: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.ramGiB} GiB RAM; Node ${r.machine.node}; ${r.machine.prometheus}`)
  L.push(`- Data: ${d.series.toLocaleString('en-US')} series × ${d.hours} h at ${d.scrapeIntervalMs / 1000} s = ${d.samples.toLocaleString('en-US')} samples (set \`${d.hash}\`, ${new Date(d.startMs).toISOString()} to ${new Date(d.endMs).toISOString()})`)
  L.push(`- Each (query, target) warmed up ${r.warmups}×, then ${r.reps} repetitions with the targets interleaved; medians of wall time until the whole JSON body is read and parsed.`)
  L.push(`- P = Prometheus direct; Q1 = thanosts query → sidecar → Prometheus replica 0; Q2 = thanosts query → two sidecars → two replicas, deduplicated. Both queriers run with \`--query.replica-label replica\`, as in production. Ratios are Q median ÷ P median.`, '')
  L.push('| query | shape | series | P ms | Q1 ratio | Q2 ratio | agree Q1/Q2 |', '|---|---|---:|---:|---:|---:|:---:|')
  for (const q of r.queries) {
    L.push(`| \`${cell(q.expr)}\` | ${q.shape} | ${q.series} | ${fmtMs(q.promMs)} | ${fmtRatio(q.q1Ratio)} | ${fmtRatio(q.q2Ratio)} | ${agree(q.q1Diff)} / ${agree(q.q2Diff)} |`)
  }
  L.push(`| **geomean** | | | ${fmtMs(r.geomean.promMs)} | **${fmtRatio(r.geomean.q1Ratio)}** | **${fmtRatio(r.geomean.q2Ratio)}** | |`, '')
  const n = noise(r)
  L.push(`Noise: the repetitions of a query spread (interquartile range ÷ median, median over the queries) by ${pct(n.prom)} for P, ${pct(n.q1)} for Q1, ${pct(n.q2)} for Q2; a change between runs smaller than that is within the noise.`, '')
  const diffs = r.queries.flatMap((q) => [q.q1Diff ? `- \`${q.id}\` Q1: ${q.q1Diff}` : '', q.q2Diff ? `- \`${q.id}\` Q2: ${q.q2Diff}` : ''].filter(Boolean))
  if (diffs.length > 0) L.push('Disagreements with Prometheus (first difference each):', '', ...diffs, '')
  if (r.queries.every((q) => q.cpuMs)) L.push(...renderCpu(r), '')
  L.push('### Targets', '', '| target | goal | measured | |', '|---|---|---:|:---:|')
  for (const t of r.targets) L.push(`| ${t.name} | ${t.goal} | ${t.value} | ${t.met ? 'met' : '**missed**'} |`)
  L.push('')
  if (r.throughput) {
    const t = r.throughput
    L.push('### Streaming throughput', '', `All series over the whole data set, median of ${t.sidecar.runsMs.length} runs; samples counted from the XOR chunk headers.`, '')
    const cpuCols = (s: StreamSummary, viaSidecar: boolean): string =>
      s.cpuMs ? `${(s.cpuMs.client / 1000).toFixed(2)} | ${viaSidecar ? (s.cpuMs.sidecar / 1000).toFixed(2) : '–'} | ${(s.cpuMs.prometheus / 1000).toFixed(2)}` : ' | | '
    L.push('| path | samples | median s | samples/s | CPU s: client | sidecar | Prometheus |', '|---|---:|---:|---:|---:|---:|---:|')
    L.push(`| Prometheus remote read (STREAMED_XOR_CHUNKS) | ${t.remoteRead.samples.toLocaleString('en-US')} | ${(median(t.remoteRead.runsMs) / 1000).toFixed(2)} | ${fmtRate(t.remoteRead.samplesPerSec)} | ${cpuCols(t.remoteRead, false)} |`)
    L.push(`| sidecar StoreAPI Series | ${t.sidecar.samples.toLocaleString('en-US')} | ${(median(t.sidecar.runsMs) / 1000).toFixed(2)} | ${fmtRate(t.sidecar.samplesPerSec)} | ${cpuCols(t.sidecar, true)} |`)
    L.push(`| **ratio** | ${t.samplesMatch ? 'same samples' : '**sample counts differ**'} | | **${(t.ratio * 100).toFixed(0)}%** | | | |`, '')
    L.push('CPU is the mean per run; the client is the bench process (gRPC or frame decoding, no chunk decoding).', '')
  }
  L.push('### Peak RSS (VmHWM)', '', 'Prometheus\'s RSS includes its TSDB head and mmapped chunks, as measured.', '')
  L.push('| process | after queries | at the end (after throughput) |', '|---|---:|---:|')
  for (const m of r.memory) L.push(`| ${m.name} | ${mib(m.peakAfterQueries)} | ${mib(m.peakEnd)} |`)
  L.push('', `Querier ÷ Prometheus replica 0 after the queries: Q1 ${fmtRatio(r.rssRatio.q1)}, Q2 ${fmtRatio(r.rssRatio.q2)}.`)
  return L.join('\n')
}

const pct = (x: number): string => `${(x * 100).toFixed(0)}%`

/**
 * Median over the queries of each target's relative interquartile range of its repetitions,
 * (p75 − p25) / median: robust to the odd GC pause or scheduler hiccup.
 */
export function noise(r: BenchResults): {prom: number; q1: number; q2: number} {
  const spread = (xs: number[]): number => {
    const ok = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b)
    if (ok.length < 2) return NaN
    const q = (p: number): number => {
      const i = p * (ok.length - 1)
      return ok[Math.floor(i)]! + (ok[Math.ceil(i)]! - ok[Math.floor(i)]!) * (i - Math.floor(i))
    }
    return (q(0.75) - q(0.25)) / median(ok)
  }
  const of = (k: 'prom' | 'q1' | 'q2'): number => median(r.queries.map((q) => spread(q.times[k])))
  return {prom: of('prom'), q1: of('q1'), q2: of('q2')}
}

/** Where the time goes: mean CPU ms per request of each process, per target. */
function renderCpu(r: BenchResults): string[] {
  const sum = (m: Record<string, number>, prefix: string): number => Object.entries(m).reduce((a, [k, v]) => (k.startsWith(prefix) ? a + v : a), 0)
  const f = (x: number): string => (Number.isFinite(x) ? x.toFixed(x < 10 ? 1 : 0) : 'n/a')
  const L = [
    '### CPU per request',
    '',
    'Mean CPU ms per request (user + system, all threads, from /proc at 10 ms resolution, averaged over the repetitions) of each process while one target answered. Q2 columns add up both sidecars and both replicas.',
    '',
    '| query | P: Prometheus | Q1: querier | sidecar | Prometheus | Q2: querier | sidecars | Prometheus ×2 |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const q of r.queries) {
    const c = q.cpuMs
    L.push(
      `| ${q.id} | ${f(sum(c.prom, 'prometheus-0'))} | ${f(sum(c.q1, 'querier-Q1'))} | ${f(sum(c.q1, 'sidecar-A'))} | ${f(sum(c.q1, 'prometheus-0'))} | ${f(sum(c.q2, 'querier-Q2'))} | ${f(sum(c.q2, 'sidecar-'))} | ${f(sum(c.q2, 'prometheus-'))} |`,
    )
  }
  return L
}

/** A plain-text summary for the terminal. */
export function renderConsole(r: BenchResults): string {
  const L: string[] = []
  const w = Math.max(10, ...r.queries.map((q) => q.id.length))
  L.push(`${'query'.padEnd(w)}  ${'shape'.padEnd(11)} ${'series'.padStart(6)} ${'P ms'.padStart(8)} ${'Q1'.padStart(7)} ${'Q2'.padStart(7)}  agree`)
  for (const q of r.queries) {
    L.push(`${q.id.padEnd(w)}  ${q.shape.padEnd(11)} ${String(q.series).padStart(6)} ${fmtMs(q.promMs).padStart(8)} ${fmtRatio(q.q1Ratio).padStart(7)} ${fmtRatio(q.q2Ratio).padStart(7)}  ${agree(q.q1Diff)}/${agree(q.q2Diff)}`)
  }
  L.push(`${'geomean'.padEnd(w)}  ${''.padEnd(11)} ${''.padStart(6)} ${fmtMs(r.geomean.promMs).padStart(8)} ${fmtRatio(r.geomean.q1Ratio).padStart(7)} ${fmtRatio(r.geomean.q2Ratio).padStart(7)}`)
  const n = noise(r)
  L.push(`noise (median IQR/median of the repetitions): P ${pct(n.prom)}, Q1 ${pct(n.q1)}, Q2 ${pct(n.q2)}`)
  for (const q of r.queries) {
    if (q.q1Diff) L.push(`  ✗ ${q.id} Q1: ${q.q1Diff}`)
    if (q.q2Diff) L.push(`  ✗ ${q.id} Q2: ${q.q2Diff}`)
  }
  if (r.throughput) {
    const t = r.throughput
    L.push(`throughput: remote read ${fmtRate(t.remoteRead.samplesPerSec)}, sidecar ${fmtRate(t.sidecar.samplesPerSec)} = ${(t.ratio * 100).toFixed(0)}%${t.samplesMatch ? '' : ' (SAMPLE COUNTS DIFFER)'}`)
  }
  L.push(`peak RSS: ${r.memory.map((m) => `${m.name} ${mib(m.peakAfterQueries)}`).join(', ')}`)
  for (const t of r.targets) L.push(`target ${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.value} (goal ${t.goal})`)
  return L.join('\n')
}

const START = '<!-- bench:results:start -->'
const END = '<!-- bench:results:end -->'

const HEADER = `# Benchmarks

\`npm run bench\` measures how fast thanosts answers dashboard queries compared with asking Prometheus
directly, on one machine, in one run:

- a deterministic data set (node-exporter- and HTTP-service-like series: counters with resets, gauges,
  classic histograms; 1,864 series, 25 h at 15 s: the queries look at the last 24 h and the hour
  before fills their first windows) is generated once, turned into TSDB blocks with
  \`promtool tsdb create-blocks-from openmetrics\` and cached under \`.cache/bench/\`;
- two Prometheus replicas (external labels \`{cluster="bench", replica="0"|"1"}\`) run on copies of it,
  with a \`thanosts sidecar\` each, a querier Q1 over sidecar A and a querier Q2 over both with
  \`--query.replica-label replica\`, each a separate process;
- every query is sent as Grafana sends it (form-encoded POST to \`/api/v1/query\` or \`/query_range\`,
  accepting gzip, which Prometheus and thanosts then use for answers of some size),
  warmed up, then repeated with the targets interleaved so that noise hits all alike; answers are
  compared with Prometheus's (label sets without external labels, equal timestamps, values within a
  relative 1e-9);
- throughput streams every series of the data set through the sidecar's StoreAPI and, for
  comparison, straight from Prometheus's remote read;
- peak RSS (VmHWM) of every process is read from \`/proc\`.

Note: the reference is the installed Prometheus (2.42) while thanosts follows Prometheus 3. The data
avoids the two places where they differ on such queries: scrape timestamps sit off whole seconds
(2.42's windows are closed on the left, 3's open), instant queries run off the minute (as Grafana's
"now"), and no series starts inside a queried window (2.42 limits rate() extrapolation towards zero
differently, fixed in prometheus/prometheus#13725). Any ✗ below is a real difference.

Run it:

\`\`\`sh
npm run bench                          # full run; rewrites the section below and .cache/bench/last-results.json
npm run bench -- --only 'http-.*'      # a subset of queries (regex on the query id)
npm run bench -- --reps 15             # more repetitions (default 7 after 2 warm-ups)
npm run bench -- --cpu-prof            # CPU profiles of the sidecars and queriers (directory printed)
npm run bench -- --keep                # leave everything running afterwards, print the URLs; Ctrl-C stops
npm run bench -- --history 'after X'   # also append a line to the History section
npm run bench -- --smoke               # tiny data, 2 repetitions; does not touch this file unless --out is given
node dist/bench/run.js --render .cache/bench/last-results.json --history 'label'   # re-render from saved results
\`\`\`

Numbers depend on the machine; compare runs made on the same machine.

## Latest results

`

/** Rewrites the generated section of `file`, keeping everything outside the markers. */
export async function writeMarkdown(file: string, r: BenchResults, historyLabel?: string): Promise<void> {
  let text = existsSync(file) ? await readFile(file, 'utf8') : `${HEADER}${START}\n${END}\n\n## History\n\n`
  const section = `${START}\n${renderMarkdown(r)}\n${END}`
  const a = text.indexOf(START)
  const b = text.indexOf(END)
  text = a >= 0 && b > a ? text.slice(0, a) + section + text.slice(b + END.length) : `${text.trimEnd()}\n\n${section}\n`
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
  const parts = [`geomean Q1 ${fmtRatio(r.geomean.q1Ratio)}`, `Q2 ${fmtRatio(r.geomean.q2Ratio)}`]
  if (r.throughput) parts.push(`sidecar throughput ${(r.throughput.ratio * 100).toFixed(0)}% of remote read`)
  parts.push(`querier RSS ${fmtRatio(Math.max(r.rssRatio.q1, r.rssRatio.q2))} Prometheus's`)
  const bad = r.queries.filter((q) => q.q1Diff || q.q2Diff).length
  parts.push(bad === 0 ? 'all answers agree' : `${bad} queries disagree`)
  return `- ${r.date.slice(0, 10)} ${label} (\`${r.machine.commit}\`): ${parts.join(', ')}`
}
