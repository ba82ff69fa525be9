/**
 * Prometheus HTTP API v1 (plus Thanos's /api/v1/stores and dedup/partial_response/replicaLabels[]
 * parameters) over a PromQL engine and a per-request Queryable. Responses follow Prometheus's
 * envelope byte for byte: {"status","data"} or {"status","errorType","error"}, with
 * "warnings"/"infos" only when non-empty; errors map to Prometheus's HTTP codes.
 *
 * `stats` (any non-empty value, as Prometheus's DefaultStatsRenderer; `all` also per step when the
 * engine enables it) adds Prometheus's `stats` object to `data`: timings and sample counts.
 *
 * thanosts addition: `explain=true` (or `dedup_explain=true`) on query and query_range adds
 * `"explain"` after `data` (explain.ts, api-types.ts ApiExplain): per result series, the
 * selected series that fed it and which replica served which stretch. Without it the code
 * path and the bytes are Prometheus's.
 */
import type {IncomingMessage, ServerResponse} from 'node:http'
import {promisify} from 'node:util'
import {gzip} from 'node:zlib'
import {BadDataError, errorKind, HTTP_STATUS, TimeoutError, type ErrorKind} from '../errors.js'
import {compareStrings, labelsToRecord} from '../labels/labels.js'
import type {Matcher} from '../labels/matcher.js'
import type {Logger} from '../log.js'
import {checkRangeQueryType, type Engine, type QueryStats, type QueryValue} from '../promql/engine/engine.js'
import {formatExpr, parseExpr, type Expr} from '../promql/parser/index.js'
import type {Queryable} from '../promql/queryable.js'
import {acceptsGzip} from '../server/accept-encoding.js'
import type {GlobalViewAnswer, GlobalViewHttp, GlobalViewRequestOptions} from './globalview-api.js'
import {MAX_TIME, MIN_TIME, parseBoolParam, parseDurationParam, parseTimeParam, readForm} from './params.js'
import {queryValueToJson} from './value-json.js'
import {SelectExplainCollector} from '../proxy/select-explain.js'
import {buildExplain} from './explain.js'
import {dynamicLookbackDelta, parseMaxSourceResolution} from './downsampling-params.js'

/** The engine's lookback delta when none is configured (Prometheus's 5m). */
const DEFAULT_LOOKBACK_MS = 300_000

export interface RequestOptions {
  dedup: boolean
  partialResponse: boolean
  replicaLabels: string[]
  /** storeMatch[] selectors */
  storeMatchers: Matcher[][]
  /** explain=true: the queryable records its selects here (proxy/select-explain.ts). */
  explain?: SelectExplainCollector
  /** `max_source_resolution` in ms (downsampling-params.ts); 0 = raw data only. */
  maxSourceResolutionMs?: number
}

export interface ApiOptions {
  engine: Engine
  /** A queryable for one request's options (dedup, partial response, replica labels). */
  queryable: (opts: RequestOptions) => Queryable
  defaults: {
    replicaLabels: string[]
    partialResponse: boolean
    queryTimeoutMs: number
    lookbackDeltaMs?: number
    /** --query.auto-downsampling: without max_source_resolution, range queries read up to step / 5. */
    autoDownsampling?: boolean
    /** --query.instant.default.max_source_resolution (ms): what `auto` means for instant queries. */
    instantMaxSourceResolutionMs?: number
  }
  /** /api/v1/stores */
  stores?: () => unknown
  flags: Record<string, string>
  buildInfo: Record<string, string>
  logger: Logger
  /** Observed per request: handler name, status, seconds. */
  observe?: (handler: string, code: number, seconds: number) => void
  /** --query.max-concurrent: runs query evaluations through this gate */
  gate?: <T>(f: () => Promise<T>) => Promise<T>
  /** rules, alerts, targets, metadata and exemplars (globalview-api.ts); empty answers without it */
  globalView?: GlobalViewHttp
}

const ERROR_TYPE: Record<ErrorKind, string> = {
  bad_data: 'bad_data',
  execution: 'execution',
  timeout: 'timeout',
  canceled: 'canceled',
  // A store that fails a query is an execution error of the query, 422, as Thanos reports it
  // (pkg/api/query/v1.go wraps the engine's error, which names the store, as ErrorExec).
  unavailable: 'execution',
  not_found: 'not_found',
  // a store's limit (series, samples) hit by the query: Thanos answers it as an execution error
  resource_exhausted: 'execution',
  internal: 'internal',
}

