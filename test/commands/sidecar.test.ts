/** `thanosts sidecar` as a user runs it: the real CLI entry, a real Prometheus. */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'
import {freePort} from '../helpers/ports.js'
import {startProcess, waitForHttpOk} from '../helpers/process.js'
import {startPrometheus, type PrometheusHandle} from '../helpers/prometheus.js'
import {BIN} from '../helpers/cli.js'

const execFileP = promisify(execFile)

describe('thanosts CLI: sidecar', function () {
  this.timeout(60_000)
  let withLabels: PrometheusHandle
  let withoutLabels: PrometheusHandle

  before(async function () {
    ;[withLabels, withoutLabels] = await Promise.all([startPrometheus({externalLabels: {cluster: 'c1', replica: '0'}}), startPrometheus({})])
  })

  after(async function () {
    await Promise.all([withLabels?.stop(), withoutLabels?.stop()])
  })

  it('--help describes every flag with its default, --version prints the version', async function () {
    const {stdout} = await execFileP('node', [BIN, 'sidecar', '--help'])
    for (const [flag, def] of [
      ['--prometheus.url', 'http://localhost:9090'],
      ['--grpc-address', '0.0.0.0:10901'],
      ['--http-address', '0.0.0.0:10902'],
      ['--prometheus.ready_timeout', '10m'],
      ['--reloader.watch-interval', '3m'],
      ['--log.level', 'info'],
      ['--log.format', 'logfmt'],
    ]) {
      assert.ok(stdout.includes(flag), `${flag} in help`)
      assert.ok(stdout.includes(`[default: ${def}]`), `default ${def} shown`)
    }
    for (const flag of ['--reloader.config-file', '--reloader.config-envsubst-file', '--reloader.rule-dir', '--prometheus.get_config_interval', '--min-time']) assert.ok(stdout.includes(flag), flag)
    const root = await execFileP('node', [BIN, '--help'])
    assert.match(root.stdout, /sidecar/)
    const v = await execFileP('node', [BIN, '--version'])
    assert.match(v.stdout, /^thanosts\/\d+\.\d+\.\d+/)
  })

  it('refuses to serve a Prometheus without external labels (exit 1, clear message)', async function () {
    const [g, h] = [await freePort(), await freePort()]
    const p = startProcess('sidecar-nolabels', 'node', [BIN, 'sidecar', '--prometheus.url', withoutLabels.url, '--grpc-address', `127.0.0.1:${g}`, '--http-address', `127.0.0.1:${h}`])
    const code = await p.waitExit()
    assert.equal(code, 1)
    assert.match(p.output(), /no external labels configured on Prometheus server/)
  })

  it('a usage error exits 2', async function () {
    await assert.rejects(execFileP('node', [BIN, 'sidecar', '--grpc-grace-period', 'soon']), (e: {code?: number}) => e.code === 2)
  })

  it('serves, logs in JSON when asked, and exits 0 on SIGTERM', async function () {
    const [g, h] = [await freePort(), await freePort()]
    const p = startProcess('sidecar', 'node', [
      BIN, 'sidecar', '--prometheus.url', withLabels.url, '--grpc-address', `127.0.0.1:${g}`, '--http-address', `127.0.0.1:${h}`, '--log.format', 'json', '--grpc-grace-period', '1s', '--http-grace-period', '1s',
    ])
    await waitForHttpOk(`http://127.0.0.1:${h}/-/ready`, p)
    const metrics = await (await fetch(`http://127.0.0.1:${h}/metrics`)).text()
    assert.match(metrics, /^thanos_sidecar_prometheus_up 1$/m)
    process.kill(p.pid, 'SIGTERM')
    assert.equal(await p.waitExit(), 0)
    const lines = p.output().split('\n').filter((l) => l.startsWith('{'))
    assert.ok(lines.length > 0 && lines.every((l) => typeof JSON.parse(l).msg === 'string'), 'JSON log lines')
  })
})
