/**
 * The sidecar's Rules, Targets, Metadata and Exemplars gRPC APIs against real parts, for
 * Debian's Prometheus 2.42 and the peers' Prometheus 3: two replicas of each, with our
 * sidecars and real `thanos sidecar`s in front of the same servers, and real `thanos query`s
 * over each pair. The client side shares no code with ours: messages are coded with
 * upstream's .proto files (test/helpers/upstream-protos.ts).
 *
 * What is compared: our answers with each Prometheus's own API JSON (plus the external labels
 * where Thanos adds them); our bytes with a real Thanos sidecar's for the same Prometheus; the
 * Thanos querier's HTTP API over our sidecars with the same querier over Thanos's sidecars.
 * Prometheus changes between calls (scrapes, evaluations), so each comparison is made in a
 * window in which a repeated call saw no change (inStableWindow).
 */
import assert from 'node:assert/strict'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import {startThanosQuery, startThanosSidecar, type ThanosQueryHandle, type ThanosSidecarHandle} from '../../helpers/peers.js'
import type {PrometheusHandle} from '../../helpers/prometheus.js'
import {startSidecar} from '../../helpers/sidecar.js'
import {RawGrpcClient, upstreamDecode, upstreamEncode, type Obj} from '../../helpers/upstream-protos.js'
import {
  inStableWindow,
  jsonSame,
  pbExemplarsView,
  pbLabels,
  pbMetadataView,
  pbRulesView,
  pbTargetsView,
  promExemplarsView,
  promGet,
  promMetadataView,
  promRulesView,
  promTargetsView,
  startExemplarTarget,
  startGlobalViewPrometheus,
  waitForGlobalViewData,
  writeRuleFiles,
  type ExemplarTarget,
  type RuleFiles,
} from './globalview-fixture.js'

const API = {
  rules: {path: '/thanos.Rules/Rules', req: 'thanos.RulesRequest', res: 'thanos.RulesResponse'},
  targets: {path: '/thanos.Targets/Targets', req: 'thanos.TargetsRequest', res: 'thanos.TargetsResponse'},
  metadata: {path: '/thanos.Metadata/MetricMetadata', req: 'thanos.MetricMetadataRequest', res: 'thanos.MetricMetadataResponse'},
  exemplars: {path: '/thanos.Exemplars/Exemplars', req: 'thanos.ExemplarsRequest', res: 'thanos.ExemplarsResponse'},
} as const
type ApiName = keyof typeof API

/** The frames of one call, as bytes. */
function raw(c: RawGrpcClient, api: ApiName, req: Obj): Promise<Buffer[]> {
  return c.stream(API[api].path, upstreamEncode(API[api].req, req))
}

/** The frames of one call, decoded with upstream's types. */
async function frames(c: RawGrpcClient, api: ApiName, req: Obj): Promise<Obj[]> {
  return (await raw(c, api, req)).map((b) => upstreamDecode(API[api].res, b))
}

const hex = (bs: Buffer[]): string[] => bs.map((b) => b.toString('hex'))
const grpcCode = async (p: Promise<unknown>): Promise<number> => p.then(() => -1, (e: {code: number}) => e.code)

/** Thanos querier HTTP API data. */
async function thanosApi(q: ThanosQueryHandle, p: string): Promise<Obj> {
  const r = await fetch(`${q.url}${p}`, {signal: AbortSignal.timeout(20_000)})
  const body = (await r.json()) as {status: string; data: Obj; warnings?: string[]}
  if (body.status !== 'success') throw new Error(`${p}: ${JSON.stringify(body)}`)
  if (body.warnings?.length) throw new Error(`${p}: warnings ${JSON.stringify(body.warnings)}`)
  return body.data
}

