/**
 * The querier's rules, alerts, targets, metadata and exemplars against real Thanos, over real
 * Prometheus 3 replicas (rule files with a firing alert, a down and a dropped target, an
 * OpenMetrics target with exemplars: globalview-fixture.ts, started once for this file):
 *
 * - our querier over our sidecars and over real thanos sidecars answers every endpoint as a
 *   real `thanos query` over the same sidecars does: the same bytes, in the same order;
 * - dedup=false and replicaLabels[] equal a thanos query without, or with, --query.replica-label;
 * - partial response with a (strict) sidecar down: the same data and one warning each; with
 *   partial_response=false the same internal error as a thanos query with partial response off;
 * - stacked both ways (a thanos query over our querier's gRPC, ours over a thanos query's) the
 *   four APIs survive, and both queriers serve them undeduplicated.
 *
 * Normalised, and only this: the evaluation time and last evaluation of a merged rule group
 * (Thanos keeps the fields of the replica whose answer arrived first, so they come from
 * either replica, in either querier); how a warning names the endpoint (Thanos prints its
 * client as a Go pointer, `&{0xc000...}`; we print the address), and for an endpoint that
 * cannot be reached the status description after `desc = ` (grpc-go's and grpc-js's words for
 * a refused connection); the order of warnings (Thanos keeps them in a map). Prometheus changes at its scrapes and evaluations, so each
 * comparison is made in a window in which a repeated call saw no change.
 */
import assert from 'node:assert/strict'
import {nopLogger} from '../../../src/core/log.js'
import {querierConfig, runQuerier, type QuerierConfig, type RunningQuerier} from '../../../src/core/query/querier.js'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import {startThanosQuery, startThanosSidecar, waitForThanosEndpoints, type ThanosQueryHandle, type ThanosSidecarHandle} from '../../helpers/peers.js'
import type {PrometheusHandle} from '../../helpers/prometheus.js'
import {startSidecar} from '../../helpers/sidecar.js'
import {RawGrpcClient, upstreamDecode, type Obj} from '../../helpers/upstream-protos.js'
import {
  inStableWindow,
  promGet,
  startExemplarTarget,
  startGlobalViewPrometheus,
  waitForGlobalViewData,
  writeRuleFiles,
  type ExemplarTarget,
  type RuleFiles,
} from '../sidecar/globalview-fixture.js'

interface Answer {
  code: number
  text: string
  body: {status: string; data?: unknown; errorType?: string; error?: string; warnings?: string[]}
}

async function get(base: string, path: string): Promise<Answer> {
  const r = await fetch(`${base}${path}`, {signal: AbortSignal.timeout(20_000)})
  const text = await r.text()
  return {code: r.status, text, body: JSON.parse(text) as Answer['body']}
}

/** The endpoint as a warning or error names it: Thanos's Go pointer, our address. */
const endpointName = (s: string): string => s.replace(/client (&\{0x[0-9a-f]+\}|127\.0\.0\.1:\d+)/g, 'client <endpoint>')

/** Up to the gRPC status's description, which says how grpc-go or grpc-js failed to connect. */
const upToDesc = (s: string): string => endpointName(s).replace(/desc = .*$/, 'desc = ...')

/** An answer with only what may differ normalised (see the file comment). */
function normalised(a: Answer, connectErrors = false): unknown {
  const b = structuredClone(a.body) as Answer['body'] & {data?: {groups?: Obj[]}}
  if (b.data && typeof b.data === 'object' && Array.isArray(b.data.groups)) {
    for (const g of b.data.groups) {
      delete g.evaluationTime
      delete g.lastEvaluation
    }
  }
  if (b.warnings) b.warnings = b.warnings.map(connectErrors ? upToDesc : endpointName).sort()
  if (b.error) b.error = endpointName(b.error)
  return {code: a.code, body: b}
}

const hasGroups = (a: Answer): boolean => typeof a.body.data === 'object' && a.body.data !== null && 'groups' in a.body.data

/**
 * Our answer and Thanos's for `path`, from one stable window, compared: byte for byte where
 * nothing needs normalising, else normalised.
 */