class ApiResponse {
  warnings: string[] = []
  infos: string[] = []
}

/**
 * Answers of at least this many characters are gzip-compressed when the client accepts it, as
 * Prometheus compresses its API answers (Grafana asks for it): a range answer over a slow link
 * shrinks 5-10x. Below it the header costs more than it saves.
 */
const GZIP_MIN_CHARS = 1024

/**
 * Level 1: JSON of numbers and repeated label names compresses well already, and the answer
 * waits for it. The compression runs on libuv's thread pool, off the event loop.
 */
const GZIP_LEVEL = 1

const gzipAsync = promisify(gzip)

async function writeJson(req: IncomingMessage, res: ServerResponse, code: number, text: string): Promise<void> {
  if (res.headersSent) return
  if (text.length >= GZIP_MIN_CHARS && acceptsGzip(req)) {
    const body = await gzipAsync(text, {level: GZIP_LEVEL})
    if (res.headersSent || res.destroyed) return
    res.writeHead(code, {'content-type': 'application/json', 'content-encoding': 'gzip', vary: 'Accept-Encoding'})
    res.end(body)
    return
  }
  res.writeHead(code, {'content-type': 'application/json', vary: 'Accept-Encoding'})
  res.end(text)
}

function send(req: IncomingMessage, res: ServerResponse, code: number, body: Record<string, unknown>): Promise<void> {
  return writeJson(req, res, code, JSON.stringify(body))
}

/** A `data` value that is already JSON text (query results, see value-json.ts). */
class RawJson {
  constructor(
    readonly text: string,
    /** explain=true: the `explain` member's JSON text, written right after `data`. */
    readonly explain?: string,
  ) {}
}

function success(req: IncomingMessage, res: ServerResponse, data: unknown, r: ApiResponse): Promise<void> {
  if (data instanceof RawJson) {
    let text = `{"status":"success","data":${data.text}`
    if (data.explain !== undefined) text += `,"explain":${data.explain}`
    if (r.warnings.length) text += `,"warnings":${JSON.stringify(r.warnings)}`
    if (r.infos.length) text += `,"infos":${JSON.stringify(r.infos)}`
    return writeJson(req, res, 200, text + '}')
  }
  const body: Record<string, unknown> = {status: 'success', data}
  if (r.warnings.length) body.warnings = r.warnings
  if (r.infos.length) body.infos = r.infos
  return send(req, res, 200, body)
}

async function failure(req: IncomingMessage, res: ServerResponse, e: unknown, r?: ApiResponse): Promise<number> {
  const kind = errorKind(e)
  const code = kind === 'unavailable' ? 422 : HTTP_STATUS[kind]
  const body: Record<string, unknown> = {status: 'error', errorType: ERROR_TYPE[kind], error: e instanceof Error ? e.message : String(e)}
  if (r?.warnings.length) body.warnings = r.warnings
  await send(req, res, code, body)
  return code
}

function parseMatchers(values: string[]): Matcher[][] {
  return values.map((v) => {
    const e = parseExpr(v)
    if (e.kind !== 'VectorSelector') throw new BadDataError(`invalid parameter "match[]": 1:1: parse error: unexpected ${JSON.stringify(v)}, expected vector selector`)
    return e.labelMatchers
  })
}

export class PrometheusApi {
  constructor(private readonly opts: ApiOptions) {}

  private requestOptions(form: URLSearchParams): RequestOptions {
    const replica = form.getAll('replicaLabels[]')
    return {
      dedup: parseBoolParam(form.get('dedup'), 'dedup', true),
      partialResponse: parseBoolParam(form.get('partial_response'), 'partial_response', this.opts.defaults.partialResponse),
      replicaLabels: replica.length > 0 ? replica : this.opts.defaults.replicaLabels,
      storeMatchers: parseMatchers(form.getAll('storeMatch[]')),
    }
  }

  /**
   * Label names and values keep the replica labels, as Thanos's (pkg/api/query/v1.go builds the
   * labelNames/labelValues querier without replica labels): Grafana's label browser offers
   * `replica`, so a person can pick one replica for a query with dedup=false.
   */
  private labelRequestOptions(form: URLSearchParams): RequestOptions {
    return {...this.requestOptions(form), dedup: false}
  }

