/**
 * `--prometheus.http-client` / `--prometheus.http-client-file`: how the sidecar reaches a
 * Prometheus that needs authentication or TLS, in Thanos's YAML (pkg/clientconfig/http.go
 * `HTTPClientConfig`): basic_auth (username, password or password_file), bearer_token or
 * bearer_token_file, proxy_url, tls_config (ca_file, cert_file, key_file, server_name,
 * insecure_skip_verify) and transport_config (connection pool and timeouts, durations as
 * integer nanoseconds as there). Every call the sidecar makes to Prometheus goes through the
 * dispatcher built here: remote read, the API calls, /metrics, the reloader's /-/reload.
 *
 * As Thanos's: unknown keys are ignored (yaml.Unmarshal, not strict), here with a warning that
 * names them; secrets in files are read at every request, so rotated tokens apply at once; when
 * several credentials are given, basic auth wins over the bearer token (config_util's round
 * trippers set Authorization only when nothing set it before, and basic auth runs first).
 */
import {readFileSync} from 'node:fs'
import {Agent, ProxyAgent, type Dispatcher} from 'undici'
import {parseYamlDocument, StrictMap} from '../config/strict-yaml.js'
import {BadDataError} from '../errors.js'
import type {Logger} from '../log.js'

export interface PrometheusHttpClientConfig {
  basicAuth?: {username: string; password: string; passwordFile: string}
  bearerToken: string
  bearerTokenFile: string
  proxyUrl: string
  tls: {caFile: string; certFile: string; keyFile: string; serverName: string; insecureSkipVerify: boolean}
  transport: {
    maxIdleConns: number
    maxIdleConnsPerHost: number
    maxConnsPerHost: number
    idleConnTimeoutMs: number
    responseHeaderTimeoutMs: number
    tlsHandshakeTimeoutMs: number
    dialerTimeoutMs: number
  }
}

const WHAT = 'prometheus http client config'
const NS_PER_MS = 1e6

/** Thanos's defaultTransportConfig (pkg/clientconfig/http.go). */
const DEFAULT_TRANSPORT = {maxIdleConns: 100, maxIdleConnsPerHost: 2, maxConnsPerHost: 0, idleConnTimeoutMs: 90_000, responseHeaderTimeoutMs: 0, tlsHandshakeTimeoutMs: 10_000, dialerTimeoutMs: 5_000}

export function parsePrometheusHttpClientConfig(text: string, opts: {logger?: Logger} = {}): PrometheusHttpClientConfig {
  const root = new StrictMap(parseYamlDocument(text, WHAT), '', WHAT)
  const ba = root.map('basic_auth')
  const basic = {username: ba.str('username'), password: ba.str('password'), passwordFile: ba.str('password_file')}
  const tlsMap = root.map('tls_config')
  const tls = {caFile: tlsMap.str('ca_file'), certFile: tlsMap.str('cert_file'), keyFile: tlsMap.str('key_file'), serverName: tlsMap.str('server_name'), insecureSkipVerify: tlsMap.bool('insecure_skip_verify')}
  const tr = root.map('transport_config')
  const ns = (key: string, defMs: number): number => tr.int(key, defMs * NS_PER_MS) / NS_PER_MS
  const transport = {
    maxIdleConns: tr.int('max_idle_conns', DEFAULT_TRANSPORT.maxIdleConns),
    maxIdleConnsPerHost: tr.int('max_idle_conns_per_host', DEFAULT_TRANSPORT.maxIdleConnsPerHost),
    maxConnsPerHost: tr.int('max_conns_per_host', DEFAULT_TRANSPORT.maxConnsPerHost),
    idleConnTimeoutMs: ns('idle_conn_timeout', DEFAULT_TRANSPORT.idleConnTimeoutMs),
    responseHeaderTimeoutMs: ns('response_header_timeout', DEFAULT_TRANSPORT.responseHeaderTimeoutMs),
    tlsHandshakeTimeoutMs: ns('tls_handshake_timeout', DEFAULT_TRANSPORT.tlsHandshakeTimeoutMs),
    dialerTimeoutMs: ns('dialer_timeout', DEFAULT_TRANSPORT.dialerTimeoutMs),
  }
  // Parsed only so that they are not reported as unknown: Go's net/http has nothing for them here.
  for (const k of ['expect_continue_timeout', 'disable_compression']) tr.take(k)
  const cfg: PrometheusHttpClientConfig = {
    basicAuth: basic.username || basic.password || basic.passwordFile ? basic : undefined,
    bearerToken: root.str('bearer_token'),
    bearerTokenFile: root.str('bearer_token_file'),
    proxyUrl: root.str('proxy_url'),
    tls,
    transport,
  }
  const unknown = [...root.unknownKeys(), ...ba.unknownKeys(), ...tlsMap.unknownKeys(), ...tr.unknownKeys()]
  if (unknown.length > 0) opts.logger?.warn('unknown keys in the Prometheus HTTP client config are ignored, as Thanos ignores them', {keys: unknown.join(', ')})
  if (cfg.basicAuth && cfg.basicAuth.password && cfg.basicAuth.passwordFile) throw new BadDataError(`${WHAT}: basic_auth: at most one of password and password_file must be configured`)
  if (cfg.proxyUrl) {
    try {
      new URL(cfg.proxyUrl)
    } catch {
      throw new BadDataError(`${WHAT}: proxy_url: invalid URL ${JSON.stringify(cfg.proxyUrl)}`)
    }
  }
  return cfg
}

