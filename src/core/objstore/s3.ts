/**
 * The S3 bucket (Thanos objstore `providers/s3/s3.go`, which uses minio-go v7): the requests
 * have the shape minio-go gives them, so any server Thanos works with works.
 * - Iter: ListObjectsV2 (or V1 with `list_objects_version: v1`) with the prefix `dir/`, the
 *   delimiter `/` unless recursive, following continuation tokens; `dir/` itself is skipped.
 *   Within a page S3 returns keys and common prefixes as two sorted lists; they are merged, so
 *   entries come out in one sorted order (minio-go yields all keys of a page, then its prefixes).
 * - Get / GetRange: GET with `Range: bytes=off-end` (`bytes=off-` for length -1). A range that
 *   starts at or past the end is answered 416 InvalidRange by S3; Thanos then fails (its
 *   acceptance test says "do not rely on outcome"), this bucket returns an empty buffer as the
 *   contract and the FILESYSTEM bucket do.
 * - Exists / Attributes: HEAD; a 404 is a missing object (minio-go maps a bodiless 404 on an
 *   object to NoSuchKey).
 * - Upload: one PUT below `part_size`, multipart at or above it unless `disable_multipart`;
 *   every request body is a buffer (a part at most), so each request can be retried.
 * - Delete: DELETE; a missing object is not an error.
 * Requests are built and sent by s3-http.ts (signed with minio-js's SigV4 signer); statuses,
 * retries (s3-retry.ts) and the mapping to typed errors are here.
 */
import {createHash} from 'node:crypto'
import {BadDataError, ThanostsError, UnavailableError} from '../errors.js'
import type {Logger} from '../log.js'
import {compareKeys, ObjectNotFoundError, type Bucket, type BucketCallOptions, type IterOptions, type ObjectAttributes} from './bucket.js'
import {MAX_PART_SIZE, type S3BucketConfig} from './s3-config.js'
import {queryString, S3Client, S3StatusError, type S3Credentials, type S3Request, type S3Response} from './s3-http.js'
import {attemptsFor, backoff, isCertificateError, isRetryableNetworkError, isRetryableStatus} from './s3-retry.js'
import {escapeXml, parseErrorBody, parseListBucketResult, parseUploadId} from './s3-xml.js'

/** S3's limit on the parts of one multipart upload. */
const MAX_PARTS = 10_000
/** How long an abort of a failed multipart upload may take (it runs after the caller gave up). */
const ABORT_UPLOAD_TIMEOUT_MS = 30_000

export interface S3BucketOptions {
  logger?: Logger
  /** Environment for the AWS credential variables (tests); process.env by default. */
  env?: NodeJS.ProcessEnv
}

export class S3Bucket implements Bucket {
  readonly name = 'S3'
  readonly bucketName: string
  private readonly http: S3Client
  private readonly attempts: number
  private readonly putHeaders: Record<string, string>
  private readonly logger: Logger | undefined

  constructor(
    private readonly cfg: S3BucketConfig,
    opts: S3BucketOptions = {},
  ) {
    this.bucketName = cfg.bucket
    this.logger = opts.logger
    this.attempts = attemptsFor(cfg.maxRetries)
    this.putHeaders = putHeaders(cfg.putUserMetadata)
    const {host, port} = splitEndpoint(cfg.endpoint)
    const secure = !cfg.insecure
    const creds = credentials(cfg, opts.env ?? process.env)
    if (!creds.accessKey || !creds.secretKey) {
      opts.logger?.warn('S3 bucket: no access_key/secret_key in the config and no AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in the environment; requests are anonymous (thanosts does not read ~/.aws/credentials or IAM instance roles)', {bucket: cfg.bucket})
    }
    if (cfg.http.tlsConfig.insecureSkipVerify && !cfg.http.insecureSkipVerify) {
      opts.logger?.warn('S3 bucket: http_config.tls_config.insecure_skip_verify has no effect, as in Thanos (http_config.insecure_skip_verify decides)', {bucket: cfg.bucket})
    }
    this.http = new S3Client(cfg, {host, port, secure, virtualHost: useVirtualHost(cfg, host, secure), credentials: creds, logger: opts.logger})
  }