  /** Handles /api/v1/*; returns false for other paths. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, path: string): Promise<boolean> {
    if (!path.startsWith('/api/v1/')) return false
    const started = performance.now()
    const route = path.slice('/api/v1/'.length)
    const r = new ApiResponse()
    const ac = new AbortController()
    res.on('close', () => {
      if (!res.writableFinished) ac.abort()
    })
    let handler = route.startsWith('label/') ? 'label_values' : route
    let code = 200
    try {
      const form = await readForm(req, url)
      const data = await this.dispatch(route, req.method ?? 'GET', form, r, ac.signal)
      if (data === NOT_FOUND) {
        handler = 'not_found'
        code = 404
        await send(req, res, 404, {status: 'error', errorType: 'not_found', error: `path ${path} not found`})
      } else if (data === METHOD_NOT_ALLOWED) {
        code = 405
        await send(req, res, 405, {status: 'error', errorType: 'bad_data', error: `method ${req.method} not allowed`})
      } else await success(req, res, data, r)
    } catch (e) {
      code = await failure(req, res, e, r)
      if (code >= 500) this.opts.logger.warn('API request failed', {path, err: e})
    }
    this.opts.observe?.(handler, code, (performance.now() - started) / 1000)
    return true
  }

  private async dispatch(route: string, method: string, form: URLSearchParams, r: ApiResponse, signal: AbortSignal): Promise<unknown> {
    const getPost = method === 'GET' || method === 'POST'
    if (route.startsWith('label/') && route.endsWith('/values')) {
      if (method !== 'GET') return METHOD_NOT_ALLOWED
      return this.labelValues(labelNameParam(route.slice('label/'.length, -'/values'.length)), form, r, signal)
    }
    switch (route) {
      case 'query':
        return getPost ? this.query(form, r, signal) : METHOD_NOT_ALLOWED
      case 'query_range':
        return getPost ? this.queryRange(form, r, signal) : METHOD_NOT_ALLOWED
      case 'series':
        return getPost ? this.series(form, r, signal) : METHOD_NOT_ALLOWED
      case 'labels':
        return getPost ? this.labelNames(form, r, signal) : METHOD_NOT_ALLOWED
      case 'format_query': {
        const q = form.get('query') ?? ''
        return formatExpr(parseExpr(q))
      }
      // GET only, as Prometheus and Thanos route them; query_exemplars takes POST too
      case 'query_exemplars':
        return getPost ? this.globalView(form, r, signal, (g, o) => g.exemplars(form, o), '[]') : METHOD_NOT_ALLOWED
      case 'metadata':
        return method === 'GET' ? this.globalView(form, r, signal, (g, o) => g.metadata(form, o), '{}') : METHOD_NOT_ALLOWED
      case 'targets':
        return method === 'GET' ? this.globalView(form, r, signal, (g, o) => g.targets(form, o), '{"activeTargets":[],"droppedTargets":[]}') : METHOD_NOT_ALLOWED
      case 'rules':
        return method === 'GET' ? this.globalView(form, r, signal, (g, o) => g.rules(form, o), '{"groups":[]}') : METHOD_NOT_ALLOWED
      case 'alerts':
        return method === 'GET' ? this.globalView(form, r, signal, (g, o) => g.alerts(o), '{"alerts":[]}') : METHOD_NOT_ALLOWED
      case 'status/buildinfo':
        return this.opts.buildInfo
      case 'status/flags':
        return this.opts.flags
      case 'status/runtimeinfo':
        return {startTime: START_TIME, CWD: process.cwd(), goroutineCount: 0, GOMAXPROCS: 0, GOGC: '', GODEBUG: '', storageRetention: ''}
      case 'stores':
        return this.opts.stores?.() ?? {}
    }
    return NOT_FOUND
  }

  /**
   * One of the global-view endpoints, with the request's partial_response, dedup and
   * replicaLabels[] (dedup=false: no replica labels), bounded by the query timeout.
   */
  private async globalView(
    form: URLSearchParams,
    r: ApiResponse,
    signal: AbortSignal,
    run: (g: GlobalViewHttp, o: GlobalViewRequestOptions) => Promise<GlobalViewAnswer>,
    empty: string,
  ): Promise<RawJson> {
    const g = this.opts.globalView
    const ro = this.requestOptions(form)
    if (!g) return new RawJson(empty)
    const timeout = AbortSignal.timeout(this.opts.defaults.queryTimeoutMs)
    const ans = await run(g, {partialResponse: ro.partialResponse, replicaLabels: ro.dedup ? ro.replicaLabels : [], signal: AbortSignal.any([signal, timeout])})
    r.warnings.push(...ans.warnings)
    return new RawJson(ans.json)
  }

