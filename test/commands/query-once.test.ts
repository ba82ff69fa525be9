/**
 * `thanosts query-once` end to end: two real Prometheus replicas (replica 0 misses a stretch)
 * behind our sidecars; the CLI evaluates over them with and without dedup, and against
 * Prometheus's own HTTP API.
 */
import assert from 'node:assert/strict'
import type {RunningSidecar} from '../../src/core/sidecar/sidecar.js'
import {startSidecar} from '../helpers/sidecar.js'
import {samples} from '../helpers/openmetrics.js'
import {startPrometheusSet, type PrometheusHandle} from '../helpers/prometheus.js'
import {nopLogger} from '../../src/core/log.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../src/core/query/querier.js'
import {runCli} from '../helpers/cli.js'

const T0 = Date.UTC(2024, 5, 1)
const STEP = 15_000
const N = 240 // 1h

const cli = (args: string[]) => runCli(['query-once', ...args])

describe('thanosts query-once', function () {
  this.timeout(120_000)
  let proms: PrometheusHandle[]
  let sidecars: RunningSidecar[]
  let stores: string[]
  let querier: RunningQuerier | undefined

  before(async function () {
    const series = (gap: boolean) => [
      {metric: 'demo_requests', type: 'counter' as const, labels: {job: 'api'}, samples: samples(T0, STEP, N, (i) => (gap && i >= 80 && i < 160 ? undefined : i * 10))},
      {metric: 'demo_requests', type: 'counter' as const, labels: {job: 'web'}, samples: samples(T0, STEP, N, (i) => i * 4)},
      // a gauge's name: rate() over it gets Prometheus 3's "might not be a counter" info
      {metric: 'demo_temp', type: 'gauge' as const, labels: {job: 'api'}, samples: samples(T0, STEP, N, (i) => 20 + i)},
    ]
    proms = await startPrometheusSet([
      {externalLabels: {cluster: 'us1', replica: '0'}, series: series(true)},
      {externalLabels: {cluster: 'us1', replica: '1'}, series: series(false)},
    ])
    sidecars = await Promise.all(
      proms.map((p) => startSidecar(p)),
    )
    stores = sidecars.flatMap((s) => ['--store', `127.0.0.1:${s.grpcPort}`])
  })

  after(async function () {
    await querier?.lifecycle.stop()
    await Promise.all((sidecars ?? []).map((s) => s.lifecycle.stop()))
    await Promise.all((proms ?? []).map((p) => p.stop()))
  })

  const at = String((T0 + 120 * STEP) / 1000) // inside replica 0's gap

  it('instant query over two replicas with dedup: one series per job, table output', async function () {
    const r = await cli(['demo_requests_total', '--time', at, ...stores, '--query.replica-label', 'replica'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /2 series/)
    assert.match(r.stdout, /common labels: \{__name__="demo_requests_total", cluster="us1"\}/)
    assert.match(r.stdout, /│ api +│ 1200 +│/)
    assert.match(r.stdout, /│ web +│ 480 +│/)
    assert.doesNotMatch(r.stdout, /replica/)
  })

  it('without dedup both replicas appear (replica 0 has no sample in its gap)', async function () {
    const r = await cli(['demo_requests_total', '--time', at, ...stores, '--query.replica-label', 'replica', '--no-dedup', '--output', 'json'])
    assert.equal(r.code, 0, r.stderr)
    const data = JSON.parse(r.stdout) as {resultType: string; result: {metric: Record<string, string>; value: [number, string]}[]}
    assert.equal(data.resultType, 'vector')
    const got = data.result.map((x) => `${x.metric.job}/${x.metric.replica}=${x.value[1]}`).sort()
    assert.deepEqual(got, ['api/1=1200', 'web/0=480', 'web/1=480'])
  })

  it('range query: the deduplicated series has no gap, CSV output', async function () {
    const start = String((T0 + 60 * STEP) / 1000)
    const end = String((T0 + 180 * STEP) / 1000)
    const r = await cli(['demo_requests_total{job="api"}', '--start', start, '--end', end, '--step', '60', ...stores, '--query.replica-label', 'replica', '--output', 'csv'])
    assert.equal(r.code, 0, r.stderr)
    const lines = r.stdout.trim().split('\n')
    assert.equal(lines[0], '__name__,cluster,job,timestamp,value')
    assert.equal(lines.length - 1, 31, 'a point every minute from start to end, none missing')
    const noDedup = await cli(['demo_requests_total{job="api", replica="0"}', '--start', start, '--end', end, '--step', '60', ...stores, '--no-dedup', '--output', 'csv'])
    assert.ok(noDedup.stdout.trim().split('\n').length - 1 < 31, 'replica 0 alone shows the gap')
  })

  it('--enable-feature=promql-delayed-name-removal: label_replace still reads __name__ after rate()', async function () {
    const expr = 'label_replace(rate(demo_requests_total{job="api"}[5m]), "n", "$1", "__name__", "(.*)")'
    const names = async (extra: string[]) => {
      const r = await cli([expr, '--time', at, ...stores, '--query.replica-label', 'replica', '--output', 'json', ...extra])
      assert.equal(r.code, 0, r.stderr)
      return (JSON.parse(r.stdout) as {result: {metric: Record<string, string>}[]}).result.map((x) => x.metric.n ?? '')
    }
    // off by default, as Prometheus: the name is gone when label_replace runs
    assert.deepEqual(await names([]), [''])
    assert.deepEqual(await names(['--enable-feature', 'promql-delayed-name-removal']), ['demo_requests_total'])
  })

  it('asks Prometheus itself with --query.url, and answers equal the local evaluation', async function () {
    const viaProm = await cli(['sum by (job) (rate(demo_requests_total[5m]))', '--time', String((T0 + 200 * STEP) / 1000), '--query.url', proms[1]!.url, '--output', 'json'])
    const local = await cli(['sum by (job) (rate(demo_requests_total[5m]))', '--time', String((T0 + 200 * STEP) / 1000), ...stores, '--query.replica-label', 'replica', '--output', 'json'])
    assert.equal(viaProm.code, 0, viaProm.stderr)
    assert.equal(local.code, 0, local.stderr)
    const norm = (s: string) => (JSON.parse(s) as {result: {metric: object; value: [number, string]}[]}).result.map((x) => [JSON.stringify(x.metric), Number(x.value[1])] as const).sort()
    const [a, b] = [norm(local.stdout), norm(viaProm.stdout)]
    assert.deepEqual(a.map((x) => x[0]), b.map((x) => x[0]))
    // Prometheus 2.42 orders rate()'s float operations differently from 3.x (our target): allow the last bits
    a.forEach((x, i) => assert.ok(Math.abs(x[1] - b[i]![1]) <= 1e-12 * Math.abs(b[i]![1]), `${x[0]}: ${x[1]} vs ${b[i]![1]}`))
  })

  it('a PromQL error exits 1 with the position; a usage error exits 2', async function () {
    const bad = await cli(['rate(demo_requests_total)', ...stores])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /1:6: parse error: expected type range vector in call to function "rate", got instant vector/)
    const usage = await cli(['up', '--output', 'xml', ...stores])
    assert.equal(usage.code, 2)
    const noSource = await cli(['up'])
    assert.equal(noSource.code, 2)
  })

  it('prints PromQL warnings and infos on stderr, infos labelled as such, locally and over --query.url', async function () {
    // sort() in a range query warns; rate() over a gauge's name is an info; positions as Prometheus 3 prints them
    const expr = 'sort(rate(demo_temp[5m]))'
    const range = ['--start', String((T0 + 60 * STEP) / 1000), '--end', String((T0 + 120 * STEP) / 1000), '--step', '60', '--output', 'json']
    const want = [
      'warning: PromQL warning: sort is ineffective for range queries since results are always ordered by labels (1:1)',
      'info: PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "demo_temp" (1:11)',
    ]
    const lines = (stderr: string) => stderr.split('\n').filter((l) => /^(warning|info): /.test(l))
    const local = await cli([expr, ...range, ...stores, '--query.replica-label', 'replica'])
    assert.equal(local.code, 0, local.stderr)
    assert.deepEqual(lines(local.stderr), want)
    assert.doesNotMatch(local.stdout, /PromQL/, 'stdout stays the answer alone')
    querier = await runQuerier(querierConfig(stores.filter((s) => s !== '--store'), nopLogger, {infoTimeoutMs: 2_000, endpointCheckIntervalMs: 1_000, replicaLabels: ['replica'], httpGracePeriodMs: 300, grpcGracePeriodMs: 300}))
    const deadline = Date.now() + 30_000
    while (querier.endpoints.storeRefs().length < 2) {
      if (Date.now() > deadline) throw new Error('the querier does not see the sidecars')
      await new Promise((r) => setTimeout(r, 100))
    }
    const remote = await cli([expr, ...range, '--query.url', `http://127.0.0.1:${querier.httpPort}`])
    assert.equal(remote.code, 0, remote.stderr)
    assert.deepEqual(lines(remote.stderr), want)
    // an instant sort of a counter's rate has neither
    const quiet = await cli(['sort(rate(demo_requests_total[5m]))', '--time', at, ...stores, '--query.replica-label', 'replica'])
    assert.equal(quiet.code, 0, quiet.stderr)
    assert.deepEqual(lines(quiet.stderr), [])
  })

  it('a dead store gives a warning and the rest of the data; --no-partial-response makes it an error', async function () {
    const dead = ['--store', '127.0.0.1:1']
    const r = await cli(['demo_requests_total{job="web"}', '--time', at, ...stores, ...dead, '--query.replica-label', 'replica', '--timeout', '3s'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stderr, /warning: .*127\.0\.0\.1:1/)
    assert.match(r.stdout, /480/)
    const strict = await cli(['demo_requests_total', '--time', at, ...stores, ...dead, '--no-partial-response', '--timeout', '3s'])
    assert.equal(strict.code, 1)
  })
})
