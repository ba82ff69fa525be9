/**
 * Differential test: a real `thanos query` and `thanosts query` over the same stores (an HA
 * pair of real Prometheus 3 servers, one behind a thanosts sidecar and one behind a real thanos
 * sidecar, and a third Prometheus of another cluster behind a thanosts sidecar) must answer the
 * same: dashboard functions, instant and range, dedup on and off, and partial response once the
 * third store is down.
 */
import assert from 'node:assert/strict'
import {compareResponses} from '../../bench/compare.js'
import {nopLogger} from '../../src/core/log.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../src/core/query/querier.js'
import type {RunningSidecar} from '../../src/core/sidecar/sidecar.js'
import {startHaPair, type HaPair} from '../helpers/ha-pair.js'
import {samples} from '../helpers/openmetrics.js'
import {startThanosQuery, startThanosSidecar, type ThanosQueryHandle, type ThanosSidecarHandle} from '../helpers/peers.js'
import {startPrometheus, type PrometheusHandle} from '../helpers/prometheus.js'
import {apiGet, apiPost, queryParams, type ApiAnswer} from '../helpers/prom-api.js'
import {startSidecar} from '../helpers/sidecar.js'

/** Dashboard expressions over the benchmark's data set (both replicas hold all of it). */
export const DIFFERENTIAL_EXPRS = [
  'node_load1',
  'rate(node_cpu_seconds_total{mode="user"}[5m])',
  'irate(node_network_receive_bytes_total[5m])',
  'increase(http_requests_total[10m])',
  'sum by (job) (rate(http_requests_total[5m]))',
  'sum without (instance) (rate(http_requests_total{code=~"2.."}[5m]))',
  'avg by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[2m]))',
  'max by (job) (process_resident_memory_bytes)',
  'min(node_filesystem_avail_bytes)',
  'count by (mode) (node_cpu_seconds_total)',
  'count_values("version", app_build_info)',
  'stddev by (job) (rate(http_requests_total[5m]))',
  'stdvar(node_load1)',
  'topk(3, rate(http_requests_total[5m]))',
  'bottomk(2, node_memory_MemAvailable_bytes)',
  'quantile(0.75, rate(node_cpu_seconds_total[5m]))',
  'histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
  'histogram_quantile(0.5, rate(http_request_duration_seconds_bucket{job="api"}[10m]))',
  'sum(rate(http_request_duration_seconds_sum[5m])) / sum(rate(http_request_duration_seconds_count[5m]))',
  '100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)',
  'node_filesystem_avail_bytes / on (instance, mountpoint) node_filesystem_size_bytes',
  'sum by (job, instance) (rate(http_requests_total[5m])) * on (job, instance) group_left (version) app_build_info',
  'rate(http_requests_total[5m]) > 1',
  'rate(http_requests_total[5m]) > bool 1',
  'deriv(node_load1[10m])',
  'predict_linear(node_filesystem_avail_bytes[30m], 3600)',
  'delta(node_load1[10m])',
  'avg_over_time(node_load1[10m])',
  'max_over_time(process_resident_memory_bytes[30m])',
  'quantile_over_time(0.9, node_load1[15m])',
  'stddev_over_time(node_load1[15m])',
  'last_over_time(node_load1[5m])',
  'changes(app_build_info[1h])',
  'resets(http_requests_total[1h])',
  'label_replace(node_load1, "host", "$1", "instance", "([^:]+).*")',
  'label_join(node_load1, "id", "/", "job", "instance")',
  'clamp_max(rate(http_requests_total[5m]), 2)',
  'round(node_load1, 0.1)',
  'abs(deriv(node_load1[10m]))',
  'sort_desc(sum by (job) (rate(http_requests_total[5m])))',
  'absent(nonexistent_metric)',
  'vector(1) + scalar(count(node_load1))',
  'node_load1 offset 10m',
  'max_over_time(sum by (job) (rate(http_requests_total[5m]))[30m:1m])',
  'group by (job) (http_requests_total)',
  'sum(ha_gap_requests_total)',
]

/** Expressions asked with dedup=false too (both replicas' series, replica labels kept). */
const NO_DEDUP_EXPRS = ['node_load1', 'sum by (job, replica) (rate(http_requests_total[5m]))', 'ha_gap_temperature', 'count by (replica) (node_cpu_seconds_total)', 'max_over_time(ha_gap_requests_total[20m])']