  /** The `timeout` parameter (a deadline that may already have passed, as in Prometheus), at most the querier's. */
  private queryTimeout(form: URLSearchParams): number {
    const t = form.get('timeout')
    const def = this.opts.defaults.queryTimeoutMs
    return t ? Math.max(0, Math.min(parseDurationParam(t, 'timeout'), def)) : def
  }

  /**
   * Runs an evaluation under the request's timeout: the engine sees one abort signal for the
   * client going away and the timeout, so a timeout is told apart here (503 timeout, as
   * Prometheus; not 499 canceled, which is for a client that went away).
   */
  private async evaluate<T extends {stats?: QueryStats}>(timeout: AbortSignal, client: AbortSignal, run: () => Promise<T>): Promise<T> {
    const queued = performance.now()
    let waited = 0
    const timed = async (): Promise<T> => {
      waited = (performance.now() - queued) / 1000
      const res = await run()
      // the wait for a slot is Prometheus's execQueueTime, inside its execTotalTime
      if (res.stats) {
        res.stats.timings.execQueueTime = waited
        res.stats.timings.execTotalTime += waited
      }
      return res
    }
    try {
      return await (this.opts.gate ? this.opts.gate(timed) : timed())
    } catch (e) {
      if (timeout.aborted && !client.aborted) throw new TimeoutError('query timed out in expression evaluation', {cause: e})
      throw e
    }
  }

  private parseQuery(form: URLSearchParams): Expr {
    const q = form.get('query')
    if (q === null || q === '') throw new BadDataError('invalid parameter "query": unknown position: parse error: no expression found in input')
    try {
      return parseExpr(q)
    } catch (e) {
      if (e instanceof BadDataError) throw new BadDataError(`invalid parameter "query": ${e.message}`)
      throw e
    }
  }

  /** `explain` / `dedup_explain`: a collector for the queryable, or undefined (the normal path). */
  private explainCollector(form: URLSearchParams): SelectExplainCollector | undefined {
    const on = parseBoolParam(form.get('explain'), 'explain', false) || parseBoolParam(form.get('dedup_explain'), 'dedup_explain', false)
    return on ? new SelectExplainCollector() : undefined
  }

  private queryAnswer(expr: Expr, value: QueryValue, explain: SelectExplainCollector | undefined, stats?: QueryStats): RawJson {
    let data = queryValueToJson(value)
    // `stats` goes inside `data`, after the result (web/api/v1/api.go QueryData)
    if (stats) data = `${data.slice(0, -1)},"stats":${JSON.stringify(stats)}}`
    return explain ? new RawJson(data, JSON.stringify(buildExplain(expr, value, explain))) : new RawJson(data)
  }

  /**
   * The `stats` parameter: any non-empty value asks for the stats, `all` also for per-step
   * counts; other values than `true` and `all` get Prometheus's deprecation warning
   * (web/api/v1/api.go statsParamWarning).
   */
  private statsParam(form: URLSearchParams): {want: boolean; perStep: boolean; warning?: string} {
    const s = form.get('stats') ?? ''
    const warning = s === '' || s === 'true' || s === 'all' ? undefined : `value ${JSON.stringify(s)} for parameter "stats" is deprecated and will be rejected in the next major release, use "true" or "all"`
    return {want: s !== '', perStep: s === 'all', warning}
  }

  /** lookback_delta, else the default, widened to the max source resolution (Thanos's dynamic lookback delta). */
  private lookback(form: URLSearchParams, maxSourceResolutionMs = 0): number | undefined {
    const l = form.get('lookback_delta')
    const fromReq = l ? parseDurationParam(l, 'lookback_delta') : 0
    if (fromReq > 0) return fromReq
    const def = this.opts.defaults.lookbackDeltaMs
    return maxSourceResolutionMs > 0 ? dynamicLookbackDelta(def ?? DEFAULT_LOOKBACK_MS, maxSourceResolutionMs) : def
  }

