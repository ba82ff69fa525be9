/**
 * One S3 request: built as minio-go builds it (thanos-io/objstore's S3 provider is minio-go v7),
 * signed with minio-js's SigV4 signer, sent over Node's http/https with the caller's
 * AbortSignal, read whole. No retries and no status interpretation here (s3.ts does both).
 *
 * Why not minio-js's Client for the requests: it takes no AbortSignal; with retries disabled
 * it still turns a 5xx answer into "Request failed after 0 retries" and drops the response, so
 * neither the status nor the S3 error code can be seen; and its XML parser turns digit-only keys
 * and continuation tokens into numbers. The signature is the delicate part, and that is
 * minio-js's.
 *
 * - Bucket in the path, or in the host name (bucket_lookup_type, s3.ts decides).
 * - Region: the configured one, else asked once with GET ?location signed for us-east-1
 *   (minio-go `getBucketLocation`; AccessDenied there means us-east-1, as minio-go).
 * - Payload hash: the body's SHA-256 over plain HTTP, UNSIGNED-PAYLOAD over TLS (as minio-js;
 *   minio-go streams aws-chunked over plain HTTP instead: same object, other framing).
 *
 * Go transport settings (thanos-io/objstore `exthttp/transport.go` `DefaultTransport`) as
 * applied here:
 * - idle_conn_timeout: idle keep-alive sockets are closed after it (agent `timeout`, which Node
 *   applies to free sockets only);
 * - response_header_timeout: time from the request being written to the response headers;
 * - tls_handshake_timeout: time from TCP connect to the end of the TLS handshake;
 * - the 30 s dial timeout of the default Go dialer;
 * - max_conns_per_host (0 = unlimited), max_idle_conns_per_host (0 = Go's default of 2) and
 *   max_idle_conns bound the agent's sockets;
 * - expect_continue_timeout and disable_compression have nothing to act on: this client sends
 *   no `Expect: 100-continue` and asks for no compressed responses.
 */
import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import http, {type IncomingHttpHeaders} from 'node:http'
import https from 'node:https'
import type {Socket} from 'node:net'
import {signV4} from 'minio/dist/esm/signing.mjs'
import {BadDataError} from '../errors.js'
import type {Logger} from '../log.js'
import type {S3BucketConfig, S3HttpConfig} from './s3-config.js'
import {parseErrorBody} from './s3-xml.js'

/** Go's net.Dialer timeout in exthttp.DefaultTransport. */
const DIAL_TIMEOUT_MS = 30_000
/** net/http DefaultMaxIdleConnsPerHost, used when max_idle_conns_per_host is 0. */
const GO_DEFAULT_MAX_IDLE_PER_HOST = 2
const DEFAULT_REGION = 'us-east-1'
const USER_AGENT = `thanosts-objstore (${process.platform}; ${process.arch})`

export interface S3Request {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE'
  /** Object key; absent for bucket requests (list, location). */
  key?: string
  /** Query string, already escaped (`queryString`). */
  query?: string
  headers?: Record<string, string>
  body?: Buffer
}

export interface S3Response {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** An answer with a status the operation does not accept, before it is mapped to a typed error. */
export class S3StatusError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'S3StatusError'
  }
}

/** A dial, TLS or response-header timeout: a network failure minio-go would retry. */
export class TransportTimeoutError extends Error {
  readonly code = 'ETIMEDOUT'
}

export interface S3Credentials {
  accessKey: string
  secretKey: string
  sessionToken?: string
}

export interface S3ClientOptions {
  host: string
  port: number | undefined
  secure: boolean
  virtualHost: boolean
  credentials: S3Credentials
  logger?: Logger
}

export class S3Client {
  private readonly agent: http.Agent
  private readonly lib: typeof http | typeof https
  private region: string | undefined
  private regionLookup: Promise<string> | undefined

  constructor(
    private readonly cfg: S3BucketConfig,
    private readonly opts: S3ClientOptions,
  ) {
    this.region = cfg.region || undefined
    this.agent = newAgent(cfg.http, opts.secure)
    this.lib = opts.secure ? https : http
  }

