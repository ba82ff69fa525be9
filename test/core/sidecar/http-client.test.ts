/**
 * --prometheus.http-client: the sidecar in front of a real Prometheus 3 served over HTTPS with
 * basic auth (its --web.config.file), configured with Thanos's YAML; the same YAML works for a
 * real thanos sidecar. Without it, the sidecar cannot start. Parsing rules as Thanos's.
 */
import assert from 'node:assert/strict'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import * as yaml from 'js-yaml'
import {BadDataError} from '../../../src/core/errors.js'
import type {Logger} from '../../../src/core/log.js'
import {MatchType, Matcher} from '../../../src/core/labels/matcher.js'
import {authorizationHeader, parsePrometheusHttpClientConfig} from '../../../src/core/prometheus/http-client-config.js'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import {StoreClient} from '../../../src/core/storeapi/store-client.js'
import {samples} from '../../helpers/openmetrics.js'
import {startThanosSidecar} from '../../helpers/peers.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'
import {startSidecar} from '../../helpers/sidecar.js'

// bcrypt (cost 10) of PASSWORD, made once with Python's bcrypt; Prometheus checking it below is the test.
const PASSWORD = 'thanosts-secret'
const BCRYPT = '$2b$10$SPNfP0.CXADlsGvPr93ZnuZ4qmPZ6n1LyHXR9XwkkwCwAyXo.AOVy'
const T0 = Date.UTC(2026, 10, 1)

function recordingLogger(): {logger: Logger; warnings: string[]} {
  const warnings: string[] = []
  const logger = {
    debug() {},
    info() {},
    warn(msg: string, kv?: Record<string, unknown>) {
      warnings.push(`${msg} ${JSON.stringify(kv ?? {})}`)
    },
    error() {},
    with() {
      return logger
    },
  } as unknown as Logger
  return {logger, warnings}
}

