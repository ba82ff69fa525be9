/**
 * The shared process plumbing (server/): probes answer from the Prober's state, extra routes,
 * /metrics from the registry, handler errors become 500s, the Lifecycle stops things in reverse
 * order (once) and aborts its loops, HTTP close waits for in-flight requests up to the grace
 * period, gRPC servers bind and stop, and Go/Prometheus duration flags parse as Thanos's.
 */
import assert from 'node:assert/strict'
import {Registry, Counter} from 'prom-client'
import {nopLogger} from '../../../src/core/log.js'
import {parseDurationFlag} from '../../../src/core/server/duration.js'
import {bindGrpcServer, createGrpcServer, stopGrpcServer} from '../../../src/core/server/grpc-server.js'
import {HttpServer, parseHostPort} from '../../../src/core/server/http-server.js'
import {Lifecycle, sleep} from '../../../src/core/server/lifecycle.js'
import {Prober} from '../../../src/core/server/prober.js'

describe('server plumbing', function () {
  this.timeout(20_000)

  it('probes follow the Prober; extra routes, /metrics, 404 and handler errors', async function () {
    const registry = new Registry()
    new Counter({name: 'test_things_total', help: 'things', registers: [registry]}).inc(3)
    const prober = new Prober()
    const http = new HttpServer({
      address: '127.0.0.1:0', registry, prober, logger: nopLogger,
      handler: (_req, res, url) => {
        if (url.pathname === '/boom') throw new Error('boom')
        if (url.pathname === '/hello') return void res.end('hi ' + (url.searchParams.get('n') ?? ''))
        res.writeHead(404).end()
      },
    })
    assert.equal(prober.isHealthy(), false)
    const {port} = await http.listen()
    const get = async (p: string) => {
      const r = await fetch(`http://127.0.0.1:${port}${p}`)
      return {status: r.status, body: await r.text()}
    }
    try {
      assert.deepEqual(await get('/-/healthy'), {status: 200, body: 'OK'})
      const notReady = await get('/-/ready')
      assert.equal(notReady.status, 503)
      assert.match(notReady.body, /^NOT OK/)
      prober.setReady()
      assert.deepEqual(await get('/-/ready'), {status: 200, body: 'OK'})
      prober.setNotReady('prometheus down')
      assert.deepEqual(await get('/-/ready'), {status: 503, body: 'NOT OK: prometheus down'})
      assert.match((await get('/metrics')).body, /^test_things_total 3$/m)
      assert.deepEqual(await get('/hello?n=x'), {status: 200, body: 'hi x'})
      assert.equal((await get('/nope')).status, 404)
      assert.equal((await get('/boom')).status, 500)
      assert.deepEqual(await get('/-/healthy'), {status: 200, body: 'OK'}, 'a handler error does not hurt the server')
    } finally {
      await http.close(100)
    }
  })

  it('HttpServer.close lets an in-flight request finish within the grace period', async function () {
    const http = new HttpServer({
      address: '127.0.0.1:0', registry: new Registry(), prober: new Prober(), logger: nopLogger,
      handler: async (_req, res) => {
        await sleep(200)
        res.end('late but complete')
      },
    })
    const {port} = await http.listen()
    const pending = fetch(`http://127.0.0.1:${port}/slow`).then((r) => r.text())
    await sleep(50)
    const t0 = Date.now()
    await http.close(2_000)
    assert.equal(await pending, 'late but complete')
    assert.ok(Date.now() - t0 < 1_500, 'closed as soon as the request was done')
  })

  it('Lifecycle stops in reverse order, once, survives a failing closer and aborts its signal', async function () {
    const lc = new Lifecycle(nopLogger)
    const order: string[] = []
    lc.add('first', () => void order.push('first'))
    lc.add('broken', () => {
      order.push('broken')
      throw new Error('nope')
    })
    lc.add('last', async () => {
      await sleep(10)
      order.push('last')
    })
    const loop = sleep(60_000, lc.signal)
    await Promise.all([lc.stop(), lc.stop()])
    await lc.wait()
    assert.deepEqual(order, ['last', 'broken', 'first'])
    assert.equal(lc.signal.aborted, true)
    assert.equal(await loop, false, 'sleeping loops wake up when stopping begins')
  })

  it('gRPC server binds an ephemeral port and stops within the grace period', async function () {
    const server = createGrpcServer()
    const port = await bindGrpcServer(server, '127.0.0.1:0')
    assert.ok(port > 0)
    const t0 = Date.now()
    await stopGrpcServer(server, 500)
    assert.ok(Date.now() - t0 < 2_000)
  })

  it('parses HOST:PORT and Go/Prometheus durations; rejects garbage', function () {
    assert.deepEqual(parseHostPort('0.0.0.0:10901'), {host: '0.0.0.0', port: 10901})
    assert.deepEqual(parseHostPort('[::1]:9090'), {host: '::1', port: 9090})
    assert.deepEqual(parseHostPort(':80'), {host: '0.0.0.0', port: 80})
    assert.throws(() => parseHostPort('localhost'))
    assert.throws(() => parseHostPort('h:99999'))
    assert.equal(parseDurationFlag('30s'), 30_000)
    assert.equal(parseDurationFlag('1m30s'), 90_000)
    assert.equal(parseDurationFlag('10m'), 600_000)
    assert.equal(parseDurationFlag('2h'), 7_200_000)
    assert.equal(parseDurationFlag('500ms'), 500)
    assert.equal(parseDurationFlag('0'), 0)
    for (const bad of ['', '10', 'abc', '5x', '1m 30s']) assert.throws(() => parseDurationFlag(bad), /invalid duration/, bad)
  })
})
