/**
 * The HTTP transport under the S3 client: Node's http/https with a keep-alive agent sized and
 * timed like Thanos's `exthttp.DefaultTransport` (thanos-io/objstore `exthttp/transport.go`),
 * and the caller's AbortSignal attached to every request.
 *
 * minio-js builds and signs requests but takes no AbortSignal; it does call
 * `transport.request(options, cb)` inside the async call chain of the operation, so the signal
 * travels there in an AsyncLocalStorage set around each bucket call.
 *
 * Go's transport settings and how they map here:
 * - idle_conn_timeout: idle keep-alive sockets are closed after it (agent `timeout`, which Node
 *   applies to free sockets only; requests in flight are not cut by it);
 * - response_header_timeout: time from the request being written to the response headers;
 * - tls_handshake_timeout: time from TCP connect to the end of the TLS handshake;
 * - the 30 s dial timeout of the default Go dialer;
 * - max_conns_per_host (0 = unlimited), max_idle_conns_per_host (0 = Go's default of 2) and
 *   max_idle_conns bound the agent's sockets;
 * - expect_continue_timeout and disable_compression have nothing to act on: this client sends
 *   no `Expect: 100-continue` and asks for no compressed responses.
 */
import {AsyncLocalStorage} from 'node:async_hooks'
import {readFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type {Socket} from 'node:net'
import {BadDataError} from '../errors.js'
import type {S3HttpConfig} from './s3-config.js'

export interface RequestContext {
  signal?: AbortSignal
}

export const requestContext = new AsyncLocalStorage<RequestContext>()

/** Go's net.Dialer timeout in exthttp.DefaultTransport. */
const DIAL_TIMEOUT_MS = 30_000
/** net/http DefaultMaxIdleConnsPerHost, used when max_idle_conns_per_host is 0. */
const GO_DEFAULT_MAX_IDLE_PER_HOST = 2

/** A network-level failure that minio-go would retry (timeouts here, socket errors from Node). */
export class TransportTimeoutError extends Error {
  readonly code = 'ETIMEDOUT'
}

export type RequestFn = (options: https.RequestOptions, callback?: (res: http.IncomingMessage) => void) => http.ClientRequest

export interface S3Transport {
  agent: http.Agent
  request: RequestFn
}

export function newS3Transport(cfg: S3HttpConfig, secure: boolean): S3Transport {
  const maxIdlePerHost = cfg.maxIdleConnsPerHost > 0 ? cfg.maxIdleConnsPerHost : GO_DEFAULT_MAX_IDLE_PER_HOST
  const agentOpts: https.AgentOptions = {
    keepAlive: true,
    timeout: cfg.idleConnTimeoutMs > 0 ? cfg.idleConnTimeoutMs : undefined,
    maxSockets: cfg.maxConnsPerHost > 0 ? cfg.maxConnsPerHost : Infinity,
    maxFreeSockets: cfg.maxIdleConns > 0 ? Math.min(cfg.maxIdleConns, maxIdlePerHost) : maxIdlePerHost,
  }
  if (secure) Object.assign(agentOpts, tlsOptions(cfg))
  const agent = secure ? new https.Agent(agentOpts) : new http.Agent(agentOpts)
  const lib = secure ? https : http

  const request: RequestFn = (options, callback) => {
    const ctx = requestContext.getStore()
    const req = lib.request({...options, agent, signal: ctx?.signal}, callback)
    armTimeouts(req, cfg)
    return req
  }
  return {agent, request}
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
    // As exthttp.DefaultTransport: http_config.insecure_skip_verify overrides the one in
    // tls_config (upstream sets it on the TLS config after building it from tls_config).
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
  const headers = 'timeout awaiting response headers'
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
  // 'finish' = the whole request is handed to the socket (Go starts ResponseHeaderTimeout
  // once the request is written).
  req.once('finish', () => arm(headers, cfg.responseHeaderTimeoutMs))
  req.once('response', () => clear())
  req.once('close', () => clear())
}