describe('sidecar --prometheus.http-client', function () {
  this.timeout(120_000)
  let prom: PrometheusHandle
  let dir: string

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), 'thanosts-http-client-'))
    prom = await startPrometheus({
      version: 3,
      externalLabels: {cluster: 'secure', replica: '0'},
      series: [{metric: 'guarded', type: 'gauge', labels: {job: 'a'}, samples: samples(T0, 15_000, 240, (i) => i / 4)}],
      web: {tls: true, basicAuth: {username: 'thanosts', password: PASSWORD, bcryptHash: BCRYPT}},
    })
    await writeFile(path.join(dir, 'password'), `${PASSWORD}\n`)
  })

  after(async function () {
    await prom?.stop()
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  const clientYaml = (extra: Record<string, unknown> = {}): string =>
    yaml.dump({basic_auth: {username: 'thanosts', password_file: path.join(dir, 'password')}, tls_config: {ca_file: prom.caFile}, ...extra})

  it('Prometheus itself refuses requests without the credentials', async function () {
    const {fetch} = await import('undici')
    const anon = await fetch(`${prom.url}/api/v1/status/config`, {dispatcher: prom.fetchInit.dispatcher})
    assert.equal(anon.status, 401)
    const ok = await fetch(`${prom.url}/api/v1/status/config`, prom.fetchInit)
    assert.equal(ok.status, 200)
  })

  it('serves Info, Series and labels through basic auth over TLS', async function () {
    let sc: RunningSidecar | undefined
    try {
      sc = await startSidecar(prom, {prometheusHttpClient: parsePrometheusHttpClientConfig(clientYaml())})
      const c = new StoreClient(`127.0.0.1:${sc.grpcPort}`, {})
      try {
        const info = await c.info({timeoutMs: 5_000})
        assert.deepEqual(info.labelSets, [
          [
            {name: 'cluster', value: 'secure'},
            {name: 'replica', value: '0'},
          ],
        ])
        let n = 0
        for await (const f of c.series({minTime: T0, maxTime: T0 + 3_600_000, matchers: [new Matcher(MatchType.EQ, '__name__', 'guarded')], partialResponse: false}, new AbortController().signal)) {
          for (const ch of f.series?.chunks ?? []) n += (ch.data[0]! << 8) | ch.data[1]!
        }
        assert.equal(n, 240, 'every sample, through remote read')
        const names = await c.labelNames({start: T0, end: T0 + 3_600_000, matchers: [], partialResponse: false}, new AbortController().signal)
        assert.ok(names.names.includes('job'), JSON.stringify(names))
      } finally {
        c.close()
      }
    } finally {
      await sc?.lifecycle.stop()
    }
  })

  it('cannot start without it: the certificate is not trusted, and without TLS checks Prometheus answers 401', async function () {
    await assert.rejects(startSidecar(prom, {readyTimeoutMs: 1_500, getConfigIntervalMs: 300}), /did not become available within the ready timeout: .*self-signed certificate/)
    const noAuth = parsePrometheusHttpClientConfig(yaml.dump({tls_config: {ca_file: prom.caFile}}))
    await assert.rejects(startSidecar(prom, {readyTimeoutMs: 1_500, getConfigIntervalMs: 300, prometheusHttpClient: noAuth}), /401|[Uu]nauthorized/)
  })

  it('the same YAML works for a real thanos sidecar', async function () {
    const t = await startThanosSidecar(prom, {extraArgs: [`--prometheus.http-client=${clientYaml()}`]})
    try {
      const c = new StoreClient(t.grpcAddress, {})
      try {
        const info = await c.info({timeoutMs: 5_000})
        assert.equal(info.componentType, 'sidecar')
        assert.equal(info.labelSets.length, 1)
      } finally {
        c.close()
      }
    } finally {
      await t.stop()
    }
  })

  describe('parsing, as Thanos (pkg/clientconfig/http.go)', function () {
    it("has Thanos's transport defaults; durations are integer nanoseconds", function () {
      const d = parsePrometheusHttpClientConfig('')
      assert.deepEqual(d.transport, {maxIdleConns: 100, maxIdleConnsPerHost: 2, maxConnsPerHost: 0, idleConnTimeoutMs: 90_000, responseHeaderTimeoutMs: 0, tlsHandshakeTimeoutMs: 10_000, dialerTimeoutMs: 5_000})
      assert.equal(parsePrometheusHttpClientConfig('transport_config: {dialer_timeout: 2000000000}').transport.dialerTimeoutMs, 2_000)
      assert.equal(d.basicAuth, undefined)
    })

    it('ignores unknown keys as yaml.Unmarshal does, and says which', function () {
      const {logger, warnings} = recordingLogger()
      const c = parsePrometheusHttpClientConfig('bearer_token: t\nbasic_auth: {usernme: x}\nfoo: 1\n', {logger})
      assert.equal(c.bearerToken, 't')
      assert.equal(warnings.length, 1)
      assert.match(warnings[0]!, /foo, basic_auth\.usernme/)
    })

    it('refuses what cannot work', function () {
      assert.throws(() => parsePrometheusHttpClientConfig('basic_auth: {username: a, password: b, password_file: /x}'), BadDataError)
      assert.throws(() => parsePrometheusHttpClientConfig('proxy_url: "::not a url"'), BadDataError)
      assert.throws(() => parsePrometheusHttpClientConfig('basic_auth: [1]'), BadDataError)
    })

    it('reads secret files at every request (rotation), and basic auth wins over a bearer token', async function () {
      const file = path.join(dir, 'token')
      await writeFile(file, 'one\n')
      const c = parsePrometheusHttpClientConfig(`bearer_token_file: ${file}`)
      assert.equal(authorizationHeader(c), 'Bearer one')
      await writeFile(file, 'two')
      assert.equal(authorizationHeader(c), 'Bearer two')
      const both = parsePrometheusHttpClientConfig(`bearer_token: t\nbasic_auth: {username: u, password: p}`)
      assert.equal(authorizationHeader(both), `Basic ${Buffer.from('u:p').toString('base64')}`)
      assert.equal(authorizationHeader(parsePrometheusHttpClientConfig('')), undefined)
    })
  })
})
