/**
 * One query, start to finish: resolve times, ask the source, render, and report warnings and
 * infos (PromQL's annotations, as the API gives them) separately (stderr) so that stdout stays
 * machine-readable with --output json|csv.
 */
import {BadDataError} from '../errors.js'
import type {ApiQueryResult} from '../api/api-types.js'
import {queryHttp} from './http-source.js'
import {type OutputFormat, render} from './render.js'
import {renderWithExplain} from './render-explain.js'
import {defaultStep, parseStepArg, parseTimeArg} from './time-params.js'

export interface QueryOnceConfig {
  query: string
  /** Remote API base URL (`--query.url`), or local evaluation over `stores`. */
  queryUrl?: string
  stores: string[]
  time?: string
  start?: string
  end?: string
  step?: string
  replicaLabels: string[]
  dedup: boolean
  partialResponse: boolean
  timeoutMs: number
  output: OutputFormat
  timeColumns: boolean
  color: boolean
  /** Also print which replica served which stretch of each series (explain=true). */
  explain?: boolean
  /** --enable-feature=promql-delayed-name-removal, for local evaluation (--store) */
  enableDelayedNameRemoval?: boolean
}

export interface ResolvedQuery {
  query: string
  time?: number
  range?: {start: number; end: number; step: number}
}

/** Evaluates a resolved query locally (fan-out over stores); injected so this module stays light. */
export type LocalEvaluator = (q: ResolvedQuery, cfg: QueryOnceConfig) => Promise<ApiQueryResult>

export interface QueryOnceOutput {
  stdout: string
  warnings: string[]
  /** PromQL's info annotations: hints, not problems (Prometheus 3 answers them apart) */
  infos: string[]
}

export function resolveTimes(cfg: QueryOnceConfig, now = Date.now()): ResolvedQuery {
  const isRange = cfg.start !== undefined || cfg.end !== undefined || cfg.step !== undefined
  if (!isRange) return {query: cfg.query, time: cfg.time !== undefined ? parseTimeArg(cfg.time, now) : now}
  if (cfg.time !== undefined) throw new BadDataError('--time cannot be combined with --start/--end/--step')
  const end = cfg.end !== undefined ? parseTimeArg(cfg.end, now) : now
  const start = cfg.start !== undefined ? parseTimeArg(cfg.start, now) : end - 3_600_000
  if (end < start) throw new BadDataError('end timestamp must not be before start time')
  const step = cfg.step !== undefined ? parseStepArg(cfg.step) : defaultStep(start, end)
  if ((end - start) / step > 11000) {
    throw new BadDataError('exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (--step)')
  }
  return {query: cfg.query, range: {start, end, step}}
}

export async function runQueryOnce(cfg: QueryOnceConfig, local?: LocalEvaluator): Promise<QueryOnceOutput> {
  if (cfg.queryUrl === undefined && cfg.stores.length === 0) throw new BadDataError('give --store HOST:PORT (repeatable) or --query.url URL')
  if (cfg.queryUrl !== undefined && cfg.stores.length > 0) throw new BadDataError('--store and --query.url are mutually exclusive')
  const q = resolveTimes(cfg)
  let result: ApiQueryResult
  if (cfg.queryUrl !== undefined) {
    result = await queryHttp({
      baseUrl: cfg.queryUrl,
      query: q.query,
      time: q.time,
      range: q.range,
      dedup: cfg.dedup,
      partialResponse: cfg.partialResponse,
      replicaLabels: cfg.replicaLabels.length > 0 ? cfg.replicaLabels : undefined,
      timeoutMs: cfg.timeoutMs,
      explain: cfg.explain,
    })
  } else {
    if (!local) throw new BadDataError('local evaluation over --store is not available in this build')
    result = await local(q, cfg)
  }
  const warnings = [...result.warnings]
  const infos = [...result.infos]
  const opts = {format: cfg.output, color: cfg.color, timeColumns: cfg.timeColumns}
  if (!cfg.explain) return {stdout: render(result.data, opts), warnings, infos}
  if (!result.explain) warnings.push('the server did not explain its answer (explain=true needs a thanosts querier)')
  return {stdout: renderWithExplain(result.data, result.explain, opts), warnings, infos}
}
