/**
 * The querier's merge rules on answers made to exercise them, with a real thanos query as the
 * oracle: two endpoints of one HA pair (globalview-test-server.ts, real gRPC) whose answers
 * disagree as replicas do (an alert firing on one and inactive on the other, rules and
 * targets evaluated and scraped at different times, a target down on one replica, exemplars
 * and metadata partly shared), in front of a real thanos query and our querier alike. Every
 * answer must be Thanos's, byte for byte; the expectations spelled out below are what
 * Thanos's merge rules (pkg/rules/rules.go, pkg/targets/targets.go, pkg/exemplars/exemplars.go,
 * pkg/metadata/metadata.go) give, checked so that a case that stopped exercising its rule
 * would be noticed.
 */
import assert from 'node:assert/strict'
import type {ActiveTarget, Alert, AlertInstance, DroppedTarget, Exemplar, RecordingRule, Rule, RuleGroup} from '../../../src/core/globalview/messages.js'
import {AlertState, PartialResponseStrategy, TargetHealth} from '../../../src/core/globalview/messages.js'
import {labelsFromRecord, mergeLabels, type Labels} from '../../../src/core/labels/labels.js'
import {nopLogger} from '../../../src/core/log.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../../src/core/query/querier.js'
import {startGlobalViewTestServer, type GlobalViewTestServer} from '../../helpers/globalview-test-server.js'
import {startThanosQuery, type ThanosQueryHandle} from '../../helpers/peers.js'

const T0 = 1_790_000_000
const at = (s: number, nanos = 0) => ({seconds: T0 + s, nanos})
const L = (r: Record<string, string>): Labels => labelsFromRecord(r)
const set = (r: Record<string, string>) => ({labels: L(r)})

function ext(replica: string): Labels {
  return L({cluster: 'c', replica})
}

function instance(name: string, activeAt: number): AlertInstance {
  return {labels: set({alertname: name}), annotations: set({summary: `${name} <&>`}), state: AlertState.FIRING, active_at: at(activeAt), value: '1e+00', PartialResponseStrategy: PartialResponseStrategy.WARN}
}

function alert(replica: string, name: string, state: number, lastEval: number, o: {duration?: number; alerts?: AlertInstance[]} = {}): Rule {
  const a: Alert = {
    state,
    name,
    query: `${name.toLowerCase()} > 0`,
    duration_seconds: o.duration ?? 0,
    labels: {labels: mergeLabels(L({severity: 'page'}), ext(replica))},
    annotations: set({}),
    alerts: o.alerts ?? [],
    health: 'ok',
    last_error: '',
    evaluation_duration_seconds: 0.001,
    last_evaluation: at(lastEval, 123),
    keep_firing_for_seconds: 0,
  }
  return {alert: a}
}

function recording(replica: string, name: string, lastEval: number, query = 'sum(up)'): Rule {
  const r: RecordingRule = {name, query, labels: {labels: ext(replica)}, health: 'ok', last_error: '', evaluation_duration_seconds: 0.0000005, last_evaluation: at(lastEval)}
  return {recording: r}
}

function group(name: string, file: string, rules: Rule[]): RuleGroup {
  return {name, file, rules, interval: 30, evaluation_duration_seconds: 0.002, last_evaluation: at(0), limit: 0, PartialResponseStrategy: PartialResponseStrategy.ABORT}
}

function target(replica: string, url: string, health: number, lastScrape: number, extra: Record<string, string> = {}): ActiveTarget {
  return {
    discoveredLabels: {labels: mergeLabels(L({__address__: url, job: 'j', ...extra}), ext(replica))},
    labels: {labels: mergeLabels(L({instance: url, job: 'j', ...extra}), ext(replica))},
    scrapePool: 'j',
    scrapeUrl: `http://${url}/metrics`,
    globalUrl: `http://host-${replica}:${url.split(':')[1]}/metrics`,
    lastError: health === TargetHealth.DOWN ? 'connection refused' : '',
    lastScrape: at(lastScrape),
    lastScrapeDuration: 0.01,
    health,
  }
}

const dropped = (replica: string, addr: string): DroppedTarget => ({discoveredLabels: {labels: mergeLabels(L({__address__: addr, job: 'd'}), ext(replica))}})
const exemplar = (ts: number, trace: string, value: number): Exemplar => ({labels: set({trace_id: trace}), value, ts})
const series = (replica: string, path: string) => ({labels: mergeLabels(L({__name__: 'reqs_total', path}), ext(replica))})

