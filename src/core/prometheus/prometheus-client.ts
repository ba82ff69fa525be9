/**
 * prometheus/: the small part of Prometheus's HTTP API the sidecar needs: external labels
 * (from /api/v1/status/config, which needs no admin API), build version, the lowest stored
 * timestamp (from /metrics, as Thanos does), label and series look-ups for the StoreAPI's
 * label calls and skip_chunks, rules, targets, metadata and exemplars for the other Thanos
 * APIs (their JSON as Prometheus gives it), and POST /-/reload for the reloader.
 */
import * as yaml from 'js-yaml'
import {Agent, request, type Dispatcher} from 'undici'
import {BadDataError, CanceledError, ThanostsError, UnavailableError} from '../errors.js'
import {labelsFromRecord, type Labels} from '../labels/labels.js'
import type {Matcher} from '../labels/matcher.js'

/** Prometheus's own "no data yet" answer for the lowest timestamp: math.MaxInt64 ms. */
export const MAX_INT64 = 9223372036854775807
export const MIN_INT64 = -9223372036854775808

export interface PrometheusClientOptions {
  dispatcher?: Dispatcher
  /** Per-request timeout in ms. */
  timeoutMs?: number
}

interface ApiEnvelope<T> {
  status: 'success' | 'error'
  data: T
  error?: string
  errorType?: string
  warnings?: string[]
}

/** A successful API answer: its `data` as parsed JSON, and its warnings. */
export interface ApiAnswer {
  data: unknown
  warnings: string[]
}

/** `{a="b", c=~"d"}` for match[]: a selector made of matchers. */
export function matchersToSelector(ms: readonly Matcher[]): string {
  return `{${ms.map((m) => m.toString()).join(', ')}}`
}

/** A time in ms as Prometheus's API takes it: seconds, exact (no rounding through a float). */
export function timeParam(ms: number): string {
  const abs = Math.abs(ms)
  const frac = abs % 1000
  return `${ms < 0 ? '-' : ''}${Math.floor(abs / 1000)}${frac === 0 ? '' : '.' + String(frac).padStart(3, '0')}`
}

/**
 * The error kind of a failed API call by its HTTP status, as Thanos's promclient maps statuses
 * to gRPC codes for the Rules, Targets, Metadata and Exemplars APIs (statusToCode: 400
 * InvalidArgument, 404 NotFound, 503 Unavailable, anything else Internal, 422 included).
 */
function kindOfStatus(status: number): 'bad_data' | 'not_found' | 'unavailable' | 'internal' {
  if (status === 400) return 'bad_data'
  if (status === 404) return 'not_found'
  if (status === 503) return 'unavailable'
  return 'internal'
}

export class PrometheusClient {
  readonly base: URL
  private readonly dispatcher: Dispatcher

  constructor(
    baseUrl: string,
    private readonly opts: PrometheusClientOptions = {},
  ) {
    this.base = new URL(baseUrl.endsWith('/') ? baseUrl : baseUrl + '/')
    this.dispatcher = opts.dispatcher ?? new Agent({keepAliveTimeout: 30_000, connections: 8})
  }

