/**
 * `thanosts query-once` over native histograms: a real Prometheus 3 fed by remote write with
 * one histogram series of known buckets, read locally through our sidecar (--store), through
 * our querier and through Prometheus's own API (--query.url). The table shows count, sum and
 * buckets, JSON is the API's shape, CSV carries count and sum in their own columns.
 */
import assert from 'node:assert/strict'
import {Histogram} from '../../src/core/histogram/histogram.js'
import {nopLogger} from '../../src/core/log.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../src/core/query/querier.js'
import type {RunningSidecar} from '../../src/core/sidecar/sidecar.js'
import {remoteWriteHistograms} from '../helpers/native-histogram-remote-write.js'
import {startPrometheus, type PrometheusHandle} from '../helpers/prometheus.js'
import {startSidecar} from '../helpers/sidecar.js'
import {runCli} from '../helpers/cli.js'

// as sidecar.test.ts (importing it from there would run its tests too)
const STEP = 15_000
const N = 40
// recent enough for the remote-write receiver's head block
const T0 = Math.floor((Date.now() - 30 * 60_000) / STEP) * STEP
const LAST = T0 + (N - 1) * STEP

/**
 * Sample i (1..N): zero bucket i, (0.5,1] 2i, (1,2] 3i; count 6i, sum 10i. So at the last
 * sample count=6N sum=10N, and rate() grows the count by 6 per 15s: 0.4/s.
 */
function sample(i: number): Histogram {
  return Histogram.of({schema: 0, zeroThreshold: 0.001, zeroCount: i, count: 6 * i, sum: 10 * i, positiveSpans: [0, 2], positiveBuckets: [2 * i, i]})
}

const cli = (args: string[]) => runCli(['query-once', ...args])

