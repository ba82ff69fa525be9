import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {Readable} from 'node:stream'
import * as Minio from 'minio'
import {errorKind} from '../../../src/core/errors.js'
import type {Bucket} from '../../../src/core/objstore/bucket.js'
import {bucketFromConfig, objstoreConfigFromFlags} from '../../../src/core/objstore/config.js'
import {S3Bucket} from '../../../src/core/objstore/s3.js'
import {pidAlive} from '../../helpers/process.js'
import {startSeaweedS3, type SeaweedS3} from '../../helpers/s3.js'
import {bucketConformance, seededBytes} from './conformance.js'
import {thanosBucketLs, uploadMinimalBlock} from './thanos-ls.js'

const MiB = 1024 * 1024

let s3: SeaweedS3

before(async function () {
  this.timeout(120_000)
  s3 = await startSeaweedS3({buckets: ['thanos', 'conformance', 'conformance-prefixed', 'interop', 'multipart'], tls: true})
  console.log(`      SeaweedFS ready in ${s3.startupMs} ms (pid ${s3.pid()})`)
})

after(async () => {
  const pid = s3?.pid()
  const dir = s3?.dir
  await s3?.stop()
  if (pid !== undefined) assert.equal(pidAlive(pid), false, 'SeaweedFS still running after stop()')
  if (dir !== undefined) assert.equal(existsSync(dir), false, 'SeaweedFS temp dir left behind')
})

/** minio-js on its own, to look at what the server stored (ETags), independent of our bucket. */
function rawClient(): Minio.Client {
  const [host, port] = s3.endpoint.split(':')
  return new Minio.Client({endPoint: host!, port: Number(port), useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey, region: 'us-east-1'})
}

describe('objstore S3 bucket on SeaweedFS', () => {
  // A 5 MiB part size (the S3 minimum) makes the suite's 12 MiB objects multipart uploads.
  bucketConformance({makeBucket: async () => bucketFromConfig(s3.objstoreYaml({bucket: 'conformance', extra: {part_size: 5 * MiB}})), emptyDirsLinger: true})
})

describe('objstore S3 bucket on SeaweedFS under a prefix', () => {
  bucketConformance({
    makeBucket: async () => {
      const root = bucketFromConfig(s3.objstoreYaml({bucket: 'conformance-prefixed'}))
      await root.upload('outside/x', Buffer.from('x'))
      await root.upload('tenant/ab', Buffer.from('not under tenant/a/'))
      return bucketFromConfig(s3.objstoreYaml({bucket: 'conformance-prefixed', prefix: 'tenant/a', extra: {part_size: 5 * MiB}}))
    },
    emptyDirsLinger: true,
  })
  it('stored every object under the prefix', async () => {
    const raw = rawClient()
    const st = await raw.statObject('conformance-prefixed', 'tenant/a/id1/obj_1.some')
    assert.equal(st.size, 11)
    assert.equal((await raw.statObject('conformance-prefixed', 'outside/x')).size, 1)
  })
})

describe('objstore S3 uploads', () => {
  let b: Bucket
  before(() => {
    b = bucketFromConfig(s3.objstoreYaml({bucket: 'multipart', extra: {part_size: 5 * MiB}}))
  })
  after(() => b.close())

  // A multipart object's ETag is "<md5 of the part md5s>-<parts>"; a single PUT's is the md5.
  const etag = async (key: string): Promise<string> => (await rawClient().statObject('multipart', key)).etag

  it('uses one PUT below part_size and multipart at or above it, parts of part_size', async function () {
    this.timeout(60_000)
    await b.upload('small', seededBytes(5 * MiB - 1, 1))
    assert.match(await etag('small'), /^[0-9a-f]{32}$/)
    await b.upload('exact', seededBytes(5 * MiB, 2))
    assert.match(await etag('exact'), /^[0-9a-f]{32}-1$/)
    const big = seededBytes(12 * MiB, 3)
    await b.upload('big', big)
    assert.match(await etag('big'), /^[0-9a-f]{32}-3$/)
    assert.ok((await b.get('big')).equals(big))
    // A stream of unknown size is cut into parts as it comes.
    const chunks = Array.from({length: 12}, (_, i) => big.subarray(i * MiB, (i + 1) * MiB))
    await b.upload('big-stream', Readable.from(chunks))
    assert.match(await etag('big-stream'), /^[0-9a-f]{32}-3$/)
    assert.ok((await b.get('big-stream')).equals(big))
    await b.upload('small-stream', Readable.from([big.subarray(0, MiB)]))
    assert.match(await etag('small-stream'), /^[0-9a-f]{32}$/)
  })

  it('sends a 12 MiB object in one PUT with disable_multipart', async function () {
    this.timeout(60_000)
    const single = bucketFromConfig(s3.objstoreYaml({bucket: 'multipart', extra: {part_size: 5 * MiB, disable_multipart: true}}))
    const big = seededBytes(12 * MiB, 4)
    await single.upload('single', big)
    assert.match(await etag('single'), /^[0-9a-f]{32}$/)
    assert.ok((await single.get('single')).equals(big))
  })

  it('stores put_user_metadata as x-amz-meta-* headers', async () => {
    const meta = bucketFromConfig(s3.objstoreYaml({bucket: 'multipart', extra: {}}).replace('config:\n', 'config:\n  put_user_metadata:\n    Team: observability\n'))
    await meta.upload('meta', Buffer.from('m'))
    const st = await rawClient().statObject('multipart', 'meta')
    assert.equal(st.metaData.team, 'observability')
  })
})

