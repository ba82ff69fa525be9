/**
 * /api/v1/rules, /alerts, /targets, /metadata and /query_exemplars over the querier's global
 * view, with Thanos's parameters and errors (pkg/api/query/v1.go NewRulesHandler,
 * NewAlertsHandler, NewTargetsHandler, NewMetricMetadataHandler, NewExemplarsHandler):
 *
 * - rules: `type` (alert, record; anything else is bad_data), `match[]`, `rule_name[]`,
 *   `rule_group[]`, `file[]`; alerts: the alerts of the alerting rules;
 * - targets: `state` (active, dropped, any);
 * - metadata: `metric`, `limit` (an int32; negative or absent is no limit), and Prometheus's
 *   `limit_per_metric`, which Thanos does not have;
 * - query_exemplars: `query`, `start`, `end` (unix seconds or RFC 3339; all time by default).
 *
 * Beyond Thanos, which fixes these per flag (--rule.partial-response and the like, and
 * --query.replica-label always), each request may pass `partial_response`, `dedup` and
 * `replicaLabels[]` as for queries. Bad parameters are bad_data (400); a match[] or a query
 * that does not parse is bad_data too, as in Prometheus (Thanos answers those with an internal
 * error). An endpoint that fails with partial_response=false fails the request as an internal
 * error (500), as in Thanos, with Thanos's wording.
 */
import {BadDataError, CanceledError, ThanostsError} from '../errors.js'
import type {GlobalView} from '../globalview/global-view.js'
import {PartialResponseStrategy, RulesRequestType, TargetsRequestState} from '../globalview/messages.js'
import {timestampFromRfc3339} from '../globalview/prom-time.js'
import {querySelectors} from '../globalview/exemplars-route.js'
import {parseExpr} from '../promql/parser/index.js'
import {alertsJson, exemplarsJson, metadataJson, rulesJson, targetsJson} from './globalview-json.js'
import {MAX_TIME, MIN_TIME} from './params.js'

/** What the API layer decided for this request from dedup, partial_response, replicaLabels[]. */
export interface GlobalViewRequestOptions {
  partialResponse: boolean
  /** Empty with dedup=false. */
  replicaLabels: readonly string[]
  signal: AbortSignal
}

export interface GlobalViewAnswer {
  /** The `data` as JSON text. */
  json: string
  warnings: string[]
}

const strategy = (o: GlobalViewRequestOptions): number => (o.partialResponse ? PartialResponseStrategy.WARN : PartialResponseStrategy.ABORT)

/** `type`, `state`: an enum name in any case, or absent for the default. */
function enumParam(v: string | null, values: Record<string, number>, def: number, error: (v: string) => string): number {
  if (v === null || v === '') return def
  const k = v.toUpperCase()
  if (!Object.hasOwn(values, k)) throw new BadDataError(error(v))
  return values[k]!
}

/** match[] as Prometheus validates it: each a metric selector. */
function validateMatchers(values: readonly string[]): void {
  for (const v of values) {
    let kind: string
    try {
      kind = parseExpr(v).kind
    } catch (e) {
      throw new BadDataError(`invalid parameter "match[]": ${(e as Error).message}`, {cause: e})
    }
    if (kind !== 'VectorSelector') throw new BadDataError(`invalid parameter "match[]": 1:1: parse error: unexpected ${JSON.stringify(v)}, expected vector selector`)
  }
}

/** Go's strconv.ParseFloat syntax for decimal numbers (Thanos's parseTime tries it first). */
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/**
 * `start`/`end` in ms as Thanos's parseTime reads them: float seconds with the fraction
 * rounded to ms, or RFC 3339 with up to nanoseconds (truncated to ms, as timestamp.FromTime).
 */
export function parseExemplarTime(v: string | null, name: string, def: number): number {
  if (v === null || v === '') return def
  if (FLOAT.test(v)) {
    const s = Number(v)
    const whole = Math.trunc(s)
    const frac = s - whole
    // math.Round: halves away from zero (JavaScript's Math.round rounds -0.5 up)
    return whole * 1000 + Math.sign(frac) * Math.round(Math.abs(frac) * 1000)
  }
  try {
    const t = timestampFromRfc3339(v, name)
    return t.seconds * 1000 + Math.floor(t.nanos / 1e6)
  } catch {
    throw new BadDataError(`Invalid time value for '${name}': cannot parse ${JSON.stringify(v)} to a valid timestamp`)
  }
}