function readSecret(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8').trim()
  } catch (e) {
    throw new BadDataError(`unable to read ${what} file ${file}: ${(e as Error).message}`, {cause: e})
  }
}

/** The Authorization header for one request, or undefined; files are read now (rotation). */
export function authorizationHeader(cfg: PrometheusHttpClientConfig): string | undefined {
  if (cfg.basicAuth) {
    const password = cfg.basicAuth.passwordFile ? readSecret(cfg.basicAuth.passwordFile, 'basic auth password') : cfg.basicAuth.password
    return `Basic ${Buffer.from(`${cfg.basicAuth.username}:${password}`).toString('base64')}`
  }
  if (cfg.bearerToken) return `Bearer ${cfg.bearerToken}`
  if (cfg.bearerTokenFile) return `Bearer ${readSecret(cfg.bearerTokenFile, 'bearer token')}`
  return undefined
}

function readFileOption(file: string, what: string): Buffer | undefined {
  if (!file) return undefined
  try {
    return readFileSync(file)
  } catch (e) {
    throw new BadDataError(`unable to read ${what} ${file}: ${(e as Error).message}`, {cause: e})
  }
}

/**
 * An undici dispatcher for every request to Prometheus: TLS and pool settings on the agent (a
 * proxy agent with proxy_url), and the Authorization header added to requests that carry none.
 */
export function prometheusDispatcher(cfg: PrometheusHttpClientConfig): Dispatcher {
  if ((cfg.tls.certFile === '') !== (cfg.tls.keyFile === '')) throw new BadDataError(`${WHAT}: tls_config: cert_file and key_file must be given together`)
  const connect = {
    ca: readFileOption(cfg.tls.caFile, 'CA file'),
    cert: readFileOption(cfg.tls.certFile, 'client certificate'),
    key: readFileOption(cfg.tls.keyFile, 'client key'),
    servername: cfg.tls.serverName || undefined,
    rejectUnauthorized: !cfg.tls.insecureSkipVerify,
    timeout: cfg.transport.dialerTimeoutMs + cfg.transport.tlsHandshakeTimeoutMs,
  }
  const pool = {
    keepAliveTimeout: cfg.transport.idleConnTimeoutMs,
    // Go's 0 is "no limit"; undici's is undefined.
    connections: cfg.transport.maxConnsPerHost > 0 ? cfg.transport.maxConnsPerHost : undefined,
    headersTimeout: cfg.transport.responseHeaderTimeoutMs,
  }
  const base: Dispatcher = cfg.proxyUrl ? new ProxyAgent({uri: cfg.proxyUrl, requestTls: connect, ...pool}) : new Agent({connect, ...pool})
  return base.compose((dispatch) => (opts, handler) => {
    const auth = authorizationHeader(cfg)
    if (auth === undefined || hasAuthorization(opts.headers)) return dispatch(opts, handler)
    return dispatch({...opts, headers: withHeader(opts.headers, 'authorization', auth)}, handler)
  })
}

type Headers = Dispatcher.DispatchOptions['headers']

function hasAuthorization(h: Headers): boolean {
  if (!h) return false
  if (Array.isArray(h)) {
    for (let i = 0; i < h.length; i += 2) if (String(h[i]).toLowerCase() === 'authorization') return true
    return false
  }
  if (typeof (h as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [k] of h as Iterable<[string, string]>) if (k.toLowerCase() === 'authorization') return true
    return false
  }
  return Object.keys(h).some((k) => k.toLowerCase() === 'authorization')
}

function withHeader(h: Headers, name: string, value: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  if (Array.isArray(h)) {
    for (let i = 0; i + 1 < h.length; i += 2) out[String(h[i])] = String(h[i + 1])
  } else if (h && typeof (h as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [k, v] of h as Iterable<[string, string]>) out[k] = v
  } else if (h) {
    for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = v as string | string[]
  }
  out[name] = value
  return out
}