/**
 * Where real Thanos is known to answer differently from Prometheus, thanosts answers as
 * Prometheus does; the test checks both halves, so it notices when Thanos changes.
 */
const THANOS_DEVIATIONS: Record<string, string> = {
  // Thanos asks stores for the COUNTER aggregate under resets() and applies counter-reset
  // correction to raw data too (pkg/query/iter.go chunkSeries.Iterator, "This breaks resets
  // function", thanos-io/thanos#3644): resets() is always 0 there.
  'resets(http_requests_total[1h])': 'thanos-io/thanos#3644',
}

interface Case {
  name: string
  expr: string
  path: string
  params: Record<string, string>
}

describe('differential: real thanos query and thanosts query over the same stores', function () {
  this.timeout(300_000)
  let pair: HaPair
  let third: PrometheusHandle
  let ourSidecars: RunningSidecar[] = []
  let thanosSidecar: ThanosSidecarHandle
  let thanos: ThanosQueryHandle
  let ours: RunningQuerier
  let oursUrl: string
  const cases: Case[] = []

  const both = async (c: Case): Promise<[ApiAnswer, ApiAnswer]> => [await apiPost(thanos.url, c.path, c.params), await apiPost(oursUrl, c.path, c.params)]

  before(async function () {
    this.timeout(240_000)
    pair = await startHaPair({version: 3})
    const end = pair.data.endMs
    third = await startPrometheus({version: 3, externalLabels: {cluster: 'eu1', replica: '0'}, series: [{metric: 'node_load1', type: 'gauge', labels: {instance: 'eu-node:9100', job: 'node'}, samples: samples(end - 3 * 3_600_000 + 5_111, 15_000, 12 * 60, (i) => 0.5 + (i % 17) / 10)}]})
    ourSidecars = await Promise.all([startSidecar(pair.proms[0]!), startSidecar(third)])
    thanosSidecar = await startThanosSidecar(pair.proms[1]!)
    const stores = [`127.0.0.1:${ourSidecars[0]!.grpcPort}`, thanosSidecar.grpcAddress, `127.0.0.1:${ourSidecars[1]!.grpcPort}`]
    thanos = await startThanosQuery({endpoints: stores, replicaLabels: ['replica']})
    ours = await runQuerier(querierConfig(stores, nopLogger, {infoTimeoutMs: 2_000, endpointCheckIntervalMs: 1_000, replicaLabels: ['replica'], httpGracePeriodMs: 300, grpcGracePeriodMs: 300}))
    oursUrl = `http://127.0.0.1:${ours.httpPort}`
    const deadline = Date.now() + 30_000
    while (ours.endpoints.storeRefs().length < 3) {
      if (Date.now() > deadline) throw new Error('thanosts query does not see its 3 stores')
      await new Promise((r) => setTimeout(r, 100))
    }
    const instant = {timeMs: end - 7_000}
    const ranges = [
      {startMs: end - 3_600_000, endMs: end, stepMs: 30_000},
      {startMs: end - 6 * 3_600_000, endMs: end - 600_000, stepMs: 120_000},
    ]
    DIFFERENTIAL_EXPRS.forEach((expr, i) => {
      const a = queryParams(expr, instant)
      cases.push({name: `instant ${expr}`, expr, path: a.path, params: a.params as Record<string, string>})
      const r = queryParams(expr, ranges[i % 2]!)
      cases.push({name: `range ${expr}`, expr, path: r.path, params: r.params as Record<string, string>})
    })
    for (const expr of NO_DEDUP_EXPRS) {
      for (const at of [instant, ranges[0]!]) {
        const q = queryParams(expr, at, {dedup: 'false'})
        cases.push({name: `${'timeMs' in at ? 'instant' : 'range'} dedup=false ${expr}`, expr, path: q.path, params: q.params as Record<string, string>})
      }
    }
  })

  after(async function () {
    this.timeout(60_000)
    await thanos?.stop()
    await ours?.lifecycle.stop()
    await thanosSidecar?.stop()
    await Promise.all(ourSidecars.map((s) => s.lifecycle.stop()))
    await third?.stop()
    await pair?.stop()
  })

  it('asks at least 50 distinct queries', function () {
    assert.ok(cases.length >= 50, `${cases.length} cases`)
  })

  it('gives the same answers on every query, dedup on and off', async function () {
    const failures: string[] = []
    const deviated = new Set<string>()
    let nonEmpty = 0
    for (const c of cases) {
      const [t, o] = await both(c)
      if (t.code !== o.code) {
        failures.push(`${c.name}: HTTP ${o.code}, thanos ${t.code}: ${o.text.slice(0, 200)} | ${t.text.slice(0, 200)}`)
        continue
      }
      if (t.code !== 200) continue
      const diff = compareResponses(t.body, o.body, new Set())
      const deviation = THANOS_DEVIATIONS[c.expr]
      if (deviation) {
        // thanosts must differ from Thanos here and equal the complete replica's Prometheus.
        const truth = await apiPost(pair.proms[1]!.url, c.path, c.params)
        const vsProm = compareResponses(truth.body, o.body, new Set(['cluster']))
        if (diff !== undefined) deviated.add(c.expr)
        if (vsProm) failures.push(`${c.name}: differs from Prometheus: ${vsProm}`)
      } else if (diff) failures.push(`${c.name}: ${diff}`)
      const res = t.body.data?.result
      if (Array.isArray(res) && res.length > 0) nonEmpty++
    }
    for (const [expr, why] of Object.entries(THANOS_DEVIATIONS)) if (!deviated.has(expr)) failures.push(`${expr}: Thanos no longer deviates (${why}): drop it from THANOS_DEVIATIONS`)
    assert.deepEqual(failures, [])
    // absent() of a real metric's data set is empty on purpose; everything else has data.
    assert.ok(nonEmpty >= cases.length - 2, `${nonEmpty} of ${cases.length} answers have data`)
  })

  it('the same series and labels APIs', async function () {
    const end = pair.data.endMs / 1000
    const window = {start: String(end - 3600), end: String(end)}
    for (const [path, params] of [
      ['/api/v1/labels', window],
      ['/api/v1/label/job/values', window],
      ['/api/v1/label/replica/values', window],
      ['/api/v1/series', {...window, 'match[]': 'node_load1'}],
      ['/api/v1/series', {...window, 'match[]': '{__name__=~"ha_gap.*"}'}],
    ] as const) {
      const [t, o] = await Promise.all([apiGet(thanos.url, path, params), apiGet(oursUrl, path, params)])
      assert.equal(o.code, t.code, path)
      const norm = (d: unknown): unknown => (Array.isArray(d) ? d.map((x) => JSON.stringify(x)).sort() : d)
      assert.deepEqual(norm(o.body.data), norm(t.body.data), `${path} ${JSON.stringify(params)}`)
    }
  })

  describe('with a store down', function () {
    before(async function () {
      await ourSidecars[1]!.lifecycle.stop()
    })

    for (const partial of [true, false]) {
      it(`partial_response=${partial}: the same status and data${partial ? ', each with a warning' : ''}`, async function () {
        const end = pair.data.endMs
        for (const expr of ['node_load1', 'sum by (cluster) (node_load1)', 'count(node_cpu_seconds_total)']) {
          for (const at of [{timeMs: end - 7_000}, {startMs: end - 3_600_000, endMs: end, stepMs: 60_000}]) {
            const q = queryParams(expr, at, {partial_response: String(partial)})
            const [t, o] = await both({name: expr, expr, path: q.path, params: q.params as Record<string, string>})
            assert.equal(o.code, t.code, `${expr}: HTTP ${o.code} (${o.text.slice(0, 200)}), thanos ${t.code} (${t.text.slice(0, 200)})`)
            if (partial) {
              assert.equal(o.code, 200)
              assert.equal(compareResponses(t.body, o.body, new Set()), undefined, expr)
              assert.ok((t.body.warnings ?? []).length > 0, `thanos warns: ${t.text.slice(0, 300)}`)
              assert.ok((o.body.warnings ?? []).length > 0, `thanosts warns: ${o.text.slice(0, 300)}`)
            } else {
              assert.notEqual(o.code, 200)
              assert.equal(o.body.errorType, t.body.errorType, `${o.text} | ${t.text}`)
            }
          }
        }
      })
    }
  })
})