  close(): void {
    this.agent.destroy()
  }

  /** Sends one request (after finding the bucket's region if needed) and reads the whole answer. */
  async send(r: S3Request, signal: AbortSignal | undefined): Promise<S3Response> {
    const region = this.region ?? (await this.lookupRegion(signal))
    return this.sendIn(region, r, signal)
  }

  private lookupRegion(signal: AbortSignal | undefined): Promise<string> {
    // One lookup at a time; a failed one is forgotten so the next call asks again.
    this.regionLookup ??= (async () => {
      const res = await this.sendIn(DEFAULT_REGION, {method: 'GET', query: 'location='}, signal)
      if (res.status === 200) {
        const loc = /<LocationConstraint[^>]*>([^<]*)<\/LocationConstraint>/.exec(res.body.toString('utf8'))?.[1] ?? ''
        return loc === '' ? DEFAULT_REGION : loc === 'EU' ? 'eu-west-1' : loc
      }
      const err = parseErrorBody(res.body.toString('utf8'))
      if (res.status === 403 && (err?.code ?? 'AccessDenied') === 'AccessDenied') return DEFAULT_REGION
      throw new S3StatusError(res.status, err?.code ?? '', `bucket location: ${err?.message || `HTTP ${res.status}`}`)
    })().then(
      (region) => (this.region = region),
      (e: unknown) => {
        this.regionLookup = undefined
        throw e
      },
    )
    return this.regionLookup
  }

  private async sendIn(region: string, r: S3Request, signal: AbortSignal | undefined): Promise<S3Response> {
    const {host, port, secure, virtualHost, credentials: creds} = this.opts
    const bucket = this.cfg.bucket
    const key = r.key === undefined ? '' : escapePath(r.key)
    const reqHost = awsRegionalHost(host, region, !this.cfg.disableDualstack) ?? host
    const hostHeader = virtualHost ? `${bucket}.${reqHost}` : reqHost
    const path = (virtualHost ? `/${key}` : r.key === undefined ? `/${bucket}` : `/${bucket}/${key}`) + (r.query ? `?${r.query}` : '')
    const body = r.body ?? Buffer.alloc(0)
    const headers: Record<string, string> = {
      host: port === undefined || port === (secure ? 443 : 80) ? bracket(hostHeader) : `${bracket(hostHeader)}:${port}`,
      'user-agent': USER_AGENT,
    }
    for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v
    if (r.method === 'PUT' || r.method === 'POST' || body.length > 0) headers['content-length'] = String(body.length)
    if (creds.accessKey && creds.secretKey) {
      const date = new Date()
      const sha = secure ? 'UNSIGNED-PAYLOAD' : createHash('sha256').update(body).digest('hex')
      headers['x-amz-date'] = date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
      headers['x-amz-content-sha256'] = sha
      if (creds.sessionToken) headers['x-amz-security-token'] = creds.sessionToken
      headers.authorization = signV4({protocol: secure ? 'https:' : 'http:', port, method: r.method, path, headers}, creds.accessKey, creds.secretKey, region, date, sha)
    }
    const t0 = Date.now()
    const res = await new Promise<S3Response>((resolve, reject) => {
      const req = this.lib.request({host: virtualHost ? `${bucket}.${reqHost}` : reqHost, port, method: r.method, path, headers, agent: this.agent, signal}, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.once('error', reject)
        res.once('aborted', () => reject(signal?.aborted ? signal.reason : Object.assign(new Error('response aborted'), {code: 'ECONNRESET'})))
        res.once('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks)}))
      })
      req.once('error', reject)
      armTimeouts(req, this.cfg.http)
      req.end(body)
    })
    if (this.cfg.traceEnable) {
      this.opts.logger?.debug('s3 trace', {method: r.method, host: hostHeader, path, status: res.status, bytes: res.body.length, duration_ms: Date.now() - t0})
    }
    return res
  }
}

