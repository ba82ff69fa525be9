/**
 * The demo's outage (`thanosts demo --outage us1/0:2m`): one replica stopped for a while and
 * started again, and then what to look at to see deduplication fill its gap (issue 18): the
 * web UI's graph with "Explain deduplication" on, and `thanosts query-once --explain` over the
 * querier, both over the outage, where the stopped replica's stretch is served by the other.
 */
import {BadDataError} from '../errors.js'
import {sleep} from '../server/lifecycle.js'
import {parseDurationFlag} from '../server/duration.js'
import {DEMO_REPLICAS, type RunningDemo} from './demo.js'

export interface OutageSpec {
  /** A demo replica, e.g. "us1/0". */
  name: string
  ms: number
}

/** When the replica was stopped and when it was started again (ms). */
export interface OutageWindow {
  name: string
  from: number
  to: number
}

/** `us1/0:2m` → {name: 'us1/0', ms: 120000}; the name must be one of the demo's replicas. */
export function parseOutage(s: string): OutageSpec {
  const m = /^([^:]+):(.+)$/.exec(s)
  if (!m) throw new BadDataError(`--outage must look like us1/0:2m, got ${JSON.stringify(s)}`)
  const names = DEMO_REPLICAS.map(([c, r]) => `${c}/${r}`)
  if (!names.includes(m[1]!)) throw new BadDataError(`--outage ${JSON.stringify(s)}: no replica ${JSON.stringify(m[1])}; the demo has ${names.join(', ')}`)
  let ms: number
  try {
    ms = parseDurationFlag(m[2]!)
  } catch (e) {
    throw new BadDataError(`--outage ${JSON.stringify(s)}: ${(e as Error).message}`)
  }
  if (!(ms > 0)) throw new BadDataError(`--outage ${JSON.stringify(s)}: the outage must last longer than 0s`)
  return {name: m[1]!, ms}
}

/**
 * Waits `afterMs`, stops the replica for `spec.ms` and starts it again, telling `say` as it
 * goes. Undefined when `signal` ends it first (the replica is then left as it is: stopping the
 * demo stops everything).
 */
export async function runOutage(demo: RunningDemo, spec: OutageSpec, afterMs: number, say: (line: string) => void, signal?: AbortSignal): Promise<OutageWindow | undefined> {
  if (!(await sleep(afterMs, signal))) return undefined
  say(`outage: stopping ${spec.name} for ${Math.round(spec.ms / 1000)}s`)
  const from = Date.now()
  await demo.stopReplica(spec.name)
  if (!(await sleep(spec.ms, signal))) return undefined
  await demo.startReplica(spec.name)
  return {name: spec.name, from, to: Date.now()}
}

export interface ExplainView {
  /** The PromQL both show: the `up` series the stopped replica's cluster scrapes of the demo's Prometheus servers. */
  query: string
  /** The range shown (ms, whole seconds): the outage with some time either side. */
  start: number
  end: number
  step: number
  /** The querier's web UI: that range as a graph, deduplicated, "Explain deduplication" on. */
  uiUrl: string
  /** The same through query-once, with --explain. */
  explainCommand: string
  /** Without deduplication: the stopped replica's gap on its own. */
  rawCommand: string
}

/** RFC 3339 to the second, as query-once and the UI read it. */
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

/** The explain view of an outage of `demo` (scrapeMs: the demo's scrape interval). */
export function explainView(demo: RunningDemo, w: OutageWindow, scrapeMs: number): ExplainView {
  const r = demo.replicas.find((x) => x.name === w.name)
  const cluster = r?.cluster ?? w.name.split('/')[0]!
  const query = `up{cluster="${cluster}", job="prometheus"}`
  // the outage in the middle third or more of the range: the switch and what follows it show
  const pad = Math.min(5 * 60_000, Math.max(30_000, (w.to - w.from) / 2))
  const start = Math.floor((w.from - pad) / 1000) * 1000
  const end = Math.ceil((w.to + pad) / 1000) * 1000
  const step = Math.max(1000, Math.round(scrapeMs / 1000) * 1000)
  const base = `http://127.0.0.1:${demo.queryHttp}`
  const ui = new URLSearchParams({
    'g0.expr': query,
    'g0.tab': 'graph',
    'g0.range_input': `${(end - start) / 1000}s`,
    'g0.end_input': iso(end),
    'g0.res_type': 'fixed',
    'g0.res_step': String(step / 1000),
    'g0.deduplicate': '1',
    'g0.explain': '1',
  })
  const range = `--query.url ${base} --start ${iso(start)} --end ${iso(end)} --step ${step / 1000}s`
  return {
    query,
    start,
    end,
    step,
    uiUrl: `${base}/query?${ui}`,
    explainCommand: `thanosts query-once ${shellQuote(query)} ${range} --explain`,
    rawCommand: `thanosts query-once ${shellQuote(query)} ${range} --no-dedup`,
  }
}

/** What the demo prints once the replica is back. */
export function outageWalkthrough(demo: RunningDemo, w: OutageWindow, view: ExplainView): string[] {
  const r = demo.replicas.find((x) => x.name === w.name)
  const others = demo.replicas.filter((x) => r && x.cluster === r.cluster && x.name !== r.name)
  const stretch = `${iso(w.from)} to ${iso(w.to)}`
  const servedBy =
    others.length > 0
      ? `replica "${r!.replica}" serves until the outage, then ${others.map((o) => `replica "${o.replica}" @ 127.0.0.1:${o.sidecarGrpc}`).join(' or ')}: its samples fill the gap`
      : `no other replica of ${r?.cluster ?? w.name} had data: the outage is a hole`
  return [
    `outage over: ${w.name} is back (it was down ${stretch}). Which replica served which stretch:`,
    `  in the web UI, the graph with "Explain deduplication" on (bands under it, coloured by replica):`,
    `    ${view.uiUrl}`,
    `  ${view.explainCommand}`,
    `    (${servedBy})`,
    `  ${view.rawCommand}`,
    `    (each replica on its own: ${w.name} has fewer samples, its gap)`,
  ]
}
