import assert from 'node:assert/strict'
import {existsSync} from 'node:fs'
import {samples} from './openmetrics.js'
import {pidAlive} from './process.js'
import {startPrometheus, type PrometheusHandle} from './prometheus.js'

describe('test harness: real Prometheus', function () {
  const T0 = Date.UTC(2024, 0, 1) // backfilled, far in the past
  let prom: PrometheusHandle

  before(async function () {
    prom = await startPrometheus({
      externalLabels: {cluster: 'us1', replica: '0'},
      series: [{metric: 'harness_requests', type: 'counter', labels: {job: 'api'}, samples: samples(T0, 15_000, 40, (i) => i * 10)}],
    })
  })

  after(async function () {
    await prom?.stop()
  })

  it('serves backfilled data and its external labels', async function () {
    const t = (T0 + 39 * 15_000) / 1000
    const r = (await (await fetch(`${prom.url}/api/v1/query?query=harness_requests_total&time=${t}`)).json()) as {
      data: {result: {metric: Record<string, string>; value: [number, string]}[]}
    }
    assert.equal(r.data.result.length, 1)
    assert.equal(r.data.result[0]!.value[1], '390')
    assert.equal(r.data.result[0]!.metric.job, 'api')
    const cfg = (await (await fetch(`${prom.url}/api/v1/status/config`)).json()) as {data: {yaml: string}}
    assert.match(cfg.data.yaml, /replica: "0"/)
  })

  it('stop() kills by pid and removes the temp dir', async function () {
    const p = await startPrometheus({externalLabels: {replica: 'x'}})
    const pid = p.pid()
    assert.ok(pidAlive(pid))
    await p.stop()
    assert.ok(!pidAlive(pid), 'process gone')
    assert.ok(!existsSync(p.dir), 'temp dir removed')
  })
})