  private maxSourceResolution(form: URLSearchParams, defaultMs: number): number {
    return parseMaxSourceResolution(form.get('max_source_resolution'), defaultMs, this.opts.defaults.autoDownsampling ?? false)
  }

  private async query(form: URLSearchParams, r: ApiResponse, signal: AbortSignal): Promise<unknown> {
    const time = parseTimeParam(form.get('time'), 'time', Date.now())
    const expr = this.parseQuery(form)
    const explain = this.explainCollector(form)
    const maxSourceResolutionMs = this.maxSourceResolution(form, this.opts.defaults.instantMaxSourceResolutionMs ?? 0)
    const ro = {...this.requestOptions(form), maxSourceResolutionMs}
    const q = this.opts.queryable(explain ? {...ro, explain} : ro)
    const timeoutMs = this.queryTimeout(form)
    const timeout = AbortSignal.timeout(timeoutMs)
    const stats = this.statsParam(form)
    const run = () => this.opts.engine.instantQuery(q, expr, time, {signal: AbortSignal.any([signal, timeout]), timeout: timeoutMs, lookbackDelta: this.lookback(form, maxSourceResolutionMs), perStepStats: stats.perStep, query: form.get('query') ?? ''})
    const res = await this.evaluate(timeout, signal, run)
    r.warnings.push(...res.warnings)
    if (stats.warning) r.warnings.push(stats.warning)
    r.infos.push(...res.infos)
    return this.queryAnswer(expr, res.value, explain, stats.want ? res.stats : undefined)
  }

  private async queryRange(form: URLSearchParams, r: ApiResponse, signal: AbortSignal): Promise<unknown> {
    const start = parseTimeParam(form.get('start'), 'start', NaN)
    const end = parseTimeParam(form.get('end'), 'end', NaN)
    if (Number.isNaN(start)) throw new BadDataError('invalid parameter "start": cannot parse "" to a valid timestamp')
    if (Number.isNaN(end)) throw new BadDataError('invalid parameter "end": cannot parse "" to a valid timestamp')
    if (end < start) throw new BadDataError('invalid parameter "end": end timestamp must not be before start time')
    const stepRaw = form.get('step')
    if (!stepRaw) throw new BadDataError('invalid parameter "step": cannot parse "" to a valid duration')
    const step = parseDurationParam(stepRaw, 'step')
    if (step <= 0) throw new BadDataError('zero or negative query resolution step widths are not accepted. Try a positive integer')
    // (end - start) / step in whole steps, as Go divides the two durations
    if (Math.floor((end - start) / step) > 11000) throw new BadDataError('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)')
    const expr = this.parseQuery(form)
    // as NewRangeQuery's other errors: an invalid "query" parameter (web/api/v1/api.go queryRange)
    try {
      checkRangeQueryType(expr)
    } catch (e) {
      if (e instanceof BadDataError) throw new BadDataError(`invalid parameter "query": ${e.message}`)
      throw e
    }
    const explain = this.explainCollector(form)
    // Without max_source_resolution, at least five samples per step (v1.go queryRange).
    const maxSourceResolutionMs = this.maxSourceResolution(form, Math.trunc(step / 5))
    const ro = {...this.requestOptions(form), maxSourceResolutionMs}
    const q = this.opts.queryable(explain ? {...ro, explain} : ro)
    const timeoutMs = this.queryTimeout(form)
    const timeout = AbortSignal.timeout(timeoutMs)
    const stats = this.statsParam(form)
    const run = () => this.opts.engine.rangeQuery(q, expr, start, end, step, {signal: AbortSignal.any([signal, timeout]), timeout: timeoutMs, lookbackDelta: this.lookback(form, maxSourceResolutionMs), perStepStats: stats.perStep, query: form.get('query') ?? ''})
    const res = await this.evaluate(timeout, signal, run)
    r.warnings.push(...res.warnings)
    if (stats.warning) r.warnings.push(stats.warning)
    r.infos.push(...res.infos)
    return this.queryAnswer(expr, res.value, explain, stats.want ? res.stats : undefined)
  }