  private async call(method: 'GET' | 'POST', p: string, form?: URLSearchParams, signal?: AbortSignal): Promise<{status: number; text: string}> {
    const url = new URL(p, this.base)
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 30_000)
    const sig = signal ? AbortSignal.any([signal, timeout]) : timeout
    try {
      const res = await request(url, {
        method,
        dispatcher: this.dispatcher,
        signal: sig,
        headers: form ? {'content-type': 'application/x-www-form-urlencoded'} : undefined,
        body: form?.toString(),
      })
      return {status: res.statusCode, text: await res.body.text()}
    } catch (e) {
      if (signal?.aborted) throw new CanceledError(`request to Prometheus ${url.pathname} canceled`)
      throw new UnavailableError(`Prometheus at ${this.base.origin} is unreachable: ${(e as Error).message}`, {cause: e})
    }
  }

  private async api<T>(method: 'GET' | 'POST', p: string, form?: URLSearchParams, signal?: AbortSignal): Promise<T> {
    const {status, text} = await this.call(method, p, form, signal)
    let body: ApiEnvelope<T>
    try {
      body = JSON.parse(text) as ApiEnvelope<T>
    } catch {
      throw new UnavailableError(`Prometheus ${p}: HTTP ${status}: ${text.slice(0, 300)}`)
    }
    if (body.status !== 'success') {
      const msg = `Prometheus ${p}: ${body.error ?? `HTTP ${status}`}`
      throw status === 400 || body.errorType === 'bad_data' ? new BadDataError(msg) : new UnavailableError(msg)
    }
    return body.data
  }

  /**
   * GET an API path for the non-StoreAPI Thanos APIs; failures carry the kind Thanos gives them
   * (kindOfStatus). An unreachable Prometheus stays `unavailable` (Thanos: Internal).
   */
  private async getAnswer(p: string, params: Record<string, string | undefined>, signal?: AbortSignal): Promise<ApiAnswer> {
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v)
    const qs = q.toString()
    const {status, text} = await this.call('GET', qs ? `${p}?${qs}` : p, undefined, signal)
    if (status === 204) return {data: null, warnings: []}
    let body: ApiEnvelope<unknown> | undefined
    try {
      body = JSON.parse(text) as ApiEnvelope<unknown>
    } catch {
      body = undefined
    }
    if (status < 200 || status >= 300 || body?.status !== 'success') {
      const reason = body?.error ?? (body === undefined ? `HTTP ${status}: ${text.slice(0, 300)}` : `HTTP ${status}`)
      throw new ThanostsError(kindOfStatus(status), `Prometheus ${p}: ${reason}`)
    }
    return {data: body.data, warnings: Array.isArray(body.warnings) ? body.warnings.map(String) : []}
  }

  /** /api/v1/rules; `type` "alert" or "record" keeps one kind of rule. */
  rules(type: string | undefined, signal?: AbortSignal): Promise<ApiAnswer> {
    return this.getAnswer('api/v1/rules', {type}, signal)
  }

  /** /api/v1/targets; `state` "active" or "dropped" keeps one kind of target. */
  targets(state: string | undefined, signal?: AbortSignal): Promise<ApiAnswer> {
    return this.getAnswer('api/v1/targets', {state}, signal)
  }

  /** /api/v1/metadata for one metric family (or all when empty), at most `limit` families when given. */
  metricMetadata(metric: string, limit: string | undefined, signal?: AbortSignal): Promise<ApiAnswer> {
    return this.getAnswer('api/v1/metadata', {metric: metric === '' ? undefined : metric, limit}, signal)
  }

  /** /api/v1/query_exemplars of the series `query` selects, exemplars in [start, end] (ms). */
  queryExemplars(query: string, start: number, end: number, signal?: AbortSignal): Promise<ApiAnswer> {
    return this.getAnswer('api/v1/query_exemplars', {query, start: timeParam(start), end: timeParam(end)}, signal)
  }

  async ready(signal?: AbortSignal): Promise<boolean> {
    try {
      return (await this.call('GET', '-/ready', undefined, signal)).status === 200
    } catch {
      return false
    }
  }

  /** `global.external_labels` of the running config; empty when none are set. */
  async externalLabels(signal?: AbortSignal): Promise<Labels> {
    const data = await this.api<{yaml: string}>('GET', 'api/v1/status/config', undefined, signal)
    let cfg: unknown
    try {
      cfg = yaml.load(data.yaml)
    } catch (e) {
      throw new BadDataError(`cannot parse Prometheus config: ${(e as Error).message}`)
    }
    const ext = (cfg as {global?: {external_labels?: Record<string, unknown>}} | null)?.global?.external_labels ?? {}
    const rec: Record<string, string> = {}
    for (const [k, v] of Object.entries(ext)) rec[k] = String(v)
    return labelsFromRecord(rec)
  }

  /** "0" for a Prometheus too old to have the endpoint, as Thanos. */
  async buildVersion(signal?: AbortSignal): Promise<string> {
    const {status, text} = await this.call('GET', 'api/v1/status/buildinfo', undefined, signal)
    if (status === 404 || status === 405) return '0'
    try {
      return (JSON.parse(text) as ApiEnvelope<{version: string}>).data.version
    } catch {
      throw new UnavailableError(`Prometheus buildinfo: HTTP ${status}`)
    }
  }

  /**
   * Lowest timestamp in Prometheus's TSDB (ms), from `prometheus_tsdb_lowest_timestamp_seconds`
   * on /metrics. Before the first block or head sample Prometheus reports MaxInt64: then we
   * answer MinInt64 so that queriers never prune this store by time (as Thanos's sidecar).
   */
  async lowestTimestamp(signal?: AbortSignal): Promise<number> {
    const {status, text} = await this.call('GET', 'metrics', undefined, signal)
    if (status !== 200) throw new UnavailableError(`Prometheus /metrics: HTTP ${status}`)
    const m = /^prometheus_tsdb_lowest_timestamp_seconds\s+(\S+)/m.exec(text) ?? /^prometheus_tsdb_lowest_timestamp\s+(\S+)/m.exec(text)
    if (!m) return MIN_INT64
    const v = Number(m[1])
    const ms = m[0].startsWith('prometheus_tsdb_lowest_timestamp_seconds') ? v * 1000 : v
    if (!Number.isFinite(ms) || ms >= 9.2e18 || ms >= MAX_INT64 / 1000) return MIN_INT64
    return Math.round(ms)
  }

  private rangeForm(matchers: readonly Matcher[], start: number, end: number, limit?: number): URLSearchParams {
    const form = new URLSearchParams()
    if (matchers.length > 0) form.append('match[]', matchersToSelector(matchers))
    if (start > -8.64e15) form.set('start', timeParam(start))
    if (end < 8.64e15) form.set('end', timeParam(end))
    if (limit && limit > 0) form.set('limit', String(limit))
    return form
  }

  async labelNames(matchers: readonly Matcher[], start: number, end: number, limit?: number, signal?: AbortSignal): Promise<string[]> {
    return (await this.api<string[] | null>('POST', 'api/v1/labels', this.rangeForm(matchers, start, end, limit), signal)) ?? []
  }

  async labelValues(name: string, matchers: readonly Matcher[], start: number, end: number, limit?: number, signal?: AbortSignal): Promise<string[]> {
    const form = this.rangeForm(matchers, start, end, limit)
    const q = form.toString()
    return (await this.api<string[] | null>('GET', `api/v1/label/${encodeURIComponent(name)}/values${q ? '?' + q : ''}`, undefined, signal)) ?? []
  }

  async series(matchers: readonly Matcher[], start: number, end: number, limit?: number, signal?: AbortSignal): Promise<Labels[]> {
    const data = await this.api<Record<string, string>[] | null>('POST', 'api/v1/series', this.rangeForm(matchers, start, end, limit), signal)
    return (data ?? []).map((r) => labelsFromRecord(r))
  }

  /** POST /-/reload; a non-200 answer carries Prometheus's reason (e.g. a broken config). */
  async reload(signal?: AbortSignal): Promise<void> {
    const {status, text} = await this.call('POST', '-/reload', undefined, signal)
    if (status !== 200) {
      throw new ThanostsError(
        'execution',
        `Prometheus refused to reload (HTTP ${status}): ${text.trim() || 'no reason given'}${status === 403 || status === 404 ? '; have you set the `--web.enable-lifecycle` Prometheus flag?' : ''}`,
      )
    }
  }

  async close(): Promise<void> {
    if (!this.opts.dispatcher) await this.dispatcher.close()
  }
}
