/**
 * thanosts beside a real Prometheus 3 (the peers' build):
 * - our sidecar in front of it, with a Prometheus 3 configuration (scrape protocols, UTF-8 name
 *   validation, native-histogram and NHCB scrape settings: what Thanos's own sidecar once failed
 *   to parse, thanos-io/thanos#7923);
 * - a differential PromQL test: generated float expressions over generated data, evaluated by
 *   `thanosts query` through that sidecar and by Prometheus 3 itself, must agree (Prometheus 3's
 *   left-open windows and boundary rules are the truth).
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {compareResponses, type ApiResponse} from '../../bench/compare.js'
import type {RunningQuerier} from '../../src/core/query/querier.js'
import type {RunningSidecar} from '../../src/core/sidecar/sidecar.js'
import {StoreClient} from '../../src/core/storeapi/store-client.js'
import {prometheus3} from '../helpers/peers.js'
import {startPrometheus, type PrometheusHandle} from '../helpers/prometheus.js'
import {apiGet, apiPost, queryParams, type ApiParams} from '../helpers/prom-api.js'
import {floatExpr, generatedSeries} from '../helpers/promql-gen.js'
import {startQuerier} from '../helpers/querier.js'
import {startSidecar} from '../helpers/sidecar.js'

const HOURS = 6
const START = Date.UTC(2026, 10, 20, 0, 0, 0)
const END = START + HOURS * 3_600_000
/** Expressions per run; instant and range each. */
const EXPRESSIONS = Number(process.env.PROMQL_DIFF_RUNS ?? 250)

/**
 * In a range query, the input of topk/bottomk/limitk/limit_ratio comes, when it is not a plain
 * selector, from engine.go rangeEval's output matrix, which is assembled by iterating a Go map:
 * its series order, and so the choice between tied values, changes from run to run. Such an
 * answer is compared only when Prometheus gives it the same way twice more.
 */
const K_AGGREGATION = /\b(topk|bottomk|limitk|limit_ratio)\b/

async function prometheusVaries(promUrl: string, path: string, params: ApiParams, first: ApiResponse): Promise<boolean> {
  for (let i = 0; i < 2; i++) {
    const again = await apiPost(promUrl, path, params)
    if (compareResponses(first, again.body, new Set())) return true
  }
  return false
}