  async *iter(dir: string, opts: IterOptions = {}): AsyncIterable<string> {
    // As upstream: a non-empty dir always ends with one `/`, so `a` does not list `ab/`.
    const prefix = dir === '' ? '' : dir.replace(/\/+$/, '') + '/'
    const v1 = this.cfg.listObjectsVersion === 'v1'
    let token = ''
    for (;;) {
      const q: Record<string, string> = {'encoding-type': 'url', prefix}
      if (!opts.recursive) q.delimiter = '/'
      if (v1) {
        if (token) q.marker = token
      } else {
        q['list-type'] = '2'
        if (token) q['continuation-token'] = token
      }
      const page = await this.call('iter', prefix, opts.signal, async () => {
        const res = await this.send({method: 'GET', query: queryString(q)}, opts.signal)
        this.check(res, [200], false)
        return parseListBucketResult(res.body.toString('utf8'))
      })
      for (const name of mergeSorted(page.keys, page.prefixes)) {
        if (name !== '' && name !== prefix) yield name
      }
      if (!page.isTruncated) return
      const next = v1 ? page.nextMarker || lastOf(page.keys, page.prefixes) : page.nextContinuationToken
      if (!next || next === token) throw new ThanostsError('internal', `S3 bucket ${this.bucketName}: listing "${prefix}" is truncated but gives no way to continue`)
      token = next
    }
  }

  async get(key: string, opts: BucketCallOptions = {}): Promise<Buffer> {
    return this.getRange(key, 0, -1, opts)
  }

  async getRange(key: string, offset: number, length: number, opts: BucketCallOptions = {}): Promise<Buffer> {
    checkKey(key)
    if (offset < 0) throw new BadDataError(`negative offset ${offset} reading ${key}`)
    if (length === 0) {
      await this.attributes(key, opts) // a missing object is still an error
      return Buffer.alloc(0)
    }
    const headers: Record<string, string> = {}
    if (length > 0) headers.range = `bytes=${offset}-${offset + length - 1}`
    else if (offset > 0) headers.range = `bytes=${offset}-`
    return this.call('get', key, opts.signal, async () => {
      const res = await this.send({method: 'GET', key, headers}, opts.signal)
      // Past the end: 416 InvalidRange (also for any range of an empty object).
      if (res.status === 416) return Buffer.alloc(0)
      this.check(res, [200, 206])
      if (res.status === 200 && headers.range) {
        // A server that ignores Range sends the whole object: cut it here.
        return res.body.subarray(Math.min(offset, res.body.length), length > 0 ? Math.min(res.body.length, offset + length) : undefined)
      }
      return res.body
    })
  }

  async exists(key: string, opts: BucketCallOptions = {}): Promise<boolean> {
    try {
      await this.attributes(key, opts)
      return true
    } catch (e) {
      if (e instanceof ObjectNotFoundError) return false
      throw e
    }
  }

  async attributes(key: string, opts: BucketCallOptions = {}): Promise<ObjectAttributes> {
    checkKey(key)
    return this.call('attributes', key, opts.signal, async () => {
      const res = await this.send({method: 'HEAD', key}, opts.signal)
      this.check(res, [200])
      const size = Number(res.headers['content-length'])
      const lastModified = new Date(res.headers['last-modified'] ?? NaN)
      if (!Number.isSafeInteger(size) || Number.isNaN(lastModified.getTime())) {
        throw new ThanostsError('internal', `S3 bucket ${this.bucketName}: HEAD "${key}" without a valid Content-Length or Last-Modified`)
      }
      return {size, lastModified}
    })
  }

  async upload(key: string, body: Buffer | NodeJS.ReadableStream, opts: BucketCallOptions & {size?: number} = {}): Promise<void> {
    checkKey(key)
    opts.signal?.throwIfAborted()
    const partSize = this.cfg.partSize
    const size = Buffer.isBuffer(body) ? body.length : opts.size
    if (size !== undefined && !this.cfg.disableMultipart && Math.ceil(size / partSize) > MAX_PARTS) {
      throw new BadDataError(`S3 bucket ${this.bucketName}: "${key}" of ${size} bytes needs more than ${MAX_PARTS} parts of part_size ${partSize}; raise part_size`)
    }
    const parts = new PartReader(body, opts.signal)
    try {
      // The whole object in one PUT when multipart is off (S3 takes up to 5 GiB in one PUT).
      const first = await parts.read(this.cfg.disableMultipart ? MAX_PART_SIZE : partSize)
      if (this.cfg.disableMultipart || first.length < partSize) {
        if (!(await parts.ended())) throw new BadDataError(`S3 bucket ${this.bucketName}: "${key}" is larger than 5 GiB, the limit of one PUT (disable_multipart is set)`)
        await this.putObject(key, first, opts.signal)
        return
      }
      await this.multipartUpload(key, first, parts, opts.signal)
    } finally {
      parts.close()
    }
  }