describe('objstore S3 listing', () => {
  it('lists with ListObjects V1 as well (list_objects_version: v1), past 1000 keys', async function () {
    this.timeout(120_000)
    const v2 = bucketFromConfig(s3.objstoreYaml({bucket: 'thanos'}))
    const v1 = bucketFromConfig(s3.objstoreYaml({bucket: 'thanos', extra: {list_objects_version: 'v1'}}))
    const keys = Array.from({length: 1003}, (_, i) => `v1/${String(i).padStart(4, '0')}`)
    for (let i = 0; i < keys.length; i += 32) await Promise.all(keys.slice(i, i + 32).map((k) => v2.upload(k, Buffer.from('x'))))
    await v2.upload('v1/sub dir/x', Buffer.from('x'))
    const got: string[] = []
    for await (const k of v1.iter('v1')) got.push(k)
    assert.deepEqual(got, [...keys, 'v1/sub dir/'])
  })

  it('finds the region itself when region is empty (GET ?location, as minio-go)', async () => {
    const b = bucketFromConfig(s3.objstoreYaml({bucket: 'thanos'}))
    assert.ok(b instanceof S3Bucket)
    await b.upload('region/x', Buffer.from('x'))
    const withRegion = bucketFromConfig(s3.objstoreYaml({bucket: 'thanos', extra: {region: 'us-east-1'}}))
    assert.equal((await withRegion.get('region/x')).toString(), 'x')
  })
})

describe('objstore S3 errors', () => {
  it('names the bucket and key in a not-found error', async () => {
    const b = bucketFromConfig(s3.objstoreYaml({bucket: 'thanos'}))
    await assert.rejects(b.get('no/such/key'), (e: Error) => errorKind(e) === 'not_found' && /no\/such\/key/.test(e.message) && /thanos/.test(e.message))
  })

  it('reports a missing bucket and wrong credentials as configuration errors, without retrying', async () => {
    const missing = bucketFromConfig(s3.objstoreYaml({bucket: 'no-such-bucket', extra: {region: 'us-east-1'}}))
    const t0 = Date.now()
    await assert.rejects(missing.get('x'), (e: Error) => errorKind(e) === 'bad_data' && /NoSuchBucket/.test(e.message) && /no-such-bucket/.test(e.message))
    // A HEAD answer has no body to tell a missing bucket from a missing key: like minio-go,
    // the bucket takes it as a missing key.
    assert.equal(await missing.exists('x'), false)
    await assert.rejects(collect(missing.iter('')), (e: Error) => errorKind(e) === 'bad_data' && /NoSuchBucket/.test(e.message))
    const badKey = bucketFromConfig(s3.objstoreYaml({bucket: 'thanos'}).replace(`secret_key: ${s3.secretKey}`, 'secret_key: wrong'))
    await assert.rejects(badKey.get('x'), (e: Error) => errorKind(e) === 'bad_data' && /SignatureDoesNotMatch|AccessDenied/.test(e.message))
    assert.ok(Date.now() - t0 < 5000, 'configuration errors are not retried')
  })

  it('retries 5xx answers with backoff, up to max_retries attempts', async function () {
    this.timeout(30_000)
    const proxy = await startProxy(s3.endpoint)
    try {
      const yaml = (retries: number): string => proxy.yaml({bucket: 'thanos', extra: {region: 'us-east-1', max_retries: retries}})
      await bucketFromConfig(s3.objstoreYaml({bucket: 'thanos'})).upload('retry/x', Buffer.from('through'))

      proxy.failNext(2)
      assert.equal((await bucketFromConfig(yaml(3)).get('retry/x')).toString(), 'through')
      assert.equal(proxy.requests.length, 3, 'two 503s, then the answer')

      proxy.failNext(5)
      await assert.rejects(bucketFromConfig(yaml(2)).get('retry/x'), (e: Error) => errorKind(e) === 'unavailable' && /SlowDown/.test(e.message) && /retry\/x/.test(e.message))
      assert.equal(proxy.requests.length, 2, 'max_retries: 2 is two attempts')

      // max_retries 0 is minio-go's default of 10 attempts.
      proxy.failNext(9)
      assert.equal((await bucketFromConfig(yaml(0)).get('retry/x')).toString(), 'through')
      assert.equal(proxy.requests.length, 10)
    } finally {
      await proxy.close()
    }
  })
})

