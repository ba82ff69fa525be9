/**
 * An S3 server that is not there, gone, or stuck: the bucket fails with an `unavailable` error
 * naming the bucket and key, within a bounded time, and never hangs.
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import {errorKind} from '../../../src/core/errors.js'
import {bucketFromConfig} from '../../../src/core/objstore/config.js'
import {freePort} from '../../helpers/ports.js'
import {startSeaweedS3} from '../../helpers/s3.js'

const yamlFor = (endpoint: string, extra = ''): string =>
  `type: S3\nconfig:\n  bucket: thanos\n  endpoint: ${endpoint}\n  access_key: k\n  secret_key: s\n  insecure: true\n  region: us-east-1\n${extra}`

async function timed<T>(p: Promise<T>): Promise<[T | Error, number]> {
  const t0 = Date.now()
  try {
    return [await p, Date.now() - t0]
  } catch (e) {
    return [e as Error, Date.now() - t0]
  }
}

function assertUnavailable(e: unknown, ...mentions: RegExp[]): void {
  assert.ok(e instanceof Error, `expected an error, got ${String(e)}`)
  assert.equal(errorKind(e), 'unavailable', e.message)
  for (const m of mentions) assert.match(e.message, m)
}

describe('objstore S3 bucket, server down', () => {
  it('a closed port fails fast with max_retries: 1', async () => {
    const port = await freePort()
    const b = bucketFromConfig(yamlFor(`127.0.0.1:${port}`, '  max_retries: 1\n'))
    const [e, ms] = await timed(b.get('some/key'))
    assertUnavailable(e, /bucket thanos/, /some\/key/, /ECONNREFUSED/, /1 attempts/)
    assert.ok(ms < 2000, `took ${ms} ms`)
  })

  it('a closed port fails within minio-go default 10 attempts of capped backoff', async function () {
    this.timeout(45_000)
    const port = await freePort()
    const b = bucketFromConfig(yamlFor(`127.0.0.1:${port}`))
    const ops: Array<() => Promise<unknown>> = [() => b.exists('k'), () => b.upload('k', Buffer.from('x')), async () => { for await (const _ of b.iter('')) void _ }]
    for (const op of ops) {
      const [e, ms] = await timed(op())
      assertUnavailable(e, /ECONNREFUSED/, /10 attempts/)
      // Backoff sleeps are at most 200, 400, 800 ms, then 1 s: under 9.4 s for 9 sleeps.
      assert.ok(ms < 12_000, `took ${ms} ms`)
    }
  })

  it('a server stopped under a live bucket gives unavailable, not a hang', async function () {
    this.timeout(120_000)
    const s3 = await startSeaweedS3()
    const b = bucketFromConfig(s3.objstoreYaml({extra: {max_retries: 3}}))
    try {
      await b.upload('gone/x', Buffer.from('x'))
      assert.equal((await b.get('gone/x')).toString(), 'x')
    } finally {
      await s3.stop()
    }
    const [e, ms] = await timed(b.get('gone/x'))
    assertUnavailable(e, /gone\/x/, /3 attempts/)
    assert.ok(ms < 5000, `took ${ms} ms`)
  })

  describe('a server that accepts connections and never answers', () => {
    let server: net.Server
    let endpoint: string
    const sockets = new Set<net.Socket>()
    before(async () => {
      server = net.createServer((s) => {
        sockets.add(s)
        s.on('close', () => sockets.delete(s))
        s.resume()
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      endpoint = `127.0.0.1:${(server.address() as net.AddressInfo).port}`
    })
    after(async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    })

    it('times out awaiting response headers (http_config.response_header_timeout), each attempt', async function () {
      this.timeout(20_000)
      const b = bucketFromConfig(yamlFor(endpoint, '  max_retries: 2\n  http_config:\n    response_header_timeout: 300ms\n'))
      const [e, ms] = await timed(b.get('stuck/key'))
      assertUnavailable(e, /stuck\/key/, /timeout awaiting response headers after 300 ms/, /2 attempts/)
      assert.ok(ms >= 600 && ms < 3000, `took ${ms} ms`)
    })

    it('stops waiting when the AbortSignal fires', async () => {
      const b = bucketFromConfig(yamlFor(endpoint))
      const [e, ms] = await timed(b.get('stuck/key', {signal: AbortSignal.timeout(200)}))
      assert.ok(e instanceof Error)
      assert.equal(e.name, 'TimeoutError', e.message)
      assert.ok(ms < 1500, `took ${ms} ms`)
    })
  })
})