describe('interop: thanosts beside a real Prometheus 3', function () {
  this.timeout(300_000)
  let prom: PrometheusHandle
  let sidecar: RunningSidecar
  let querier: RunningQuerier
  let url: string

  before(async function () {
    this.timeout(120_000)
    prom = await startPrometheus({
      version: 3,
      // `replica` only: the querier strips it, so our answers carry no external label at all and
      // compare with Prometheus's as they are.
      externalLabels: {replica: 'a'},
      series: generatedSeries(START, HOURS),
      config: {
        global: {scrape_interval: '15s', external_labels: {replica: 'a'}, metric_name_validation_scheme: 'utf8', scrape_protocols: ['PrometheusProto', 'OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText1.0.0', 'PrometheusText0.0.4']},
        scrape_configs: [
          {
            job_name: 'self',
            scrape_interval: '1h',
            fallback_scrape_protocol: 'PrometheusText1.0.0',
            always_scrape_classic_histograms: true,
            convert_classic_histograms_to_nhcb: true,
            static_configs: [{targets: ['127.0.0.1:1']}],
          },
        ],
      },
      extraArgs: ['--query.max-samples=100000000'],
    })
    sidecar = await startSidecar(prom)
    querier = await startQuerier([`127.0.0.1:${sidecar.grpcPort}`], {replicaLabels: ['replica']})
    url = `http://127.0.0.1:${querier.httpPort}`
  })

  after(async function () {
    await querier?.lifecycle.stop()
    await sidecar?.lifecycle.stop()
    await prom?.stop()
  })

  it('is the Prometheus 3 of the peers', async function () {
    const r = await apiGet(prom.url, '/api/v1/status/buildinfo')
    assert.equal((r.body.data as unknown as {version: string}).version, prometheus3().version)
    assert.match(prometheus3().version, /^3\./)
  })

  it("our sidecar reads Prometheus 3's configuration: external labels in Info, its lowest timestamp as min time", async function () {
    const c = new StoreClient(`127.0.0.1:${sidecar.grpcPort}`, {})
    try {
      const info = await c.info({timeoutMs: 5_000})
      assert.equal(info.componentType, 'sidecar')
      assert.deepEqual(info.labelSets, [[{name: 'replica', value: 'a'}]])
      assert.ok(info.store, 'serves the StoreAPI')
      const metrics = await (await fetch(`${prom.url}/metrics`)).text()
      const lowest = Number(/^prometheus_tsdb_lowest_timestamp_seconds (\S+)$/m.exec(metrics)![1]) * 1000
      assert.equal(info.store.minTime, lowest)
      assert.ok(lowest <= START + 10_000, `the backfilled data is there (${lowest})`)
    } finally {
      c.close()
    }
  })

  it('raw samples through sidecar and querier equal Prometheus 3 remote read, to the bit', async function () {
    for (const expr of ['gen_temperature[6h]', 'gen_queue[6h]', 'gen_requests_total{code="500"}[6h]']) {
      const q = {query: expr, time: String(END / 1000)}
      const [ours, theirs] = await Promise.all([apiPost(url, '/api/v1/query', q), apiPost(prom.url, '/api/v1/query', q)])
      assert.equal(ours.text.replace(/,"analysis":\{\}/, ''), theirs.text, expr)
    }
  })

  it(`answers ${EXPRESSIONS} generated float expressions, instant and range, as Prometheus 3 does`, async function () {
    const exprs = fc.sample(floatExpr, {numRuns: EXPRESSIONS, seed: 20261201})
    const times = [END - 7_000, START + 2 * 3_600_000 + 1_234, END - 3 * 3_600_000]
    const failures: string[] = []
    const varying: string[] = []
    let withData = 0
    for (const [i, expr] of exprs.entries()) {
      const at = i % 2 === 0 ? {timeMs: times[i % 3]!} : {startMs: START + 3_600_000, endMs: END, stepMs: [60_000, 150_000, 330_000][i % 3]!}
      const {path, params} = queryParams(expr, at)
      const [theirs, ours] = await Promise.all([apiPost(prom.url, path, params), apiPost(url, path, params)])
      if (theirs.code !== ours.code) {
        failures.push(`${expr}: HTTP ${ours.code}, Prometheus ${theirs.code}: ${ours.text.slice(0, 200)} | ${theirs.text.slice(0, 200)}`)
        continue
      }
      if (theirs.code !== 200) {
        if (ours.body.errorType !== theirs.body.errorType) failures.push(`${expr}: ${ours.body.errorType}, Prometheus ${theirs.body.errorType}: ${ours.body.error} | ${theirs.body.error}`)
        continue
      }
      const diff = compareResponses(theirs.body, ours.body, new Set())
      if (diff && path !== '/api/v1/query' && K_AGGREGATION.test(expr) && (await prometheusVaries(prom.url, path, params, theirs.body))) {
        // Prometheus itself answers this differently from one run to the next: see K_AGGREGATION
        varying.push(expr)
        continue
      }
      if (diff) failures.push(`${expr} (${path === '/api/v1/query' ? 'instant' : 'range'}): ${diff}`)
      const res = theirs.body.data?.result
      if (!Array.isArray(res) || res.length > 0) withData++
    }
    assert.deepEqual(failures, [])
    assert.ok(varying.length <= EXPRESSIONS / 50, `few expressions where Prometheus varies itself: ${varying.join('; ')}`)
    assert.ok(withData > EXPRESSIONS / 2, `most expressions have data (${withData} of ${EXPRESSIONS})`)
  })

  it('refuses bad queries with the HTTP code, errorType and message Prometheus 3 gives', async function () {
    const range = {startMs: START + 3_600_000, endMs: END, stepMs: 60_000}
    const cases: [string, {timeMs: number} | typeof range][] = [
      ['gen_temperature[5m]', range],
      ['"a string"', range],
      ['rate(gen_temperature)', range],
      ['sum(gen_temperature', {timeMs: END}],
      ['sum(', {timeMs: END}],
      ['gen_temperature)', {timeMs: END}],
      ['(gen_temperature + (gen_queue)', {timeMs: END}],
      ['sum by (job gen_temperature', {timeMs: END}],
      ['{job="a"', {timeMs: END}],
      ['gen_temperature\n  + )', {timeMs: END}],
      ['sum(gen_temperature) by (job', {timeMs: END}],
      ['nope_function(gen_temperature)', {timeMs: END}],
      ['gen_temperature + on(job) group_left gen_queue', {timeMs: END}],
      ['histogram_quantile(0.9)', {timeMs: END}],
      ['gen_temperature[5m:1m][5m]', range],
    ]
    const failures: string[] = []
    for (const [expr, at] of cases) {
      const {path, params} = queryParams(expr, at)
      const [theirs, ours] = await Promise.all([apiPost(prom.url, path, params), apiPost(url, path, params)])
      assert.notEqual(theirs.code, 200, `${expr}: Prometheus refuses it`)
      const t = `${theirs.code} ${theirs.body.errorType}: ${theirs.body.error}`
      const o = `${ours.code} ${ours.body.errorType}: ${ours.body.error}`
      if (t !== o) failures.push(`${expr}:\n  ours   ${o}\n  theirs ${t}`)
    }
    assert.deepEqual(failures, [])
  })
})