describe('objstore S3 over TLS', () => {
  const tlsYaml = (http: string): string =>
    s3
      .objstoreYaml({bucket: 'thanos', extra: {region: 'us-east-1', max_retries: 3}})
      .replace(`endpoint: ${s3.endpoint}`, `endpoint: ${s3.httpsEndpoint}`)
      .replace('  insecure: true\n', '')
      .replace('config:\n', `config:\n  http_config:\n${http}`)

  it('trusts the server with tls_config.ca_file', async () => {
    const b = bucketFromConfig(tlsYaml(`    tls_config:\n      ca_file: ${s3.caFile}\n`))
    await b.upload('tls/x', Buffer.from('over tls'))
    assert.equal((await b.get('tls/x')).toString(), 'over tls')
  })

  it('refuses an untrusted certificate at once, as a configuration error', async () => {
    const b = bucketFromConfig(tlsYaml('    idle_conn_timeout: 1m\n'))
    const t0 = Date.now()
    await assert.rejects(b.get('tls/x'), (e: Error) => errorKind(e) === 'bad_data' && /certificate/.test(e.message) && /ca_file/.test(e.message))
    assert.ok(Date.now() - t0 < 2000, 'certificate errors are not retried')
  })

  it('skips verification with http_config.insecure_skip_verify; the tls_config one alone has no effect, as in Thanos', async () => {
    assert.equal((await bucketFromConfig(tlsYaml('    insecure_skip_verify: true\n')).get('tls/x')).toString(), 'over tls')
    await assert.rejects(bucketFromConfig(tlsYaml('    tls_config:\n      insecure_skip_verify: true\n')).get('tls/x'), (e: Error) => errorKind(e) === 'bad_data' && /certificate/.test(e.message))
  })
})

describe('objstore S3 requests, as seen on the wire', () => {
  let proxy: Proxy
  before(async () => {
    proxy = await startProxy(s3.endpoint)
  })
  after(() => proxy.close())

  it('asks the bucket region first when region is empty, not when it is set', async () => {
    const b = bucketFromConfig(proxy.yaml({bucket: 'thanos'}))
    proxy.failNext(0)
    await b.upload('wire/x', Buffer.from('0123456789'))
    await b.get('wire/x')
    assert.deepEqual(
      proxy.requests.map((r) => `${r.method} ${r.url}`),
      ['GET /thanos?location=', 'PUT /thanos/wire/x', 'GET /thanos/wire/x'],
    )
    const withRegion = bucketFromConfig(proxy.yaml({bucket: 'thanos', extra: {region: 'us-east-1'}}))
    proxy.failNext(0)
    await withRegion.get('wire/x')
    assert.deepEqual(
      proxy.requests.map((r) => `${r.method} ${r.url}`),
      ['GET /thanos/wire/x'],
    )
  })

  it('sends ranges, list queries and Content-MD5 as minio-go does', async () => {
    const b = bucketFromConfig(proxy.yaml({bucket: 'thanos', extra: {region: 'us-east-1'}}))
    proxy.failNext(0)
    await b.get('wire/x')
    await b.getRange('wire/x', 2, 3)
    await b.getRange('wire/x', 2, -1)
    await b.getRange('wire/x', 0, -1)
    assert.deepEqual(
      proxy.requests.map((r) => r.headers.range),
      [undefined, 'bytes=2-4', 'bytes=2-', undefined],
    )

    proxy.failNext(0)
    for await (const _ of b.iter('wire')) void _
    for await (const _ of b.iter('wire', {recursive: true})) void _
    const v1 = bucketFromConfig(proxy.yaml({bucket: 'thanos', extra: {region: 'us-east-1', list_objects_version: 'v1'}}))
    for await (const _ of v1.iter('')) void _
    assert.deepEqual(
      proxy.requests.map((r) => r.url),
      ['/thanos?delimiter=%2F&encoding-type=url&list-type=2&prefix=wire%2F', '/thanos?encoding-type=url&list-type=2&prefix=wire%2F', '/thanos?delimiter=%2F&encoding-type=url&prefix='],
    )

    proxy.failNext(0)
    const body = Buffer.from('digest me')
    await b.upload('wire/md5', body)
    const noMd5 = bucketFromConfig(proxy.yaml({bucket: 'thanos', extra: {region: 'us-east-1', send_content_md5: false}}))
    await noMd5.upload('wire/nomd5', body)
    assert.deepEqual(
      proxy.requests.map((r) => r.headers['content-md5']),
      [createHash('md5').update(body).digest('base64'), undefined],
    )
    assert.equal((await b.get('wire/nomd5')).toString(), 'digest me')
  })

  it('uploads the parts of a multipart upload in order, then completes it', async function () {
    this.timeout(60_000)
    const b = bucketFromConfig(proxy.yaml({bucket: 'thanos', extra: {region: 'us-east-1', part_size: 5 * MiB}}))
    proxy.failNext(0)
    await b.upload('wire/parts', seededBytes(11 * MiB, 9))
    const calls = proxy.requests.map((r) => `${r.method} ${r.url.replace(/uploadId=[^&]+/, 'uploadId=ID')} ${r.headers['content-length'] ?? ''}`)
    assert.deepEqual(calls.slice(0, 4), [
      'POST /thanos/wire/parts?uploads= 0',
      `PUT /thanos/wire/parts?partNumber=1&uploadId=ID ${5 * MiB}`,
      `PUT /thanos/wire/parts?partNumber=2&uploadId=ID ${5 * MiB}`,
      `PUT /thanos/wire/parts?partNumber=3&uploadId=ID ${1 * MiB}`,
    ])
    assert.match(calls[4]!, /^POST \/thanos\/wire\/parts\?uploadId=ID \d+$/)
    assert.equal(calls.length, 5)
  })
})

