/**
 * Native histograms from Debian's Prometheus 2.42 (`--enable-feature=native-histograms`), fed by
 * remote write, through our sidecar and querier: every histogram sample must come out as 2.42's
 * own API gives it (instant vectors, offsets, range vectors, range queries; every bucket and
 * count as the API's strings, so to the bit), and histogram_count / histogram_sum, whose meaning
 * did not change between 2.42 and 3.x, too. Functions whose results changed in Prometheus 3
 * (rate's extrapolation over histograms, histogram_quantile's interpolation, annotations) are
 * compared with Prometheus 3 in native-histograms-prometheus3.test.ts, not here.
 *
 * 2.42 takes integer exponential histograms only: it refuses float histograms sent by remote
 * write (its validation compares float counts exactly) and predates custom buckets (schema -53),
 * so those series are not sent. It stores gauge histograms but cannot stream them over remote
 * read: it fails in the middle of the chunked response (its log: "superfluous
 * response.WriteHeader call"), as it would for the real Thanos sidecar, so nh_gauge is compared
 * only in what our querier makes of that: an answer without it and a warning naming the store.
 */
import assert from 'node:assert/strict'
import type {RunningQuerier} from '../../src/core/query/querier.js'
import type {RunningSidecar} from '../../src/core/sidecar/sidecar.js'
import {nativeHistogramWriteSeries} from '../core/chunkenc/native-histogram-fixtures.js'
import {remoteWriteHistograms} from '../helpers/native-histogram-remote-write.js'
import {apiPost, normalizedData, queryParams} from '../helpers/prom-api.js'
import {startPrometheus, type PrometheusHandle} from '../helpers/prometheus.js'
import {startQuerier} from '../helpers/querier.js'
import {startSidecar} from '../helpers/sidecar.js'

const H2 = 2 * 3600_000
const BOUNDARY = Math.floor((Date.now() - 50 * 60_000) / H2) * H2
const T0 = BOUNDARY - 55 * 60_000
const END = T0 + 105 * 60_000
/** The integer exponential-bucket series of the fixtures: what 2.42 stores. */
const METRICS = ['nh_exp', 'nh_neg_schema', 'nh_zero_threshold', 'nh_hint', 'nh_long']

describe('interop: native histograms of Prometheus 2.42 through our sidecar and querier', function () {
  this.timeout(300_000)
  let prom: PrometheusHandle
  let sidecar: RunningSidecar
  let querier: RunningQuerier
  let url: string

  before(async function () {
    this.timeout(120_000)
    prom = await startPrometheus({externalLabels: {replica: 'a'}, extraArgs: ['--web.enable-remote-write-receiver', '--enable-feature=native-histograms']})
    const series = nativeHistogramWriteSeries(T0).filter((s) => [...METRICS, 'nh_gauge'].includes(s.labels.__name__ ?? ''))
    assert.equal(series.length, METRICS.length + 1, 'the fixtures still have these series')
    await remoteWriteHistograms(prom.url, series)
    sidecar = await startSidecar(prom)
    querier = await startQuerier([`127.0.0.1:${sidecar.grpcPort}`], {replicaLabels: ['replica']})
    url = `http://127.0.0.1:${querier.httpPort}`
  })

  after(async function () {
    await querier?.lifecycle.stop()
    await sidecar?.lifecycle.stop()
    await prom?.stop()
  })

  async function compare(exprs: string[]): Promise<{failures: string[]; histograms: number}> {
    const instants = [T0 + 10 * 60_000 + 3_000, T0 + 24 * 60_000 + 500, T0 + 61 * 60_000, END - 1_000]
    const failures: string[] = []
    let histograms = 0
    for (const expr of exprs) {
      for (const at of [...instants.map((timeMs) => ({timeMs})), {startMs: T0, endMs: END, stepMs: 45_000}, {startMs: T0 + 7_000, endMs: T0 + 40 * 60_000, stepMs: 15_000}]) {
        const {path, params} = queryParams(expr, at)
        const [theirs, ours] = await Promise.all([apiPost(prom.url, path, params), apiPost(url, path, params)])
        const t = normalizedData(theirs.body)
        const o = normalizedData(ours.body)
        if (t !== o) {
          let d = 0
          while (d < t.length && t[d] === o[d]) d++
          failures.push(`${expr} ${JSON.stringify(at)}, from char ${d}:\n  ours   ${o.slice(Math.max(0, d - 150), d + 150)}\n  theirs ${t.slice(Math.max(0, d - 150), d + 150)}`)
        }
        if (t.includes('"histogram')) histograms++
      }
    }
    return {failures, histograms}
  }

  it('every histogram sample as 2.42 answers it: instant vectors, offsets, range vectors, range queries', async () => {
    const exprs = [...METRICS.flatMap((m) => [m, `${m} offset 2m`, `${m}[3m]`]), `{__name__=~"nh_.+", __name__!="nh_gauge"}`]
    const r = await compare(exprs)
    assert.deepEqual(r.failures, [], r.failures.slice(0, 10).join('\n'))
    assert.ok(r.histograms > exprs.length, `histograms were compared (${r.histograms})`)
  })

  it('histogram_count and histogram_sum, count and timestamp as 2.42 answers them', async () => {
    const exprs = METRICS.flatMap((m) => [`histogram_count(${m})`, `histogram_sum(${m})`, `count(${m})`, `timestamp(${m})`])
    const r = await compare(exprs)
    assert.deepEqual(r.failures, [], r.failures.slice(0, 10).join('\n'))
  })

  it('a gauge histogram 2.42 cannot stream: the answer goes on without it, with a warning naming the store', async () => {
    const {path, params} = queryParams('{__name__=~"nh_.+"}', {startMs: T0, endMs: END, stepMs: 45_000})
    const r = (await apiPost(url, path, params)).body
    assert.equal(r.status, 'success')
    assert.ok(r.warnings?.some((w) => w.includes(`127.0.0.1:${sidecar.grpcPort}`) && w.includes('remote read')), JSON.stringify(r.warnings))
    const names = (r.data!.result as {metric: Record<string, string>}[]).map((x) => x.metric.__name__)
    assert.ok(!names.includes('nh_gauge'))
  })
})