describe('the querier merges replicas as thanos query does (answers made to disagree)', function () {
  this.timeout(90_000)
  const servers: GlobalViewTestServer[] = []
  let dedupT: ThanosQueryHandle
  let rawT: ThanosQueryHandle
  let ours: RunningQuerier
  let base: string

  before(async function () {
    servers.push(
      await startGlobalViewTestServer({
        externalLabels: ext('a'),
        rules: [
          {
            group: group('g', 'f.yml', [
              alert('a', 'X', AlertState.INACTIVE, 100),
              alert('a', 'Y', AlertState.FIRING, 200, {alerts: [instance('Y', 10)]}),
              recording('a', 'R', 100),
              alert('a', 'Z', AlertState.INACTIVE, 100, {duration: 60}),
              recording('a', 'S', 100, 'sum(a)'),
            ]),
          },
          {group: group('h', 'f.yml', [])},
        ],
        targets: [
          {
            targets: {
              activeTargets: [target('a', 'x:1', TargetHealth.UP, 100), target('a', 'x:2', TargetHealth.UP, 100), target('a', 'x:3', TargetHealth.UP, 100, {zone: '1'}), target('a', 'x:3', TargetHealth.UP, 100, {zone: '2'})],
              droppedTargets: [dropped('a', 'x:9')],
            },
          },
        ],
        metadata: [{metadata: {metadata: {m1: {metas: [{type: 'counter', help: 'h1', unit: ''}]}, m2: {metas: [{type: 'gauge', help: 'g', unit: 'seconds'}]}}}}],
        exemplars: [
          {data: {seriesLabels: series('a', '/a'), exemplars: [exemplar(T0 * 1000 + 1000, 't1', 1), exemplar(T0 * 1000 + 2000, 't2', 2)]}},
          {data: {seriesLabels: series('a', '/c'), exemplars: []}},
        ],
      }),
    )
    servers.push(
      await startGlobalViewTestServer({
        externalLabels: ext('b'),
        rules: [
          {warning: 'replica b: a rule file failed to load'},
          {
            group: group('g', 'f.yml', [
              alert('b', 'X', AlertState.FIRING, 50, {alerts: [instance('X', 20)]}),
              alert('b', 'Y', AlertState.FIRING, 150, {alerts: [instance('Y', 11)]}),
              recording('b', 'R', 300),
              alert('b', 'Z', AlertState.INACTIVE, 100, {duration: 120}),
              recording('b', 'S', 100, 'sum(b)'),
            ]),
          },
          {group: group('g', 'e.yml', [recording('b', 'T', 100)])},
        ],
        targets: [
          {
            targets: {
              activeTargets: [target('b', 'x:1', TargetHealth.DOWN, 50), target('b', 'x:2', TargetHealth.UP, 200), target('b', 'x:3', TargetHealth.UP, 100, {zone: '1'})],
              droppedTargets: [dropped('b', 'x:9'), dropped('b', 'x:8')],
            },
          },
        ],
        metadata: [
          {
            metadata: {
              metadata: {
                m1: {
                  metas: [
                    {type: 'counter', help: 'h1', unit: ''},
                    {type: 'counter', help: 'h2', unit: ''},
                  ],
                },
                m3: {metas: [{type: 'summary', help: 's', unit: ''}]},
              },
            },
          },
        ],
        exemplars: [
          {data: {seriesLabels: series('b', '/a'), exemplars: [exemplar(T0 * 1000 + 2000, 't2', 2), exemplar(T0 * 1000 + 1500, 't3', 1.5), exemplar(T0 * 1000 + 2000, 't0', 2)]}},
          {data: {seriesLabels: series('b', '/b'), exemplars: [exemplar(T0 * 1000 + 3000, 't4', 0.000000125)]}},
        ],
      }),
    )
    const addrs = servers.map((s) => s.address)
    dedupT = await startThanosQuery({endpoints: addrs, replicaLabels: ['replica']})
    rawT = await startThanosQuery({endpoints: addrs})
    ours = await runQuerier(querierConfig(addrs, nopLogger, {replicaLabels: ['replica'], httpGracePeriodMs: 200, grpcGracePeriodMs: 200}))
    base = `http://127.0.0.1:${ours.httpPort}`
  })
  after(async function () {
    await ours?.lifecycle.stop()
    await dedupT?.stop()
    await rawT?.stop()
    for (const s of servers) await s.stop()
  })

  const text = async (u: string): Promise<string> => (await fetch(u)).text()
  const sortedWarnings = (t: string): unknown => {
    const b = JSON.parse(t) as {warnings?: string[]}
    if (b.warnings) b.warnings.sort()
    return b
  }
  const paths = ['/api/v1/rules', '/api/v1/alerts', '/api/v1/targets', '/api/v1/metadata', '/api/v1/query_exemplars?query=reqs_total']

  it('with --query.replica-label: the same bytes as thanos query', async function () {
    for (const p of paths) assert.equal(await text(`${base}${p}`), await text(`${dedupT.url}${p}`), p)
  })

  it('dedup=false: the same bytes as thanos query without replica labels', async function () {
    for (const p of paths) {
      const mine = await text(`${base}${p}${p.includes('?') ? '&' : '?'}dedup=false`)
      const real = await text(`${rawT.url}${p}`)
      // one warning here; Thanos's order of several is random
      assert.deepEqual(sortedWarnings(mine), sortedWarnings(real), p)
      assert.equal(mine, real, p)
    }
  })

  it('the merge rules the answers exercise', async function () {
    const rules = JSON.parse(await text(`${base}/api/v1/rules`)) as {warnings: string[]; data: {groups: {name: string; file: string; rules: Obj[]}[]}}
    type Obj = Record<string, unknown>
    assert.deepEqual(rules.warnings, ['replica b: a rule file failed to load'])
    assert.deepEqual(
      rules.data.groups.map((g) => `${g.file};${g.name}`),
      ['e.yml;g', 'f.yml;g', 'f.yml;h'],
      'groups by file;name, the empty one kept',
    )
    const rfc = (sec: number, frac = ''): string => new Date((T0 + sec) * 1000).toISOString().replace('.000Z', `${frac}Z`)
    const view = rules.data.groups[1]!.rules.map((r) => [r.name, r.state, r.lastEvaluation, r.duration, r.query])
    assert.deepEqual(view, [
      ['X', 'firing', rfc(50, '.000000123'), 0, 'x > 0'], // firing on b only: wins over a's later inactive one
      ['Y', 'firing', rfc(200, '.000000123'), 0, 'y > 0'], // firing on both: the later evaluation (a)
      ['Z', 'inactive', rfc(100, '.000000123'), 60, 'z > 0'], // a different `for`: two rules
      ['Z', 'inactive', rfc(100, '.000000123'), 120, 'z > 0'],
      ['R', undefined, rfc(300), undefined, 'sum(up)'], // recording: the later evaluation (b)
      ['S', undefined, rfc(100), undefined, 'sum(a)'], // different queries: two rules
      ['S', undefined, rfc(100), undefined, 'sum(b)'],
    ])
    const alerts = await text(`${base}/api/v1/alerts`)
    assert.ok(alerts.includes('"summary":"X \\u003c\\u0026\\u003e"'), `HTML characters escaped as Go escapes them: ${alerts}`)
    const targets = JSON.parse(await text(`${base}/api/v1/targets`)) as {data: {activeTargets: {scrapeUrl: string; health: string; globalUrl: string; labels: Record<string, string>}[]; droppedTargets: unknown[]}}
    assert.deepEqual(
      targets.data.activeTargets.map((t) => `${t.scrapeUrl} ${t.health} ${t.globalUrl} ${t.labels.zone ?? ''}`),
      [
        'http://x:1/metrics down http://host-b:1/metrics ', // down wins over up
        'http://x:2/metrics up http://host-b:2/metrics ', // the later scrape
        // sorted before the replica label goes: a's zone 2 sorts between a's and b's zone 1, which stay two
        'http://x:3/metrics up http://host-a:3/metrics 1',
        'http://x:3/metrics up http://host-a:3/metrics 2',
        'http://x:3/metrics up http://host-b:3/metrics 1',
      ],
    )
    assert.equal(targets.data.droppedTargets.length, 2)
    const md = JSON.parse(await text(`${base}/api/v1/metadata`)) as {data: Record<string, {help: string}[]>}
    assert.deepEqual(
      Object.fromEntries(Object.entries(md.data).map(([k, v]) => [k, v.map((m) => m.help)])),
      {m1: ['h1', 'h2'], m2: ['g'], m3: ['s']},
    )
    const ex = await text(`${base}/api/v1/query_exemplars?query=reqs_total`)
    const exd = (JSON.parse(ex) as {data: {seriesLabels: Record<string, string>; exemplars: {labels: {trace_id: string}; value: string}[]}[]}).data
    assert.deepEqual(
      exd.map((d) => [d.seriesLabels.path, d.exemplars.map((e) => e.labels.trace_id)]),
      [
        ['/a', ['t1', 't3', 't0', 't2']],
        ['/b', ['t4']],
      ],
      'series without exemplars dropped, exemplars of both replicas merged, sorted by time then labels, t2 once',
    )
    assert.equal(exd[1]!.exemplars[0]!.value, '0.000000125', "values as Go's 'f' format")
  })
})