async function assertSameAnswer(ours: string, theirs: string, path: string, oursPath = path, connectErrors = false): Promise<[Answer, Answer]> {
  const [mine, real] = await inStableWindow(
    () => get(ours, oursPath),
    () => get(theirs, path),
    (x, y) => JSON.stringify(normalised(x)) === JSON.stringify(normalised(y)),
  )
  if (!hasGroups(mine) && !mine.body.warnings && !real.body.warnings && !mine.body.error) assert.equal(mine.text, real.text, `${oursPath}: the same bytes as Thanos's ${path}`)
  else assert.deepEqual(normalised(mine, connectErrors), normalised(real, connectErrors), `${oursPath} as Thanos's ${path}`)
  return [mine, real]
}

function cfg(stores: string[], extra: Partial<QuerierConfig> = {}): QuerierConfig {
  return querierConfig(stores, nopLogger, {infoTimeoutMs: 2_000, replicaLabels: ['replica'], queryTimeoutMs: 20_000, httpGracePeriodMs: 300, grpcGracePeriodMs: 300, ...extra})
}

const url = (q: RunningQuerier): string => `http://127.0.0.1:${q.httpPort}`
const grpc = (q: RunningQuerier): string => `127.0.0.1:${q.grpcPort}`

type Groups = {name: string; rules: {name: string; labels: Record<string, string>; alerts?: unknown[]}[]}[]
const groupsOf = (a: Answer): Groups => (a.body.data as {groups: Groups}).groups