  async delete(key: string, opts: BucketCallOptions = {}): Promise<void> {
    checkKey(key)
    await this.call('delete', key, opts.signal, async () => {
      const res = await this.send({method: 'DELETE', key}, opts.signal)
      if (res.status === 404 && errorCode(res) !== 'NoSuchBucket') return
      this.check(res, [200, 204])
    })
  }

  async close(): Promise<void> {
    this.http.close()
  }

  private async putObject(key: string, body: Buffer, signal: AbortSignal | undefined): Promise<void> {
    await this.call('upload', key, signal, async () => {
      const res = await this.send({method: 'PUT', key, headers: {...this.putHeaders, ...this.md5(body)}, body}, signal)
      this.check(res, [200])
    })
  }

  private async multipartUpload(key: string, first: Buffer, parts: PartReader, signal: AbortSignal | undefined): Promise<void> {
    const uploadId = await this.call('upload', key, signal, async () => {
      const res = await this.send({method: 'POST', key, query: 'uploads=', headers: this.putHeaders}, signal)
      this.check(res, [200])
      return parseUploadId(res.body.toString('utf8'))
    })
    try {
      const etags: string[] = []
      for (let part = first; part.length > 0; part = await parts.read(this.cfg.partSize)) {
        const partNumber = etags.length + 1
        if (partNumber > MAX_PARTS) throw new BadDataError(`S3 bucket ${this.bucketName}: "${key}" needs more than ${MAX_PARTS} parts of part_size ${this.cfg.partSize}; raise part_size`)
        const query = queryString({partNumber: String(partNumber), uploadId})
        etags.push(
          await this.call('upload', key, signal, async () => {
            const res = await this.send({method: 'PUT', key, query, headers: this.md5(part), body: part}, signal)
            this.check(res, [200])
            const etag = res.headers.etag
            if (!etag) throw new ThanostsError('internal', `S3 bucket ${this.bucketName}: part ${partNumber} of "${key}" has no ETag`)
            return etag
          }),
        )
      }
      const xml =
        '<CompleteMultipartUpload>' +
        etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${escapeXml(e)}</ETag></Part>`).join('') +
        '</CompleteMultipartUpload>'
      await this.call('upload', key, signal, async () => {
        const res = await this.send({method: 'POST', key, query: queryString({uploadId}), headers: {'content-type': 'application/xml'}, body: Buffer.from(xml)}, signal)
        this.check(res, [200])
        // S3 may answer 200 and still fail the completion in the body.
        const err = parseErrorBody(res.body.toString('utf8'))
        if (err) throw new S3StatusError(err.code === 'InternalError' ? 500 : 400, err.code, err.message)
      })
    } catch (e) {
      await this.abortUpload(key, uploadId)
      throw e
    }
  }

  /** Best effort: the parts of a failed upload would otherwise be stored (and billed) forever. */
  private async abortUpload(key: string, uploadId: string): Promise<void> {
    try {
      const signal = AbortSignal.timeout(ABORT_UPLOAD_TIMEOUT_MS)
      const res = await this.send({method: 'DELETE', key, query: queryString({uploadId})}, signal)
      if (res.status !== 204 && res.status !== 404) this.logger?.warn('S3 bucket: aborting a failed multipart upload', {bucket: this.bucketName, key, status: res.status})
    } catch (e) {
      this.logger?.warn('S3 bucket: aborting a failed multipart upload', {bucket: this.bucketName, key, err: e})
    }
  }

  private md5(body: Buffer): Record<string, string> {
    return this.cfg.sendContentMd5 ? {'content-md5': createHash('md5').update(body).digest('base64')} : {}
  }

  private send(r: S3Request, signal: AbortSignal | undefined): Promise<S3Response> {
    return this.http.send(r, signal)
  }

  /**
   * Throws the response's error unless its status is one of `ok`. A 404 without a body (HEAD)
   * on an object request is NoSuchKey, as minio-go's httpRespToErrorResponse decides.
   */
  private check(res: S3Response, ok: number[], objectRequest = true): void {
    if (ok.includes(res.status)) return
    const err = parseErrorBody(res.body.toString('utf8'))
    const code = err?.code || (res.status === 404 && objectRequest ? 'NoSuchKey' : '')
    throw new S3StatusError(res.status, code, err?.message || `HTTP ${res.status}`)
  }

  /** Runs one request (`fn`) with minio-go's retries and maps its failure to a typed error. */
  private async call<T>(op: string, key: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted()
      try {
        return await fn()
      } catch (e) {
        if (signal?.aborted) throw signal.reason
        const last = attempt + 1 >= this.attempts
        if (e instanceof S3StatusError) {
          if (!last && isRetryableStatus(e.status, e.code)) {
            await backoff(attempt, signal)
            continue
          }
          throw this.mapStatusError(e, op, key, attempt + 1)
        }
        if (e instanceof ThanostsError) throw e
        if (isCertificateError(e)) {
          throw new BadDataError(`S3 bucket ${this.bucketName} at ${this.cfg.endpoint}: TLS certificate not trusted: ${(e as Error).message} (see http_config.tls_config.ca_file, http_config.insecure_skip_verify)`, {cause: e})
        }
        if (!last && isRetryableNetworkError(e)) {
          await backoff(attempt, signal)
          continue
        }
        throw new UnavailableError(`S3 bucket ${this.bucketName} at ${this.cfg.endpoint} unreachable: ${op} "${key}": ${describeNetworkError(e)} (${attempt + 1} attempts)`, {cause: e})
      }
    }
  }

  private mapStatusError(e: S3StatusError, op: string, key: string, attempts: number): Error {
    if (e.code === 'NoSuchKey') return new ObjectNotFoundError(key, this.bucketName)
    const what = `S3 bucket ${this.bucketName}: ${op} "${key}": ${e.code ? `${e.code}: ` : ''}${e.message}${e.status ? ` (HTTP ${e.status})` : ''}`
    if (e.status >= 500 || isRetryableStatus(e.status, e.code)) return new UnavailableError(`${what} (${attempts} attempts)`, {cause: e})
    if (CONFIG_ERROR_CODES.has(e.code) || e.status === 401 || e.status === 403 || e.status === 301) {
      return new BadDataError(`${what}; check the bucket configuration`, {cause: e})
    }
    return new ThanostsError('internal', what, {cause: e})
  }
}

/** S3 errors that mean the bucket configuration is wrong (bucket name, credentials, region). */
const CONFIG_ERROR_CODES = new Set([
  'NoSuchBucket',
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AuthorizationHeaderMalformed',
  'InvalidBucketName',
  'PermanentRedirect',
  'InvalidRegion',
  'InvalidToken',
])

function describeNetworkError(e: unknown): string {
  const err = e as {code?: unknown; message?: unknown; errors?: unknown}
  // Node reports a refused dual-stack connect as an AggregateError with an empty message.
  const msg = typeof err?.message === 'string' && err.message ? err.message : Array.isArray(err?.errors) ? err.errors.map((x) => String((x as Error).message)).join('; ') : String(e)
  return typeof err?.code === 'string' && !msg.includes(err.code) ? `${err.code}: ${msg}` : msg
}

function errorCode(res: S3Response): string {
  return parseErrorBody(res.body.toString('utf8'))?.code ?? ''
}

function checkKey(key: string): void {
  if (key === '') throw new BadDataError('object name is empty')
}

/** host, host:port, [v6]:port → host and port. */
export function splitEndpoint(endpoint: string): {host: string; port: number | undefined} {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(endpoint) ?? /^([^:]+)(?::(\d+))?$/.exec(endpoint)
  if (!m) return {host: endpoint, port: undefined}
  const port = m[2] === undefined ? undefined : Number(m[2])
  if (port !== undefined && (port < 1 || port > 65535)) throw new BadDataError(`S3 endpoint "${endpoint}": invalid port`)
  return {host: m[1]!, port}
}

/**
 * bucket_lookup_type as minio-go: `auto` puts the bucket in the host name only for AWS, Google
 * and Aliyun endpoints (s3utils.IsVirtualHostSupported), and never for a dotted bucket over
 * HTTPS (the wildcard certificate would not match).
 */
function useVirtualHost(cfg: S3BucketConfig, host: string, secure: boolean): boolean {
  if (cfg.bucketLookupType === 'path') return false
  if (cfg.bucketLookupType === 'virtual-hosted') return true
  if (secure && cfg.bucket.includes('.')) return false
  const h = host.toLowerCase()
  return /(^|\.)s3([.-][a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/.test(h) || h === 'storage.googleapis.com' || h.endsWith('aliyuncs.com')
}

/**
 * Static keys from the config, else from the environment as minio-go's `credentials.EnvAWS`.
 * minio-go would go on to ~/.aws/credentials and the EC2 instance role; thanosts does not.
 */
function credentials(cfg: S3BucketConfig, env: NodeJS.ProcessEnv): S3Credentials {
  if (cfg.accessKey) return {accessKey: cfg.accessKey, secretKey: cfg.secretKey, sessionToken: cfg.sessionToken || undefined}
  const accessKey = env.AWS_ACCESS_KEY_ID || env.AWS_ACCESS_KEY || ''
  const secretKey = env.AWS_SECRET_ACCESS_KEY || env.AWS_SECRET_KEY || ''
  return {accessKey, secretKey, sessionToken: env.AWS_SESSION_TOKEN || undefined}
}

/**
 * Headers of PUT and CreateMultipartUpload: `put_user_metadata` as x-amz-meta-* (keys that are
 * already x-amz-* or standard headers pass as they are, as in minio-go), X-Amz-Storage-Class
 * as the storage class (Thanos takes it out of the metadata), and minio-go's default type.
 */
function putHeaders(meta: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = {'content-type': 'application/octet-stream'}
  const standard = new Set(['content-type', 'cache-control', 'content-encoding', 'content-disposition', 'content-language', 'expires'])
  for (const [k, v] of Object.entries(meta)) {
    const lk = k.toLowerCase()
    if (lk.startsWith('x-amz-') || standard.has(lk)) h[lk] = v
    else h[`x-amz-meta-${lk}`] = v
  }
  return h
}

function* mergeSorted(a: string[], b: string[]): Iterable<string> {
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && compareKeys(a[i]!, b[j]!) <= 0)) yield a[i++]!
    else yield b[j++]!
  }
}

function lastOf(a: string[], b: string[]): string {
  const x = a[a.length - 1] ?? ''
  const y = b[b.length - 1] ?? ''
  return compareKeys(x, y) >= 0 ? x : y
}

/** Reads a body in parts of a given size: a buffer is sliced, a stream is gathered. */
class PartReader {
  private readonly it: AsyncIterator<string | Buffer> | undefined
  private pending: Buffer[] = []
  private pendingBytes = 0
  private done = false
  private offset = 0

  constructor(
    private readonly body: Buffer | NodeJS.ReadableStream,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.it = Buffer.isBuffer(body) ? undefined : (body as AsyncIterable<string | Buffer>)[Symbol.asyncIterator]()
  }

  /** Up to `n` bytes; fewer only at the end, empty once the body is consumed. */
  async read(n: number): Promise<Buffer> {
    if (Buffer.isBuffer(this.body)) {
      const out = this.body.subarray(this.offset, this.offset + n)
      this.offset += out.length
      return out
    }
    while (this.pendingBytes < n && !this.done) {
      this.signal?.throwIfAborted()
      const r = await this.it!.next()
      if (r.done) {
        this.done = true
        break
      }
      const c = typeof r.value === 'string' ? Buffer.from(r.value) : r.value
      this.pending.push(c)
      this.pendingBytes += c.length
    }
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending)
    const out = all.subarray(0, n)
    const rest = all.subarray(n)
    this.pending = rest.length > 0 ? [rest] : []
    this.pendingBytes = rest.length
    return out
  }

  /** Whether the body is consumed (peeks one byte of a stream and keeps it). */
  async ended(): Promise<boolean> {
    if (Buffer.isBuffer(this.body)) return this.offset >= this.body.length
    if (this.pendingBytes > 0) return false
    const b = await this.read(1)
    if (b.length === 0) return true
    this.pending.unshift(b)
    this.pendingBytes += b.length
    return false
  }

  /** Stops reading a stream we gave up on (abort, failure). */
  close(): void {
    if (!Buffer.isBuffer(this.body) && !this.done) void this.it?.return?.()
  }
}
