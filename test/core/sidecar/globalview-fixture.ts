/**
 * Real parts for the global-view tests: an OpenMetrics target served by the test process
 * (counters with exemplars, a gauge with a unit), rule files with recording and alerting rules
 * (one alert firing from the first evaluation), and Prometheus servers (Debian's 2.42 or the
 * peers' 3.x) with exemplar storage scraping themselves, that target, a closed port and a
 * target dropped by relabelling. Plus the views of Prometheus's JSON and of upstream-decoded
 * messages that the tests compare.
 */
import {createServer, type Server} from 'node:http'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {timestampFromRfc3339, timestampToRfc3339} from '../../../src/core/globalview/prom-time.js'
import {freePort} from '../../helpers/ports.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'
import type {Obj} from '../../helpers/upstream-protos.js'

/** Scrapes and rule evaluations: seldom enough for calls to find a window without change. */
export const INTERVAL = '10s'

/** The exemplar target: its exemplars carry fixed timestamps (ms) a minute before the start. */
export interface ExemplarTarget {
  port: number
  exemplarTimes: [number, number]
  close(): Promise<void>
}

export async function startExemplarTarget(): Promise<ExemplarTarget> {
  const base = Math.floor(Date.now() / 1000) - 60
  const times: [number, number] = [base * 1000 + 123, base * 1000 + 456]
  const body = [
    '# TYPE demo_requests counter',
    '# HELP demo_requests Requests served.',
    `demo_requests_total{path="/a"} 5 # {trace_id="abc"} 1.0 ${base}.123`,
    `demo_requests_total{path="/b"} 7 # {span_id="x",trace_id="def"} 2.5 ${base}.456`,
    '# TYPE demo_latency_seconds gauge',
    '# UNIT demo_latency_seconds seconds',
    '# HELP demo_latency_seconds Latency of the last request.',
    'demo_latency_seconds 0.25',
    '# EOF',
    '',
  ].join('\n')
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/openmetrics-text; version=1.0.0; charset=utf-8')
    res.end(body)
  })
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {port, exemplarTimes: times, close: () => new Promise((resolve) => server.close(() => resolve()))}
}

export const RULES_YML = `groups:
  - name: g1
    rules:
      - record: job:up:sum
        expr: sum by (job) (up)
        labels:
          team: infra
      - alert: AlwaysFiring
        expr: vector(1) > 0
        for: 0s
        labels:
          severity: page
        annotations:
          summary: "value {{ $value }}"
      - alert: NeverFiring
        expr: vector(1) < 0
        for: 5m
      - alert: TemplatedSeverity
        expr: vector(0) > 1
        labels:
          severity: "{{ if true }}page{{ end }}"
  - name: g2
    rules:
      - record: x:y
        expr: vector(2)
`

export const OTHER_RULES_YML = `groups:
  - name: g3
    limit: 5
    rules:
      - alert: OtherFile
        expr: vector(1) < 0
        labels:
          severity: page
`

export interface RuleFiles {
  dir: string
  rules: string
  other: string
  remove(): Promise<void>
}

export async function writeRuleFiles(): Promise<RuleFiles> {
  const dir = await mkdtemp(path.join(tmpdir(), 'thanosts-rules-'))
  const rules = path.join(dir, 'rules.yml')
  const other = path.join(dir, 'other.yml')
  await writeFile(rules, RULES_YML)
  await writeFile(other, OTHER_RULES_YML)
  return {dir, rules, other, remove: () => rm(dir, {recursive: true, force: true})}
}

/** A Prometheus with exemplar storage, scraping itself, the exemplar target, a closed port and a dropped target. */
export async function startGlobalViewPrometheus(version: 2 | 3, replica: string, files: RuleFiles, target: ExemplarTarget): Promise<PrometheusHandle> {
  const port = await freePort()
  const closed = await freePort()
  return startPrometheus({
    version,
    port,
    extraArgs: ['--enable-feature=exemplar-storage'],
    config: {
      global: {scrape_interval: INTERVAL, evaluation_interval: INTERVAL, external_labels: {cluster: 'c1', replica}},
      rule_files: [files.rules, files.other],
      scrape_configs: [
        {job_name: 'prometheus', static_configs: [{targets: [`127.0.0.1:${port}`]}]},
        {job_name: 'demo', static_configs: [{targets: [`127.0.0.1:${target.port}`]}]},
        {job_name: 'down', static_configs: [{targets: [`127.0.0.1:${closed}`]}]},
        {
          job_name: 'dropped',
          static_configs: [{targets: ['127.0.0.1:9'], labels: {zone: 'z1'}}],
          relabel_configs: [{action: 'drop', source_labels: ['zone'], regex: 'z1'}],
        },
      ],
    },
  })
}