describe("thanosts query's rules, alerts, targets, metadata and exemplars against thanos query, over Prometheus 3 replicas", function () {
  this.timeout(240_000)
  let target: ExemplarTarget
  let files: RuleFiles
  const proms: PrometheusHandle[] = []
  const ours: RunningSidecar[] = []
  const theirs: ThanosSidecarHandle[] = []
  let extra: RunningSidecar // a second sidecar of replica 1, stopped by the partial-response tests
  const thanos: ThanosQueryHandle[] = []
  const queriers: RunningQuerier[] = []
  // thanos queries
  let T: ThanosQueryHandle // over our sidecars, --query.replica-label=replica
  let Tt: ThanosQueryHandle // over Thanos's sidecars
  let Tnd: ThanosQueryHandle // over our sidecars, no replica label
  let Tpr: ThanosQueryHandle // our replica 0 sidecar, the extra one strict
  let Tab: ThanosQueryHandle // the same, partial response off
  let Tstack: ThanosQueryHandle // over our querier Q
  // our queriers, likewise
  let Q: RunningQuerier
  let Qt: RunningQuerier
  let Qnd: RunningQuerier
  let Qpr: RunningQuerier
  let QoverT: RunningQuerier
  let QoverQ: RunningQuerier
  let exemplarPaths: string[]

  const startThanos = async (...a: Parameters<typeof startThanosQuery>): Promise<ThanosQueryHandle> => {
    const h = await startThanosQuery(...a)
    thanos.push(h)
    return h
  }
  const startOurs = async (c: QuerierConfig): Promise<RunningQuerier> => {
    const q = await runQuerier(c)
    queriers.push(q)
    return q
  }

  before(async function () {
    this.timeout(240_000)
    target = await startExemplarTarget()
    files = await writeRuleFiles()
    for (const replica of ['r0', 'r1']) proms.push(await startGlobalViewPrometheus(3, replica, files, target))
    for (const p of proms) {
      ours.push(await startSidecar(p))
      theirs.push(await startThanosSidecar(p))
    }
    extra = await startSidecar(proms[1]!)
    const oursAddr = ours.map((s) => `127.0.0.1:${s.grpcPort}`)
    const extraAddr = `127.0.0.1:${extra.grpcPort}`
    T = await startThanos({endpoints: oursAddr, replicaLabels: ['replica']})
    Tt = await startThanos({endpoints: theirs.map((s) => s.grpcAddress), replicaLabels: ['replica']})
    Tnd = await startThanos({endpoints: oursAddr})
    Tpr = await startThanos({endpoints: [oursAddr[0]!], replicaLabels: ['replica'], extraArgs: [`--endpoint-strict=${extraAddr}`]})
    const noPartial = ['--no-rule.partial-response', '--no-target.partial-response', '--no-metric-metadata.partial-response', '--no-exemplar.partial-response']
    Tab = await startThanos({endpoints: [oursAddr[0]!], replicaLabels: ['replica'], extraArgs: [`--endpoint-strict=${extraAddr}`, ...noPartial]})
    Q = await startOurs(cfg(oursAddr))
    Qt = await startOurs(cfg(theirs.map((s) => s.grpcAddress)))
    Qnd = await startOurs(cfg(oursAddr, {replicaLabels: []}))
    Qpr = await startOurs(cfg([oursAddr[0]!], {strictStores: [extraAddr]}))
    Tstack = await startThanos({endpoints: [grpc(Q)], replicaLabels: ['replica']})
    QoverT = await startOurs(cfg([T.grpcAddress]))
    QoverQ = await startOurs(cfg([grpc(Q)]))
    for (const t of [Tpr, Tab]) await waitForThanosEndpoints(t.url, 2)
    for (const p of proms) await waitForGlobalViewData(p, target)
    const [t0, t1] = target.exemplarTimes
    const range = (from: number, to: number): string => `&start=${from / 1000}&end=${to / 1000}`
    const q = encodeURIComponent
    exemplarPaths = [
      `/api/v1/query_exemplars?query=demo_requests_total${range(t0 - 60_000, t1 + 60_000)}`,
      `/api/v1/query_exemplars?query=demo_requests_total${range(t0 - 1000, t0 + 100)}`,
      `/api/v1/query_exemplars?query=demo_requests_total${range(t1 + 1000, t1 + 2000)}`,
      '/api/v1/query_exemplars?query=demo_requests_total',
      `/api/v1/query_exemplars?query=${q('demo_requests_total{cluster="c1"}')}`,
      `/api/v1/query_exemplars?query=${q('demo_requests_total{cluster="c2"}')}`,
      `/api/v1/query_exemplars?query=${q('{__name__=~"demo_.*", path="/b"}')}`,
      `/api/v1/query_exemplars?query=${q('rate(demo_requests_total{path="/a"}[5m]) + demo_requests_total{path="/b"}')}`,
      // every matcher is an external label: the sidecars are asked for `{}` and refuse
      `/api/v1/query_exemplars?query=${q('{cluster="c1"}')}`,
      '/api/v1/query_exemplars?query=vector(1)',
      `/api/v1/query_exemplars?query=demo_requests_total&start=${new Date(t0 - 5000).toISOString()}&end=${(t1 + 5000) / 1000}`,
    ]
  })

  after(async function () {
    this.timeout(60_000)
    for (const q of queriers.reverse()) await q.lifecycle.stop()
    for (const t of thanos) await t.stop()
    for (const s of [...ours, extra]) await s?.lifecycle.stop()
    for (const s of theirs) await s.stop()
    for (const p of proms) await p.stop()
    await target?.close()
    await files?.remove()
  })

  const rulePaths = (): string[] => {
    const q = encodeURIComponent
    return [
      '/api/v1/rules',
      '/api/v1/rules?type=alert',
      '/api/v1/rules?type=record',
      '/api/v1/rules?type=ALERT',
      '/api/v1/rules?type=all',
      '/api/v1/rules?rule_name[]=AlwaysFiring&rule_name[]=x:y',
      '/api/v1/rules?rule_group[]=g2',
      `/api/v1/rules?file[]=${q(files.other)}`,
      '/api/v1/rules?rule_group[]=g1&rule_name[]=x:y',
      '/api/v1/rules?rule_group[]=nope',
      `/api/v1/rules?match[]=${q('{severity="page"}')}`,
      `/api/v1/rules?match[]=${q('{cluster="c1"}')}&match[]=${q('{team="infra"}')}`,
      `/api/v1/rules?type=alert&rule_group[]=g1&rule_group[]=g3&match[]=${q('{severity=~"p.*"}')}`,
      '/api/v1/alerts',
    ]
  }
  const targetPaths = ['/api/v1/targets', '/api/v1/targets?state=active', '/api/v1/targets?state=dropped', '/api/v1/targets?state=any', '/api/v1/targets?state=Active']
  const metadataPaths = ['/api/v1/metadata', '/api/v1/metadata?metric=demo_requests', '/api/v1/metadata?metric=demo_latency_seconds', '/api/v1/metadata?metric=no_such_metric', '/api/v1/metadata?limit=0', '/api/v1/metadata?limit=-1']
  const errorPaths = ['/api/v1/rules?type=bad', '/api/v1/targets?state=x', '/api/v1/query_exemplars?query=up&start=x', '/api/v1/query_exemplars?query=up&end=yesterday']

  for (const [name, ourQ, theirQ] of [
    ['our sidecars', () => Q, () => T],
    ["Thanos's sidecars", () => Qt, () => Tt],
  ] as const) {
    describe(`over ${name}: every answer equals thanos query's`, function () {
      it('rules and alerts, with every filter', async function () {
        for (const p of rulePaths()) await assertSameAnswer(url(ourQ()), theirQ().url, p)
        const [all] = await assertSameAnswer(url(ourQ()), theirQ().url, '/api/v1/rules')
        // what is compared is worth comparing: three groups, g3 (other.yml) sorted before g1, every rule once, no replica label
        assert.deepEqual(
          groupsOf(all).map((g) => g.name),
          ['g3', 'g1', 'g2'],
        )
        assert.deepEqual(
          groupsOf(all)[1]!.rules.map((r) => r.name),
          ['AlwaysFiring', 'NeverFiring', 'TemplatedSeverity', 'job:up:sum'],
          'alerting rules before recording rules, by name',
        )
        for (const g of groupsOf(all)) for (const r of g.rules) assert.equal(r.labels.replica, undefined)
        const [alerts] = await assertSameAnswer(url(ourQ()), theirQ().url, '/api/v1/alerts')
        assert.deepEqual(
          (alerts.body.data as {alerts: {labels: unknown}[]}).alerts.map((a) => a.labels),
          [{alertname: 'AlwaysFiring', severity: 'page'}],
        )
      })

      it('targets, by state', async function () {
        for (const p of targetPaths) await assertSameAnswer(url(ourQ()), theirQ().url, p)
        const [all] = await assertSameAnswer(url(ourQ()), theirQ().url, '/api/v1/targets')
        const d = all.body.data as {activeTargets: {scrapePool: string; health: string}[]; droppedTargets: unknown[]}
        // each replica scrapes itself and its own closed port; the demo target is shared: 5, not 6
        assert.deepEqual(d.activeTargets.map((t) => `${t.scrapePool}:${t.health}`).sort(), ['demo:up', 'down:down', 'down:down', 'prometheus:up', 'prometheus:up'])
        assert.equal(d.droppedTargets.length, 1, 'the dropped target of both replicas, once')
      })

      it('metadata, by metric and limit', async function () {
        for (const p of metadataPaths) await assertSameAnswer(url(ourQ()), theirQ().url, p)
        // a limit keeps Go's random choice of metrics in Thanos: the count and the entries are compared
        const all = (await get(url(ourQ()), '/api/v1/metadata')).body.data as Record<string, unknown>
        for (const limit of [1, 3]) {
          const mine = (await get(url(ourQ()), `/api/v1/metadata?limit=${limit}`)).body.data as Record<string, unknown>
          const real = (await get(theirQ().url, `/api/v1/metadata?limit=${limit}`)).body.data as Record<string, unknown>
          assert.equal(Object.keys(mine).length, Object.keys(real).length)
          assert.equal(Object.keys(mine).length, limit)
          for (const [k, v] of Object.entries(mine)) assert.deepEqual(v, all[k])
        }
        assert.ok(Object.keys(all).length > 50)
      })

      it('exemplars, by query and time range', async function () {
        for (const p of exemplarPaths) await assertSameAnswer(url(ourQ()), theirQ().url, p)
        const data = (await get(url(ourQ()), exemplarPaths[0]!)).body.data as {seriesLabels: Record<string, string>; exemplars: {labels: unknown; timestamp: number}[]}[]
        const [t0, t1] = target.exemplarTimes
        assert.deepEqual(
          data.map((d) => [d.seriesLabels.path, d.seriesLabels.replica, d.exemplars.map((e) => [e.labels, e.timestamp])]),
          [
            ['/a', undefined, [[{trace_id: 'abc'}, t0 / 1000]]],
            ['/b', undefined, [[{span_id: 'x', trace_id: 'def'}, t1 / 1000]]],
          ],
          "both replicas' exemplars, deduplicated",
        )
      })

      it('bad parameters: the same bad_data', async function () {
        for (const p of errorPaths) {
          const [mine] = await assertSameAnswer(url(ourQ()), theirQ().url, p)
          assert.equal(mine.code, 400)
          assert.equal(mine.body.errorType, 'bad_data')
        }
      })
    })
  }

  it('dedup=false equals a thanos query without --query.replica-label; replicaLabels[] one with it', async function () {
    for (const p of [...rulePaths(), ...targetPaths, ...exemplarPaths.slice(0, 4)]) {
      const withParam = (s: string, param: string): string => `${s}${s.includes('?') ? '&' : '?'}${param}`
      await assertSameAnswer(url(Q), Tnd.url, p, withParam(p, 'dedup=false'))
      await assertSameAnswer(url(Qnd), Tnd.url, p)
      await assertSameAnswer(url(Qnd), T.url, p, withParam(p, 'replicaLabels[]=replica'))
    }
    const rules = groupsOf(await get(url(Q), '/api/v1/rules?dedup=false'))
    const g1 = rules.find((g) => g.name === 'g1')!
    assert.deepEqual(
      g1.rules.map((r) => `${r.name}/${r.labels.replica}`),
      ['AlwaysFiring/r0', 'AlwaysFiring/r1', 'NeverFiring/r0', 'NeverFiring/r1', 'TemplatedSeverity/r0', 'TemplatedSeverity/r1', 'job:up:sum/r0', 'job:up:sum/r1'],
    )
    const alerts = (await get(url(Q), '/api/v1/alerts?dedup=false')).body.data as {alerts: unknown[]}
    assert.equal(alerts.alerts.length, 2)
  })

  it("where we answer as Prometheus and Thanos does not: alerts [] not null, unparsable match[] and exemplar queries bad_data, limit named as given; limit_per_metric", async function () {
    const [t0] = target.exemplarTimes
    const none = `/api/v1/alerts?dedup=false&partial_response=true`
    // no alerts at all: a querier with no endpoint
    const empty = await startOurs(cfg([]))
    assert.equal((await get(url(empty), none)).text, '{"status":"success","data":{"alerts":[]}}')
    assert.equal((await get(url(empty), '/api/v1/rules')).text, '{"status":"success","data":{"groups":[]}}')
    assert.equal((await get(url(empty), '/api/v1/targets')).text, '{"status":"success","data":{"activeTargets":[],"droppedTargets":[]}}')
    assert.equal((await get(url(empty), '/api/v1/metadata')).text, '{"status":"success","data":{}}')
    assert.equal((await get(url(empty), '/api/v1/query_exemplars?query=up')).text, '{"status":"success","data":[]}')
    for (const [p, theirCode] of [
      [`/api/v1/rules?match[]=${encodeURIComponent('{severity=')}`, 500],
      [`/api/v1/rules?match[]=${encodeURIComponent('rate(x[5m])')}`, 500],
      [`/api/v1/query_exemplars?query=${encodeURIComponent('demo_requests_total{')}&start=${t0 / 1000}`, 500],
      ['/api/v1/query_exemplars', 500],
      ['/api/v1/metadata?limit=x', 400],
      ['/api/v1/metadata?limit=99999999999', 400],
    ] as const) {
      const mine = await get(url(Q), p)
      const real = await get(T.url, p)
      assert.equal(real.code, theirCode, `Thanos: ${p} ${real.text}`)
      assert.equal(mine.code, 400, `${p}: ${mine.text}`)
      assert.equal(mine.body.errorType, 'bad_data')
    }
    assert.equal((await get(url(Q), '/api/v1/metadata?limit=x')).body.error, "invalid metric metadata limit='x'")
    assert.equal((await get(T.url, '/api/v1/metadata?limit=x')).body.error, "invalid metric metadata limit='0'")
    // limit_per_metric: at most n entries per metric, as Prometheus
    const one = (await get(url(Q), '/api/v1/metadata?limit_per_metric=1')).body.data as Record<string, unknown[]>
    const all = (await get(url(Q), '/api/v1/metadata')).body.data as Record<string, unknown[]>
    assert.deepEqual(Object.keys(one), Object.keys(all))
    for (const [k, v] of Object.entries(one)) assert.deepEqual(v, all[k]!.slice(0, 1))
    const prom = await promGet(proms[0]!, '/api/v1/metadata?limit_per_metric=1')
    for (const v of Object.values(prom)) assert.equal((v as unknown[]).length, 1)
    assert.equal((await get(url(Q), '/api/v1/metadata?limit_per_metric=x')).code, 400)
    assert.equal((await get(url(Q), '/api/v1/rules?dedup=maybe')).code, 400)
    assert.equal((await fetch(`${url(Q)}/api/v1/rules`, {method: 'POST'})).status, 405)
  })

  describe('partial response with a sidecar down (kept in the fan-out as a strict endpoint)', function () {
    const paths = (): string[] => ['/api/v1/rules', '/api/v1/alerts', '/api/v1/targets', '/api/v1/metadata?metric=demo_requests', exemplarPaths[0]!]

    it('while it is up: both replicas, as Thanos', async function () {
      for (const p of paths()) await assertSameAnswer(url(Qpr), Tpr.url, p)
      for (const p of paths()) await assertSameAnswer(url(Qpr), Tab.url, p, `${p}${p.includes('?') ? '&' : '?'}partial_response=false`)
    })

    it('once it is gone: the same data and one warning naming it; with partial_response=false the same internal error', async function () {
      await extra.lifecycle.stop()
      for (const p of paths()) {
        const [mine, real] = await assertSameAnswer(url(Qpr), Tpr.url, p, p, true)
        assert.equal(mine.body.warnings?.length, 1, `${p}: ${mine.text}`)
        assert.match(mine.body.warnings[0]!, new RegExp(`^fetching [a-z ]+ from [a-z]+ client 127\\.0\\.0\\.1:${extra.grpcPort}: rpc error: code = Unavailable desc = `))
        assert.match(real.body.warnings![0]!, /^fetching [a-z ]+ from [a-z]+ client &\{0x[0-9a-f]+\}: rpc error: code = Unavailable desc = /)
      }
      const alerts = (await get(url(Qpr), '/api/v1/alerts')).body.data as {alerts: unknown[]}
      assert.equal(alerts.alerts.length, 1, "replica 0's firing alert is still there")
      // Thanos's error says how grpc-go failed to connect; ours how grpc-js did: compared up to there
      for (const p of paths()) {
        const mine = await get(url(Qpr), `${p}${p.includes('?') ? '&' : '?'}partial_response=false`)
        const real = await get(Tab.url, p)
        assert.equal(mine.code, 500, mine.text)
        assert.equal(real.code, 500, real.text)
        assert.equal(mine.body.errorType, real.body.errorType)
        assert.equal(upToDesc(mine.body.error!), upToDesc(real.body.error!), p)
      }
    })
  })

  describe('stacked queriers keep the four APIs', function () {
    it("our querier's Info announces them as thanos query's does", async function () {
      const c = new RawGrpcClient(grpc(Q))
      const t = new RawGrpcClient(T.grpcAddress)
      try {
        const mine = upstreamDecode('thanos.info.InfoResponse', await c.unary('/thanos.info.Info/Info', Buffer.alloc(0)))
        const real = upstreamDecode('thanos.info.InfoResponse', await t.unary('/thanos.info.Info/Info', Buffer.alloc(0)))
        assert.equal(mine.ComponentType, 'query')
        for (const k of ['ComponentType', 'rules', 'metric_metadata', 'targets', 'exemplars']) assert.deepEqual(mine[k], real[k], k)
      } finally {
        c.close()
        t.close()
      }
    })

    it('a thanos query over our querier answers as one over the sidecars', async function () {
      for (const p of [...rulePaths(), ...targetPaths, ...metadataPaths, ...exemplarPaths]) await assertSameAnswer(url(Q), Tstack.url, p)
    })

    it('our querier over a thanos query answers as ours over the sidecars', async function () {
      for (const p of [...rulePaths(), ...targetPaths, ...metadataPaths.slice(0, 3), ...exemplarPaths.slice(0, 8)]) {
        const [a, b] = await inStableWindow(
          () => get(url(Q), p),
          () => get(url(QoverT), p),
          (x, y) => JSON.stringify(normalised(x)) === JSON.stringify(normalised(y)),
        )
        assert.deepEqual(normalised(b), normalised(a), p)
      }
    })

    it("both queriers' gRPC answers are undeduplicated: ours over either with dedup=false sees both replicas alike", async function () {
      for (const p of ['/api/v1/rules?dedup=false', '/api/v1/alerts?dedup=false', '/api/v1/targets?dedup=false', `${exemplarPaths[0]}&dedup=false`]) {
        const [a, b] = await inStableWindow(
          () => get(url(QoverQ), p),
          () => get(url(QoverT), p),
          (x, y) => JSON.stringify(normalised(x)) === JSON.stringify(normalised(y)),
        )
        assert.deepEqual(normalised(a), normalised(b), p)
      }
      const g1 = groupsOf(await get(url(QoverQ), '/api/v1/rules?dedup=false')).find((g) => g.name === 'g1')!
      assert.deepEqual([...new Set(g1.rules.map((r) => r.labels.replica))], ['r0', 'r1'])
    })
  })
})