function newAgent(cfg: S3HttpConfig, secure: boolean): http.Agent {
  const maxIdlePerHost = cfg.maxIdleConnsPerHost > 0 ? cfg.maxIdleConnsPerHost : GO_DEFAULT_MAX_IDLE_PER_HOST
  const opts: https.AgentOptions = {
    keepAlive: true,
    timeout: cfg.idleConnTimeoutMs > 0 ? cfg.idleConnTimeoutMs : undefined,
    maxSockets: cfg.maxConnsPerHost > 0 ? cfg.maxConnsPerHost : Infinity,
    maxFreeSockets: cfg.maxIdleConns > 0 ? Math.min(cfg.maxIdleConns, maxIdlePerHost) : maxIdlePerHost,
  }
  return secure ? new https.Agent({...opts, ...tlsOptions(cfg)}) : new http.Agent(opts)
}

function tlsOptions(cfg: S3HttpConfig): https.AgentOptions {
  const t = cfg.tlsConfig
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file)
    } catch (e) {
      throw new BadDataError(`S3 http_config.tls_config: unable to load specified ${what} ${file}: ${(e as Error).message}`, {cause: e})
    }
  }
  const o: https.AgentOptions = {
    // As exthttp.DefaultTransport: http_config.insecure_skip_verify decides, overriding the
    // one in tls_config (upstream sets it on the TLS config after building it from tls_config).
    rejectUnauthorized: !cfg.insecureSkipVerify,
  }
  if (t.caFile) o.ca = read(t.caFile, 'CA cert')
  if (t.certFile) o.cert = read(t.certFile, 'client cert')
  if (t.keyFile) o.key = read(t.keyFile, 'client key')
  if (t.serverName) o.servername = t.serverName
  return o
}

/** Dial, TLS handshake and response-header timeouts on one request, each a retryable error. */
function armTimeouts(req: http.ClientRequest, cfg: S3HttpConfig): void {
  const timers = new Map<string, NodeJS.Timeout>()
  const arm = (what: string, ms: number): void => {
    if (ms > 0) timers.set(what, setTimeout(() => req.destroy(new TransportTimeoutError(`${what} after ${ms} ms`)), ms).unref())
  }
  const clear = (what?: string): void => {
    for (const [w, t] of timers) {
      if (what === undefined || w === what) {
        clearTimeout(t)
        timers.delete(w)
      }
    }
  }
  const dial = 'timeout dialing'
  const tls = 'TLS handshake timeout'
  req.once('socket', (socket: Socket) => {
    if (!socket.connecting) return
    arm(dial, DIAL_TIMEOUT_MS)
    socket.once('connect', () => {
      clear(dial)
      if ('encrypted' in socket) {
        arm(tls, cfg.tlsHandshakeTimeoutMs)
        socket.once('secureConnect', () => clear(tls))
      }
    })
  })
  // 'finish': the whole request is handed to the socket; Go starts ResponseHeaderTimeout once
  // the request is written.
  req.once('finish', () => arm('timeout awaiting response headers', cfg.responseHeaderTimeoutMs))
  req.once('response', () => clear())
  req.once('close', () => clear())
}

/** An object key in a request path: RFC 3986 escaping, `/` kept (minio's uriResourceEscape). */
function escapePath(key: string): string {
  return escapeQueryValue(key).replace(/%2F/g, '/')
}

/** RFC 3986 escaping, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
export function escapeQueryValue(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/** A query string, keys sorted as the signature sorts them. */
export function queryString(q: Record<string, string>): string {
  return Object.keys(q)
    .sort()
    .map((k) => `${escapeQueryValue(k)}=${escapeQueryValue(q[k]!)}`)
    .join('&')
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}

/**
 * For the AWS endpoints minio-go rewrites per region (`getS3Endpoint`): the regional endpoint of
 * the bucket's region, dual-stack unless disable_dualstack. Other hosts are used as given.
 */
function awsRegionalHost(host: string, region: string, dualstack: boolean): string | undefined {
  const h = host.toLowerCase()
  if (!/^s3([.-](dualstack\.)?[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/.test(h) || h.startsWith('s3-fips') || h.startsWith('s3express')) return undefined
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'
  return `s3.${dualstack ? 'dualstack.' : ''}${region}.${suffix}`
}