async function promData(prom: {url: string}, p: string): Promise<Obj> {
  const r = await fetch(`${prom.url}${p}`, {signal: AbortSignal.timeout(10_000)})
  const body = (await r.json()) as {status: string; data: Obj}
  if (body.status !== 'success') throw new Error(`${p}: ${JSON.stringify(body)}`)
  return body.data
}

export const promGet = promData

/** Waits until Prometheus has evaluated every group, fired AlwaysFiring, scraped every target once and stored the exemplars. */
export async function waitForGlobalViewData(prom: {url: string}, target: ExemplarTarget, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = ''
  for (;;) {
    try {
      const rules = (await promData(prom, '/api/v1/rules')) as {groups: {lastEvaluation: string; rules: {name: string; alerts?: unknown[]}[]}[]}
      const evaluated = rules.groups.length === 3 && rules.groups.every((g) => !g.lastEvaluation.startsWith('0001-'))
      const firing = rules.groups.some((g) => g.rules.some((r) => r.name === 'AlwaysFiring' && (r.alerts ?? []).length > 0))
      const targets = (await promData(prom, '/api/v1/targets')) as {activeTargets: {health: string; lastScrape: string}[]}
      const scraped = targets.activeTargets.length === 3 && targets.activeTargets.every((t) => t.health !== 'unknown' && !t.lastScrape.startsWith('0001-'))
      const [from, to] = [target.exemplarTimes[0] - 1000, target.exemplarTimes[1] + 1000]
      const ex = (await promData(prom, `/api/v1/query_exemplars?query=demo_requests_total&start=${from / 1000}&end=${to / 1000}`)) as unknown as unknown[]
      last = JSON.stringify({evaluated, firing, scraped, exemplars: ex.length})
      if (evaluated && firing && scraped && ex.length === 2) return
    } catch (e) {
      last = String(e)
    }
    if (Date.now() > deadline) throw new Error(`Prometheus at ${prom.url} not ready for the global view tests: ${last}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

/**
 * Calls `a`, `b`, `a` until both calls of `a` agree, so that `b` saw the same state (Prometheus
 * changes only at its scrapes and evaluations, and its times only go forward).
 */
export async function inStableWindow<A, B>(a: () => Promise<A>, b: () => Promise<B>, same: (x: A, y: A) => boolean, tries = 40): Promise<[A, B]> {
  for (let i = 0; i < tries; i++) {
    const x = await a()
    const y = await b()
    const x2 = await a()
    if (same(x, x2)) return [x, y]
  }
  throw new Error(`no stable window in ${tries} tries`)
}

export const jsonSame = (x: unknown, y: unknown): boolean => JSON.stringify(x) === JSON.stringify(y)

// ---------------------------------------------------------------------------------------------
// Views. Prometheus's JSON, reduced to what the protobuf messages carry (plus the external
// labels where Thanos adds them), and upstream-decoded messages rendered the same way.

type Rec = Record<string, string>
const time = (v: unknown): string => timestampToRfc3339(timestampFromRfc3339(v, 'test'))
const pbTime = (t: unknown): string => {
  const o = (t ?? {}) as {seconds?: number; nanos?: number}
  return timestampToRfc3339({seconds: o.seconds ?? 0, nanos: o.nanos ?? 0})
}
export const pbLabels = (s: unknown): Rec => Object.fromEntries((((s ?? {}) as {labels?: {name: string; value?: string}[]}).labels ?? []).map((l) => [l.name, l.value ?? '']))
const lower = (s: unknown, zero: string): string => String(s ?? zero).toLowerCase()

export function promRulesView(data: Obj, ext: Rec): unknown {
  return ((data.groups ?? []) as Obj[]).map((g) => ({
    name: g.name,
    file: g.file,
    interval: g.interval,
    limit: g.limit ?? 0,
    evaluationTime: g.evaluationTime,
    lastEvaluation: time(g.lastEvaluation),
    rules: ((g.rules ?? []) as Obj[]).map((r) => {
      const common = {
        type: r.type,
        name: r.name,
        query: r.query,
        labels: {...((r.labels ?? {}) as Rec), ...ext},
        health: r.health,
        lastError: r.lastError ?? '',
        evaluationTime: r.evaluationTime,
        lastEvaluation: time(r.lastEvaluation),
      }
      if (r.type !== 'alerting') return common
      return {
        ...common,
        state: r.state,
        duration: r.duration,
        keepFiringFor: r.keepFiringFor ?? 0,
        annotations: r.annotations ?? {},
        alerts: ((r.alerts ?? []) as Obj[]).map((a) => ({
          labels: a.labels,
          annotations: a.annotations,
          state: a.state,
          value: a.value,
          ...(a.activeAt ? {activeAt: time(a.activeAt)} : {}),
        })),
      }
    }),
  }))
}

export function pbRulesView(groups: Obj[]): unknown {
  return groups.map((g) => ({
    name: g.name,
    file: g.file,
    interval: g.interval ?? 0,
    limit: g.limit ?? 0,
    evaluationTime: g.evaluation_duration_seconds ?? 0,
    lastEvaluation: pbTime(g.last_evaluation),
    rules: ((g.rules ?? []) as Obj[]).map((rule) => {
      const r = (rule.alert ?? rule.recording) as Obj
      const common = {
        type: rule.alert ? 'alerting' : 'recording',
        name: r.name,
        query: r.query,
        labels: pbLabels(r.labels),
        health: r.health,
        lastError: r.last_error ?? '',
        evaluationTime: r.evaluation_duration_seconds ?? 0,
        lastEvaluation: pbTime(r.last_evaluation),
      }
      if (!rule.alert) return common
      return {
        ...common,
        state: lower(r.state, 'UNKNOWN'),
        duration: r.duration_seconds ?? 0,
        keepFiringFor: r.keep_firing_for_seconds ?? 0,
        annotations: pbLabels(r.annotations),
        alerts: ((r.alerts ?? []) as Obj[]).map((a) => ({
          labels: pbLabels(a.labels),
          annotations: pbLabels(a.annotations),
          state: lower(a.state, 'UNKNOWN'),
          value: a.value ?? '',
          ...(a.active_at ? {activeAt: pbTime(a.active_at)} : {}),
        })),
      }
    }),
  }))
}

export function promTargetsView(data: Obj, ext: Rec): unknown {
  return {
    activeTargets: ((data.activeTargets ?? []) as Obj[]).map((t) => ({
      discoveredLabels: {...(t.discoveredLabels as Rec), ...ext},
      labels: {...(t.labels as Rec), ...ext},
      scrapePool: t.scrapePool,
      scrapeUrl: t.scrapeUrl,
      globalUrl: t.globalUrl,
      lastError: t.lastError,
      lastScrape: time(t.lastScrape),
      lastScrapeDuration: t.lastScrapeDuration,
      health: t.health,
    })),
    droppedTargets: ((data.droppedTargets ?? []) as Obj[]).map((t) => ({discoveredLabels: {...(t.discoveredLabels as Rec), ...ext}})),
  }
}

export function pbTargetsView(d: Obj): unknown {
  return {
    activeTargets: ((d.activeTargets ?? []) as Obj[]).map((t) => ({
      discoveredLabels: pbLabels(t.discoveredLabels),
      labels: pbLabels(t.labels),
      scrapePool: t.scrapePool ?? '',
      scrapeUrl: t.scrapeUrl ?? '',
      globalUrl: t.globalUrl ?? '',
      lastError: t.lastError ?? '',
      lastScrape: pbTime(t.lastScrape),
      lastScrapeDuration: t.lastScrapeDuration ?? 0,
      health: lower(t.health, 'DOWN'),
    })),
    droppedTargets: ((d.droppedTargets ?? []) as Obj[]).map((t) => ({discoveredLabels: pbLabels(t.discoveredLabels)})),
  }
}

const sortedMetas = (ms: Obj[]): Obj[] => [...ms].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))

export function promMetadataView(data: Obj): unknown {
  return Object.fromEntries(Object.entries(data).map(([k, ms]) => [k, sortedMetas((ms as Obj[]).map((m) => ({type: m.type, help: m.help, unit: m.unit})))]))
}

export function pbMetadataView(md: Obj): unknown {
  const map = (md.metadata ?? {}) as Record<string, {metas?: Obj[]}>
  return Object.fromEntries(
    Object.entries(map).map(([k, e]) => [k, sortedMetas((e.metas ?? []).map((m) => ({type: m.type ?? '', help: m.help ?? '', unit: m.unit ?? ''})))]),
  )
}

export function promExemplarsView(data: Obj[], ext: Rec): unknown {
  return data.map((d) => ({
    seriesLabels: {...(d.seriesLabels as Rec), ...ext},
    exemplars: ((d.exemplars ?? []) as Obj[]).map((e) => ({labels: e.labels, value: Number(e.value), ts: Math.round((e.timestamp as number) * 1000)})),
  }))
}

export function pbExemplarsView(ds: Obj[]): unknown {
  return ds.map((d) => ({
    seriesLabels: pbLabels(d.seriesLabels),
    exemplars: ((d.exemplars ?? []) as Obj[]).map((e) => ({labels: pbLabels(e.labels), value: e.value ?? 0, ts: e.ts ?? 0})),
  }))
}