  private async series(form: URLSearchParams, r: ApiResponse, signal: AbortSignal): Promise<unknown> {
    const match = form.getAll('match[]')
    if (match.length === 0) throw new BadDataError('no match[] parameter provided')
    const sets = parseMatchers(match)
    const start = parseTimeParam(form.get('start'), 'start', MIN_TIME)
    const end = parseTimeParam(form.get('end'), 'end', MAX_TIME)
    const limit = Number(form.get('limit') ?? 0)
    const querier = this.opts.queryable(this.requestOptions(form)).querier(start, end)
    const seen = new Map<string, Record<string, string>>()
    for (const ms of sets) {
      const set = await querier.select(ms, {start, end, func: 'series'}, signal)
      r.warnings.push(...set.warnings)
      for (const s of set.series) {
        const rec = labelsToRecord(s.labels)
        seen.set(JSON.stringify(rec), rec)
      }
    }
    let out = [...seen.values()]
    if (limit > 0 && out.length > limit) {
      out = out.slice(0, limit)
      r.warnings.push('results truncated due to limit')
    }
    return out
  }

  private async labelNames(form: URLSearchParams, r: ApiResponse, signal: AbortSignal): Promise<unknown> {
    const start = parseTimeParam(form.get('start'), 'start', MIN_TIME)
    const end = parseTimeParam(form.get('end'), 'end', MAX_TIME)
    const sets = parseMatchers(form.getAll('match[]'))
    const querier = this.opts.queryable(this.labelRequestOptions(form)).querier(start, end)
    const names = new Set<string>()
    for (const ms of sets.length ? sets : [[]]) {
      const res = await querier.labelNames(ms, {start, end}, signal)
      r.warnings.push(...res.warnings)
      for (const n of res.names) names.add(n)
    }
    return limitList([...names].sort(compareStrings), form, r)
  }

  private async labelValues(label: string, form: URLSearchParams, r: ApiResponse, signal: AbortSignal): Promise<unknown> {
    const start = parseTimeParam(form.get('start'), 'start', MIN_TIME)
    const end = parseTimeParam(form.get('end'), 'end', MAX_TIME)
    const sets = parseMatchers(form.getAll('match[]'))
    const querier = this.opts.queryable(this.labelRequestOptions(form)).querier(start, end)
    const values = new Set<string>()
    for (const ms of sets.length ? sets : [[]]) {
      const res = await querier.labelValues(label, ms, {start, end}, signal)
      r.warnings.push(...res.warnings)
      for (const v of res.values) values.add(v)
    }
    return limitList([...values].sort(compareStrings), form, r)
  }
}

function limitList(xs: string[], form: URLSearchParams, r: ApiResponse): string[] {
  const limit = Number(form.get('limit') ?? 0)
  if (limit > 0 && xs.length > limit) {
    r.warnings.push('results truncated due to limit')
    return xs.slice(0, limit)
  }
  return xs
}

/**
 * The `<name>` of /api/v1/label/<name>/values: percent-decoded, then U__-unescaped as Prometheus
 * 3 does for names outside the legacy charset (model.UnescapeName, ValueEncodingEscaping),
 * and checked as a label name (web/api/v1/api.go labelValues).
 */
function labelNameParam(raw: string): string {
  let name: string
  try {
    name = decodeURIComponent(raw)
  } catch {
    throw new BadDataError(`invalid label name: ${JSON.stringify(raw)}`)
  }
  if (name.startsWith('U__')) name = unescapeName(name)
  if (name === '') throw new BadDataError('invalid label name: ""')
  return name
}

/** model.UnescapeName: `U__` then `__` for `_` and `_<hex>_` for a code point; anything invalid leaves the name as it is. */
function unescapeName(name: string): string {
  const s = name.slice(3)
  let out = ''
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '_') {
      out += s[i]
      continue
    }
    const close = s.indexOf('_', i + 1)
    if (close === i + 1) {
      out += '_'
      i++
      continue
    }
    const hex = close < 0 ? '' : s.slice(i + 1, close)
    if (!/^[0-9A-Fa-f]{1,6}$/.test(hex)) return name
    const cp = parseInt(hex, 16)
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return name
    out += String.fromCodePoint(cp)
    i = close
  }
  return out
}

const START_TIME = new Date().toISOString()
const NOT_FOUND = Symbol('not found')
const METHOD_NOT_ALLOWED = Symbol('method not allowed')