/** Arrays sorted by their canonical text, object keys sorted: fan-out order is no part of the answer. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, canonical(x)]))
  return v
}

const EXT = {cluster: 'c1'}

let target: ExemplarTarget
let files: RuleFiles

before(async function () {
  target = await startExemplarTarget()
  files = await writeRuleFiles()
})
after(async function () {
  await target?.close()
  await files?.remove()
})

for (const version of [2, 3] as const) {
  describe(`sidecar Rules, Targets, Metadata, Exemplars over Prometheus ${version === 2 ? '2.42' : '3'}`, function () {
    this.timeout(180_000)
    const proms: PrometheusHandle[] = []
    const ours: RunningSidecar[] = []
    const theirs: ThanosSidecarHandle[] = []
    const ourClients: RawGrpcClient[] = []
    const theirClients: RawGrpcClient[] = []
    let qOurs: ThanosQueryHandle
    let qTheirs: ThanosQueryHandle

    before(async function () {
      for (const replica of ['r0', 'r1']) proms.push(await startGlobalViewPrometheus(version, replica, files, target))
      for (const p of proms) {
        ours.push(await startSidecar(p))
        theirs.push(await startThanosSidecar(p))
      }
      ourClients.push(...ours.map((s) => new RawGrpcClient(`127.0.0.1:${s.grpcPort}`)))
      theirClients.push(...theirs.map((s) => new RawGrpcClient(s.grpcAddress)))
      qOurs = await startThanosQuery({endpoints: ours.map((s) => `127.0.0.1:${s.grpcPort}`), replicaLabels: ['replica']})
      qTheirs = await startThanosQuery({endpoints: theirs.map((s) => s.grpcAddress), replicaLabels: ['replica']})
      for (const p of proms) await waitForGlobalViewData(p, target)
    })
    after(async function () {
      for (const c of [...ourClients, ...theirClients]) c.close()
      await qOurs?.stop()
      await qTheirs?.stop()
      for (const s of ours) await s.lifecycle.stop()
      for (const s of theirs) await s.stop()
      for (const p of proms) await p.stop()
    })

    const ext = (i: number): Record<string, string> => ({...EXT, replica: `r${i}`})

    it('Info announces rules, metric metadata, targets and exemplars as a Thanos sidecar does', async function () {
      const mine = upstreamDecode('thanos.info.InfoResponse', await ourClients[0]!.unary('/thanos.info.Info/Info', Buffer.alloc(0)))
      const real = upstreamDecode('thanos.info.InfoResponse', await theirClients[0]!.unary('/thanos.info.Info/Info', Buffer.alloc(0)))
      for (const k of ['ComponentType', 'label_sets', 'rules', 'metric_metadata', 'targets', 'exemplars']) assert.deepEqual(mine[k], real[k], k)
      assert.deepEqual(mine.exemplars, {}, 'ExemplarsInfo{}: no time range')
      assert.deepEqual(mine.rules, {})
    })

    it('Rules: each Prometheus rule group, external labels on rule labels but not on alerts; groups ABORT', async function () {
      for (const [i, c] of ourClients.entries()) {
        const [prom, got] = await inStableWindow(
          () => promGet(proms[i]!, '/api/v1/rules'),
          () => frames(c, 'rules', {}),
          jsonSame,
        )
        const groups = got.map((f) => f.group as Obj)
        assert.ok(groups.every(Boolean), 'only group frames')
        assert.deepEqual(pbRulesView(groups), promRulesView(prom, ext(i)))
        for (const g of groups) assert.equal(g.PartialResponseStrategy, 'ABORT')
        const alerts = groups.flatMap((g) => (g.rules as Obj[]).flatMap((r) => ((r.alert as Obj | undefined)?.alerts ?? []) as Obj[]))
        assert.equal(alerts.length, 1, 'AlwaysFiring fires')
        assert.deepEqual(pbLabels(alerts[0]!.labels), {alertname: 'AlwaysFiring', severity: 'page'})
        assert.equal(alerts[0]!.state, 'FIRING')
        assert.equal(alerts[0]!.PartialResponseStrategy, undefined, 'alert instances keep WARN (zero)')
      }
    })

    it('Rules: type ALERT and RECORD are Prometheus type=alert and type=record', async function () {
      for (const [type, param] of [
        ['ALERT', 'alert'],
        ['RECORD', 'record'],
      ] as const) {
        const [prom, got] = await inStableWindow(
          () => promGet(proms[0]!, `/api/v1/rules?type=${param}`),
          () => frames(ourClients[0]!, 'rules', {type}),
          jsonSame,
        )
        const view = pbRulesView(got.map((f) => f.group as Obj))
        assert.deepEqual(view, promRulesView(prom, ext(0)), type)
        const types = new Set((view as {rules: {type: string}[]}[]).flatMap((g) => g.rules.map((r) => r.type)))
        assert.deepEqual([...types], [param === 'alert' ? 'alerting' : 'recording'])
      }
    })

    it("Rules: rule_name[], rule_group[], file[] and matchers select what Thanos's querier selects", async function () {
      const cases: {req: Obj; query: string}[] = [
        {req: {rule_name: ['AlwaysFiring', 'x:y']}, query: 'rule_name[]=AlwaysFiring&rule_name[]=x:y'},
        {req: {rule_group: ['g2']}, query: 'rule_group[]=g2'},
        {req: {file: [files.other]}, query: `file[]=${encodeURIComponent(files.other)}`},
        {req: {rule_group: ['g1'], rule_name: ['x:y']}, query: 'rule_group[]=g1&rule_name[]=x:y'},
        // the templated severity of TemplatedSeverity does not count, as upstream
        {req: {matcher_string: ['{severity="page"}']}, query: `match[]=${encodeURIComponent('{severity="page"}')}`},
        // every set must match (not any)
        {req: {matcher_string: ['{cluster="c1"}', '{team="infra"}']}, query: `match[]=${encodeURIComponent('{cluster="c1"}')}&match[]=${encodeURIComponent('{team="infra"}')}`},
        {req: {type: 'ALERT', matcher_string: ['{severity=~"p.*"}'], rule_group: ['g1', 'g3']}, query: `type=alert&rule_group[]=g1&rule_group[]=g3&match[]=${encodeURIComponent('{severity=~"p.*"}')}`},
      ]
      const names = (groups: Obj[]): string[] =>
        groups.flatMap((g) => ((g.rules ?? []) as Obj[]).map((r) => `${g.name}/${(r.name ?? ((r.alert ?? r.recording) as Obj).name) as string}`)).sort()
      for (const {req, query} of cases) {
        const oracle = names((await thanosApi(qTheirs, `/api/v1/rules?${query}`)).groups as Obj[])
        const mine = names((await frames(ourClients[0]!, 'rules', req)).map((f) => f.group as Obj))
        assert.deepEqual(mine, oracle, `our sidecar: ${query}`)
        assert.deepEqual(names((await thanosApi(qOurs, `/api/v1/rules?${query}`)).groups as Obj[]), oracle, `querier over ours: ${query}`)
        assert.ok(oracle.length > 0 || query.startsWith('rule_group[]=g1&'), `a case that selects something: ${query}`)
      }
    })

    it('Rules: a matcher that does not parse is INVALID_ARGUMENT', async function () {
      assert.equal(await grpcCode(raw(ourClients[0]!, 'rules', {matcher_string: ['{severity=']})), 3)
    })

    it('Targets: active and dropped targets, external labels on discovered labels and labels; state ACTIVE and DROPPED', async function () {
      for (const [state, param] of [
        ['ANY', ''],
        ['ACTIVE', '?state=active'],
        ['DROPPED', '?state=dropped'],
      ] as const) {
        const [prom, got] = await inStableWindow(
          () => promGet(proms[1]!, `/api/v1/targets${param}`),
          () => frames(ourClients[1]!, 'targets', {state}),
          jsonSame,
        )
        assert.equal(got.length, 1, 'one frame')
        const view = pbTargetsView(got[0]!.targets as Obj) as {activeTargets: {health: string; scrapePool: string}[]; droppedTargets: unknown[]}
        assert.deepEqual(view, promTargetsView(prom, ext(1)), state)
        if (state !== 'DROPPED') assert.deepEqual(view.activeTargets.map((t) => `${t.scrapePool}:${t.health}`).sort(), ['demo:up', 'down:down', 'prometheus:up'])
        assert.equal(view.droppedTargets.length, state === 'ACTIVE' ? 0 : 1)
      }
    })

    it('Metadata: what Prometheus has, by metric and limit (negative = all, 0 = none)', async function () {
      const all = await frames(ourClients[0]!, 'metadata', {limit: -1})
      assert.equal(all.length, 1)
      const view = pbMetadataView(all[0]!.metadata as Obj) as Record<string, unknown>
      // metadata only changes when targets change; Prometheus scraping itself gives plenty
      assert.deepEqual(view, promMetadataView(await promGet(proms[0]!, '/api/v1/metadata')))
      assert.ok(Object.keys(view).length > 50)
      const one = pbMetadataView((await frames(ourClients[0]!, 'metadata', {metric: 'demo_latency_seconds', limit: -1}))[0]!.metadata as Obj)
      assert.deepEqual(one, {demo_latency_seconds: [{type: 'gauge', help: 'Latency of the last request.', unit: 'seconds'}]})
      assert.deepEqual(one, promMetadataView(await promGet(proms[0]!, '/api/v1/metadata?metric=demo_latency_seconds')))
      assert.deepEqual(pbMetadataView((await frames(ourClients[0]!, 'metadata', {limit: 0}))[0]!.metadata as Obj), {})
      assert.deepEqual(promMetadataView(await promGet(proms[0]!, '/api/v1/metadata?limit=0')), {})
      const two = pbMetadataView((await frames(ourClients[0]!, 'metadata', {limit: 2}))[0]!.metadata as Obj) as Record<string, unknown>
      assert.equal(Object.keys(two).length, 2)
      for (const [k, v] of Object.entries(two)) assert.deepEqual(v, view[k], k)
    })

    it('Exemplars: series labels with external labels, exemplars inside [start, end] only', async function () {
      const [t0, t1] = target.exemplarTimes
      const windows: [number, number, number][] = [
        [t0 - 60_000, t1 + 60_000, 2],
        [t0 - 1000, t0 + 100, 1],
        [t1 + 1000, t1 + 2000, 0],
      ]
      for (const [i, c] of ourClients.entries()) {
        for (const [start, end, n] of windows) {
          const got = await frames(c, 'exemplars', {query: 'demo_requests_total', start, end})
          const prom = await promGet(proms[i]!, `/api/v1/query_exemplars?query=demo_requests_total&start=${start / 1000}&end=${end / 1000}`)
          const view = pbExemplarsView(got.map((f) => f.data as Obj)) as {exemplars: {ts: number}[]}[]
          assert.deepEqual(view, promExemplarsView(prom as unknown as Obj[], ext(i)))
          assert.equal(view.length, n, `${n} series with exemplars in [${start}, ${end}]`)
          for (const s of view) for (const e of s.exemplars) assert.ok(e.ts >= start && e.ts <= end)
        }
      }
      const first = pbExemplarsView((await frames(ourClients[0]!, 'exemplars', {query: 'demo_requests_total{path="/a"}', start: t0 - 1000, end: t1 + 1000})).map((f) => f.data as Obj))
      assert.deepEqual(first, [
        {
          seriesLabels: {__name__: 'demo_requests_total', cluster: 'c1', instance: `127.0.0.1:${target.port}`, job: 'demo', path: '/a', replica: 'r0'},
          exemplars: [{labels: {trace_id: 'abc'}, value: 1, ts: t0}],
        },
      ])
      assert.equal(await grpcCode(raw(ourClients[0]!, 'exemplars', {query: 'demo_requests_total{', start: t0, end: t1})), 3, 'bad query: INVALID_ARGUMENT')
    })

    it('a real Thanos sidecar over the same Prometheus answers the same bytes (metadata: the same map)', async function () {
      const [t0, t1] = target.exemplarTimes
      const sameBytes: [ApiName, Obj][] = [
        ['rules', {}],
        ['rules', {type: 'ALERT'}],
        ['rules', {type: 'RECORD'}],
        ['targets', {}],
        ['targets', {state: 'ACTIVE'}],
        ['targets', {state: 'DROPPED'}],
        ['exemplars', {query: 'demo_requests_total', start: t0 - 60_000, end: t1 + 60_000}],
        ['exemplars', {query: 'demo_requests_total', start: t0 - 1000, end: t0 + 100}],
        ['exemplars', {query: '{__name__=~"demo_.*"}', start: t1 + 1000, end: t1 + 2000}],
      ]
      for (const [i, c] of ourClients.entries()) {
        for (const [api, req] of sameBytes) {
          const [mine, real] = await inStableWindow(
            async () => hex(await raw(c, api, req)),
            async () => hex(await raw(theirClients[i]!, api, req)),
            jsonSame,
          )
          assert.deepEqual(real, mine, `${api} ${JSON.stringify(req)}`)
        }
        for (const req of [{limit: -1}, {metric: 'demo_requests', limit: -1}, {limit: 0}, {metric: 'no_such_metric', limit: -1}]) {
          assert.deepEqual(await frames(theirClients[i]!, 'metadata', req), await frames(c, 'metadata', req), `metadata ${JSON.stringify(req)}`)
        }
      }
      assert.equal(await grpcCode(raw(theirClients[0]!, 'exemplars', {query: 'demo_requests_total{', start: t0, end: t1})), 3)
    })

    it("thanos query over our sidecars: its rules, alerts, targets, metadata and exemplars API equal it over Thanos's sidecars", async function () {
      const [t0, t1] = target.exemplarTimes
      const paths = [
        '/api/v1/rules',
        '/api/v1/rules?type=alert',
        '/api/v1/alerts',
        '/api/v1/targets',
        '/api/v1/targets?state=dropped',
        '/api/v1/metadata',
        '/api/v1/metadata?metric=demo_requests',
        `/api/v1/query_exemplars?query=demo_requests_total&start=${(t0 - 60_000) / 1000}&end=${(t1 + 60_000) / 1000}`,
        '/api/v1/query_exemplars?query=demo_requests_total',
        `/api/v1/query_exemplars?query=${encodeURIComponent('demo_requests_total{cluster="c1"}')}`,
      ]
      // Thanos merges the replicas' groups into the one that sorts first, which depends on which
      // answer arrived first: a group's own evaluation time and last evaluation are either
      // replica's, in either querier.
      const withoutGroupTimes = (d: Obj): Obj =>
        d.groups ? {...d, groups: (d.groups as Obj[]).map(({evaluationTime: _e, lastEvaluation: _l, ...g}) => g)} : d
      for (const p of paths) {
        const [mine, real] = await inStableWindow(
          async () => canonical(withoutGroupTimes(await thanosApi(qOurs, p))),
          async () => canonical(withoutGroupTimes(await thanosApi(qTheirs, p))),
          jsonSame,
        )
        assert.deepEqual(mine, real, p)
      }
    })

    it('thanos query over our two replicas: rules and alerts deduplicated, cluster label kept, replica label gone', async function () {
      const data = await thanosApi(qOurs, '/api/v1/rules')
      const rules = (data.groups as Obj[]).flatMap((g) => (g.rules as Obj[]).map((r): Obj => ({group: g.name, ...r})))
      const prom = (await promGet(proms[0]!, '/api/v1/rules')) as {groups: {rules: unknown[]}[]}
      assert.equal(rules.length, prom.groups.reduce((n, g) => n + g.rules.length, 0), 'each rule once')
      for (const r of rules) {
        const ls = r.labels as Record<string, string>
        assert.equal(ls.cluster, 'c1', `${String(r.name)} has the external label`)
        assert.equal(ls.replica, undefined, `${String(r.name)} deduplicated by replica`)
      }
      const alerts = ((await thanosApi(qOurs, '/api/v1/alerts')).alerts as Obj[]).map((a) => a.labels)
      assert.deepEqual(alerts, [{alertname: 'AlwaysFiring', severity: 'page'}])
      const exemplars = (await thanosApi(qOurs, '/api/v1/query_exemplars?query=demo_requests_total')) as unknown as Obj[]
      assert.ok(exemplars.length >= 2)
      for (const e of exemplars) assert.equal((e.seriesLabels as Record<string, string>).cluster, 'c1')
    })
  })
}

describe('sidecar Rules, Targets, Metadata, Exemplars without their Prometheus', function () {
  this.timeout(120_000)
  let prom: PrometheusHandle
  let sidecar: RunningSidecar
  let thanos: ThanosSidecarHandle
  let mine: RawGrpcClient
  let real: RawGrpcClient

  before(async function () {
    prom = await startGlobalViewPrometheus(2, 'r0', files, target)
    sidecar = await startSidecar(prom)
    thanos = await startThanosSidecar(prom)
    mine = new RawGrpcClient(`127.0.0.1:${sidecar.grpcPort}`)
    real = new RawGrpcClient(thanos.grpcAddress)
    await waitForGlobalViewData(prom, target)
  })
  after(async function () {
    mine?.close()
    real?.close()
    await sidecar?.lifecycle.stop()
    await thanos?.stop()
    await prom?.stop()
  })

  it('each call is UNAVAILABLE (a Thanos sidecar says INTERNAL), and is counted per service', async function () {
    const reqs: [ApiName, Obj][] = [
      ['rules', {}],
      ['targets', {}],
      ['metadata', {limit: -1}],
      ['exemplars', {query: 'up', start: 0, end: 1}],
    ]
    for (const [api, req] of reqs) assert.equal(await grpcCode(raw(mine, api, req)), -1, `${api} served while Prometheus is up`)
    await prom.kill()
    for (const [api, req] of reqs) {
      assert.equal(await grpcCode(raw(mine, api, req)), 14, `ours: ${api}`)
      assert.equal(await grpcCode(raw(real, api, req)), 13, `Thanos: ${api}`)
    }
    const metrics = await sidecar.registry.metrics()
    for (const [service, method] of [
      ['thanos.Rules', 'Rules'],
      ['thanos.Targets', 'Targets'],
      ['thanos.Metadata', 'MetricMetadata'],
      ['thanos.Exemplars', 'Exemplars'],
    ]) {
      for (const code of ['OK', 'Unavailable']) {
        assert.match(metrics, new RegExp(`grpc_server_handled_total\\{grpc_service="${service}",grpc_method="${method}",grpc_code="${code}"\\} 1`), `${service} ${code}`)
      }
    }
  })
})