/** Go's strconv.ParseInt(s, 10, 32). */
function parseInt32(s: string): number | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined
  const n = Number(s)
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : undefined
}

export class GlobalViewHttp {
  constructor(private readonly view: GlobalView) {}

  /** A failure of the fan-out as Thanos reports it: internal, the endpoint named. Our own cancellation stays what it is. */
  private async retrieve<T>(o: GlobalViewRequestOptions, prefix: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (e) {
      if (o.signal.aborted) throw e instanceof ThanostsError ? e : new CanceledError()
      throw new ThanostsError('internal', `${prefix}: ${e instanceof Error ? e.message : String(e)}`, {cause: e})
    }
  }

  private rulesRequest(form: URLSearchParams, o: GlobalViewRequestOptions, type: number) {
    return {
      type,
      partial_response_strategy: strategy(o),
      matcher_string: form.getAll('match[]'),
      rule_name: form.getAll('rule_name[]'),
      rule_group: form.getAll('rule_group[]'),
      file: form.getAll('file[]'),
    }
  }

  async rules(form: URLSearchParams, o: GlobalViewRequestOptions): Promise<GlobalViewAnswer> {
    const type = enumParam(form.get('type'), RulesRequestType, RulesRequestType.ALL, (v) => `invalid rules parameter type='${v}'`)
    validateMatchers(form.getAll('match[]'))
    const req = this.rulesRequest(form, o, type)
    const r = await this.retrieve(o, 'error retrieving rules: proxy Rules', () => this.view.rules(req, o.replicaLabels, o.signal))
    return {json: rulesJson(r.data), warnings: r.warnings}
  }

  async alerts(o: GlobalViewRequestOptions): Promise<GlobalViewAnswer> {
    const req = this.rulesRequest(new URLSearchParams(), o, RulesRequestType.ALERT)
    const r = await this.retrieve(o, 'error retrieving rules: proxy Rules', () => this.view.rules(req, o.replicaLabels, o.signal))
    return {json: alertsJson(r.data), warnings: r.warnings}
  }

  async targets(form: URLSearchParams, o: GlobalViewRequestOptions): Promise<GlobalViewAnswer> {
    const state = enumParam(form.get('state'), TargetsRequestState, TargetsRequestState.ANY, (v) => `invalid targets parameter state='${v}'`)
    const req = {state, partial_response_strategy: strategy(o)}
    const r = await this.retrieve(o, 'retrieving targets: proxy Targets', () => this.view.targets(req, o.replicaLabels, o.signal))
    return {json: targetsJson(r.data), warnings: r.warnings}
  }

  async metadata(form: URLSearchParams, o: GlobalViewRequestOptions): Promise<GlobalViewAnswer> {
    let limit = -1
    const l = form.get('limit')
    if (l !== null && l !== '') {
      const n = parseInt32(l)
      if (n === undefined) throw new BadDataError(`invalid metric metadata limit='${l}'`)
      limit = n
    }
    let perMetric = 0
    const p = form.get('limit_per_metric')
    if (p !== null && p !== '') {
      if (!/^[+-]?\d+$/.test(p)) throw new BadDataError('limit_per_metric must be a number')
      perMetric = Number(p)
    }
    const req = {metric: form.get('metric') ?? '', limit, partial_response_strategy: strategy(o)}
    const r = await this.retrieve(o, 'retrieving metadata: proxy MetricMetadata', () => this.view.metricMetadata(req, perMetric, o.signal))
    return {json: metadataJson(r.data), warnings: r.warnings}
  }

  async exemplars(form: URLSearchParams, o: GlobalViewRequestOptions): Promise<GlobalViewAnswer> {
    const start = parseExemplarTime(form.get('start'), 'start', MIN_TIME)
    const end = parseExemplarTime(form.get('end'), 'end', MAX_TIME)
    const query = form.get('query') ?? ''
    querySelectors(query) // a query that does not parse is bad_data, before any endpoint is asked
    const req = {query, start, end, partial_response_strategy: strategy(o)}
    const r = await this.retrieve(o, 'retrieving exemplars: proxy Exemplars', () => this.view.exemplars(req, o.replicaLabels, o.signal))
    return {json: exemplarsJson(r.data), warnings: r.warnings}
  }
}