describe('thanosts query-once: native histograms', function () {
  this.timeout(120_000)
  let prom: PrometheusHandle
  let sidecar: RunningSidecar
  let querier: RunningQuerier
  let store: string[]

  before(async function () {
    prom = await startPrometheus({version: 3, externalLabels: {replica: 'a'}, extraArgs: ['--web.enable-remote-write-receiver']})
    const samples = Array.from({length: N}, (_, k) => ({t: T0 + k * STEP, h: sample(k + 1)}))
    // 25 populated buckets of 1 each: more than the table lists
    const wide = Histogram.of({schema: 0, count: 25, sum: 25, positiveSpans: [0, 25], positiveBuckets: [1, ...new Array<number>(24).fill(0)]})
    await remoteWriteHistograms(prom.url, [
      {labels: {__name__: 'histogram_metric', job: 'nh'}, samples},
      {labels: {__name__: 'histogram_wide', job: 'nh'}, samples: [{t: LAST, h: wide}]},
    ])
    sidecar = await startSidecar(prom)
    store = ['--store', `127.0.0.1:${sidecar.grpcPort}`]
    querier = await runQuerier(querierConfig([`127.0.0.1:${sidecar.grpcPort}`], nopLogger, {infoTimeoutMs: 2_000, endpointCheckIntervalMs: 1_000, replicaLabels: ['replica'], httpGracePeriodMs: 300, grpcGracePeriodMs: 300}))
    const deadline = Date.now() + 30_000
    while (querier.endpoints.storeRefs().length < 1) {
      if (Date.now() > deadline) throw new Error('the querier does not see the sidecar')
      await new Promise((r) => setTimeout(r, 100))
    }
  })

  after(async function () {
    await querier?.lifecycle.stop()
    await sidecar?.lifecycle.stop()
    await prom?.stop()
  })

  const at = String(LAST / 1000)
  const range = ['--start', String((T0 + 11 * STEP) / 1000), '--end', at, '--step', '60']

  it('table: an instant histogram as count, sum and one line per bucket (locally, via our querier, via Prometheus)', async function () {
    for (const src of [store, ['--query.url', `http://127.0.0.1:${querier.httpPort}`], ['--query.url', prom.url]]) {
      const r = await cli(['histogram_metric', '--time', at, ...src])
      assert.equal(r.code, 0, r.stderr)
      assert.match(r.stdout, /1 series/)
      assert.match(r.stdout, new RegExp(`count=${6 * N} sum=${10 * N}`))
      assert.match(r.stdout, new RegExp(`\\[-0\\.001,0\\.001\\]: ${N}\\b`))
      assert.match(r.stdout, new RegExp(`\\(0\\.5,1\\]: ${2 * N}\\b`))
      assert.match(r.stdout, new RegExp(`\\(1,2\\]: ${3 * N}\\b`))
      assert.doesNotMatch(r.stdout, /undefined|NaN/)
    }
  })

  it('table: a histogram with many buckets lists the first 20 and counts the rest', async function () {
    const r = await cli(['histogram_wide', '--time', at, ...store])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /count=25 sum=25/)
    assert.equal((r.stdout.match(/\(\d+(\.\d+)?,\d+(\.\d+)?\]: 1\b/g) ?? []).length, 20, r.stdout)
    assert.match(r.stdout, /… 5 more buckets \(--output json has them all\)/)
    const json = await cli(['histogram_wide', '--time', at, ...store, '--output', 'json'])
    const d = JSON.parse(json.stdout) as {result: {histogram: [number, {buckets: unknown[]}]}[]}
    assert.equal(d.result[0]!.histogram[1].buckets.length, 25)
  })

  it('json: the API shape, histogram in place of value; local evaluation equals Prometheus', async function () {
    const local = await cli(['histogram_metric', '--time', at, ...store, '--output', 'json'])
    const viaProm = await cli(['histogram_metric', '--time', at, '--query.url', prom.url, '--output', 'json'])
    assert.equal(local.code, 0, local.stderr)
    assert.equal(viaProm.code, 0, viaProm.stderr)
    type V = {resultType: string; result: {metric: Record<string, string>; value?: unknown; histogram?: [number, {count: string; sum: string; buckets: unknown[]}]}[]}
    const l = JSON.parse(local.stdout) as V
    const p = JSON.parse(viaProm.stdout) as V
    assert.equal(l.result.length, 1)
    assert.equal(l.result[0]!.value, undefined)
    assert.deepEqual(l.result[0]!.histogram, [LAST / 1000, {count: String(6 * N), sum: String(10 * N), buckets: [[3, '-0.001', '0.001', String(N)], [0, '0.5', '1', String(2 * N)], [0, '1', '2', String(3 * N)]]}])
    assert.deepEqual(l.result[0]!.histogram, p.result[0]!.histogram)
  })

  it('csv: histogram_count and histogram_sum columns, value empty on histogram lines', async function () {
    const r = await cli(['histogram_metric', '--time', at, ...store, '--output', 'csv'])
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n')
    assert.equal(lines[0], '__name__,job,replica,timestamp,value,histogram_count,histogram_sum')
    assert.equal(lines[1], `histogram_metric,nh,a,${LAST / 1000},,${6 * N},${10 * N}`)
    const ranged = await cli(['histogram_metric', ...range, '--query.url', prom.url, '--output', 'csv'])
    assert.equal(ranged.code, 0, ranged.stderr)
    const rows = ranged.stdout.trim().split('\n').slice(1)
    assert.ok(rows.length >= 7, ranged.stdout)
    // Prometheus's own API has no external labels
    for (const row of rows) assert.match(row, /^histogram_metric,nh,\d+,,\d+,\d+$/)
    assert.equal(rows[rows.length - 1], `histogram_metric,nh,${LAST / 1000},,${6 * N},${10 * N}`)
  })

  // rate() extrapolates, so "0.4" may come out as 0.39999999999999997
  const about = (v: string): boolean => Math.abs(Number(v) - 0.4) < 1e-9

  it('histogram_count(rate(...)) is a float: about 0.4/s in table, csv and json', async function () {
    const expr = 'histogram_count(rate(histogram_metric[5m]))'
    const table = await cli([expr, '--time', at, ...store])
    assert.equal(table.code, 0, table.stderr)
    const cell = /│ nh +│ a +│ ([\d.e-]+) +│/.exec(table.stdout)
    assert.ok(cell && about(cell[1]!), table.stdout)
    const csv = await cli([expr, '--time', at, '--query.url', prom.url, '--output', 'csv'])
    assert.equal(csv.code, 0, csv.stderr)
    const [head, line] = csv.stdout.trim().split('\n')
    assert.equal(head, 'job,timestamp,value')
    const [job, ts, v] = line!.split(',')
    assert.deepEqual([job, ts], ['nh', String(LAST / 1000)])
    assert.ok(about(v!), csv.stdout)
    const ranged = await cli([expr, ...range, ...store, '--output', 'json'])
    const theirs = await cli([expr, ...range, '--query.url', prom.url, '--output', 'json'])
    type M = {result: {values: [number, string][]}[]}
    const d = JSON.parse(ranged.stdout) as M
    const values = d.result[0]!.values
    assert.equal(values.length, 8)
    // the window fills up over the first five minutes, then holds the steady rate
    assert.ok(about(values[values.length - 1]![1]), ranged.stdout)
    assert.deepEqual(values, (JSON.parse(theirs.stdout) as M).result[0]!.values)
  })

  it('range table: histogram points by count and sum, with a note; time columns too', async function () {
    const r = await cli(['histogram_metric', ...range, ...store])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, new RegExp(`count=${6 * N} sum=${10 * N}`), r.stdout)
    assert.match(r.stdout, /histogram points: min, max and trend are of their count/)
    assert.match(r.stdout, new RegExp(`│ ${6 * N} +│`), 'max is the last count')
    assert.doesNotMatch(r.stdout, /undefined|NaN/)
    const cols = await cli(['histogram_metric', ...range, '--query.url', prom.url, '--time-columns'])
    assert.equal(cols.code, 0, cols.stderr)
    assert.match(cols.stdout, new RegExp(`count=${6 * N} sum=${10 * N}`))
  })
})