interface Proxy {
  endpoint: string
  /** Requests seen since the last failNext(). */
  requests: Array<{method: string; url: string; headers: http.IncomingHttpHeaders}>
  /** Answers the next `n` requests with 503 SlowDown instead of passing them on; clears `requests`. */
  failNext(n: number): void
  yaml(o: {bucket: string; extra?: Record<string, string | number | boolean>}): string
  close(): Promise<void>
}

/**
 * A recording proxy in front of the real server, which can answer requests with 503 SlowDown.
 * Headers pass unchanged, so the signature made for the proxy's host:port still verifies.
 */
async function startProxy(target: string): Promise<Proxy> {
  const [host, port] = target.split(':')
  let fail = 0
  const requests: Proxy['requests'] = []
  const server = http.createServer((req, res) => {
    requests.push({method: req.method ?? '', url: req.url ?? '', headers: req.headers})
    if (fail > 0) {
      fail--
      req.resume()
      res.writeHead(503, {'content-type': 'application/xml'})
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>')
      return
    }
    const up = http.request({host, port: Number(port), method: req.method, path: req.url, headers: req.headers}, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers)
      ur.pipe(res)
    })
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const endpoint = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    endpoint,
    requests,
    failNext(n) {
      fail = n
      requests.length = 0
    },
    yaml: (o) => s3.objstoreYaml(o).replace(`endpoint: ${s3.endpoint}`, `endpoint: ${endpoint}`),
    async close() {
      server.closeAllConnections()
      await new Promise((r) => server.close(r))
    },
  }
}

describe('objstore S3 bucket read by the real thanos', () => {
  it('thanos tools bucket ls lists the blocks we wrote, with the same config, env substitution and prefix included', async function () {
    this.timeout(60_000)
    const ulids = ['01JDZ3S8WQ6K3V9Q2X7Y5A1B2C', '01JDZ4A0000000000000000000']
    // The secret comes from the environment, substituted by us and by thanos alike.
    const yaml = (prefix?: string): string => s3.objstoreYaml({bucket: 'interop', prefix}).replace(`secret_key: ${s3.secretKey}`, 'secret_key: $(THANOSTS_TEST_S3_SECRET)')
    const env = {THANOSTS_TEST_S3_SECRET: s3.secretKey}
    const plain = bucketFromConfig((await objstoreConfigFromFlags({config: yaml()}, {env}))!)
    await uploadMinimalBlock(plain, ulids[0]!, {cluster: 'eu1', replica: 'a'})
    await plain.upload('not-a-block/meta.json', Buffer.from('{}'))
    const prefixed = bucketFromConfig((await objstoreConfigFromFlags({config: yaml('tenant')}, {env}))!)
    await uploadMinimalBlock(prefixed, ulids[1]!, {cluster: 'us1'})

    assert.deepEqual(
      (await thanosBucketLs(yaml(), env)).map((m) => [m.ulid, m.thanos.labels]),
      [[ulids[0], {cluster: 'eu1', replica: 'a'}]],
    )
    assert.deepEqual(
      (await thanosBucketLs(yaml('tenant'), env)).map((m) => [m.ulid, m.thanos.labels]),
      [[ulids[1], {cluster: 'us1'}]],
    )
  })
})

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = []
  for await (const k of it) out.push(k)
  return out
}
