/**
 * Asks any Prometheus-compatible HTTP API (a `thanosts query`, a Thanos querier, Prometheus
 * itself) for one query. Thanos's own parameters (dedup, partial_response, replicaLabels[])
 * are sent only when set, so plain Prometheus is not confused by them.
 */
import {request} from 'undici'
import {BadDataError, ExecutionError, ThanostsError, TimeoutError, UnavailableError} from '../errors.js'
import type {ApiExplain, ApiQueryData, ApiQueryResult} from '../api/api-types.js'

export interface HttpQueryRequest {
  baseUrl: string
  query: string
  /** Instant query at `time`, or a range query when start/end/step are set (ms). */
  time?: number
  range?: {start: number; end: number; step: number}
  dedup?: boolean
  partialResponse?: boolean
  replicaLabels?: string[]
  timeoutMs?: number
  /** Ask a thanosts querier for replica spans (explain=true); others ignore the parameter. */
  explain?: boolean
}

interface ApiEnvelope {
  status: 'success' | 'error'
  data?: ApiQueryData
  explain?: ApiExplain
  errorType?: string
  error?: string
  warnings?: string[]
  infos?: string[]
}

export async function queryHttp(req: HttpQueryRequest): Promise<ApiQueryResult> {
  const form = new URLSearchParams()
  form.set('query', req.query)
  if (req.range) {
    form.set('start', String(req.range.start / 1000))
    form.set('end', String(req.range.end / 1000))
    form.set('step', String(req.range.step / 1000))
  } else if (req.time !== undefined) {
    form.set('time', String(req.time / 1000))
  }
  if (req.dedup !== undefined) form.set('dedup', String(req.dedup))
  if (req.partialResponse !== undefined) form.set('partial_response', String(req.partialResponse))
  for (const l of req.replicaLabels ?? []) form.append('replicaLabels[]', l)
  if (req.timeoutMs !== undefined) form.set('timeout', `${req.timeoutMs / 1000}s`)
  if (req.explain) form.set('explain', 'true')
  const url = new URL(req.range ? 'api/v1/query_range' : 'api/v1/query', req.baseUrl.endsWith('/') ? req.baseUrl : req.baseUrl + '/')
  let body: ApiEnvelope
  let status: number
  try {
    const res = await request(url, {
      method: 'POST',
      headers: {'content-type': 'application/x-www-form-urlencoded'},
      body: form.toString(),
      signal: req.timeoutMs !== undefined ? AbortSignal.timeout(req.timeoutMs + 5000) : undefined,
    })
    status = res.statusCode
    const text = await res.body.text()
    try {
      body = JSON.parse(text) as ApiEnvelope
    } catch {
      throw new UnavailableError(`${url.href}: HTTP ${status}: ${text.slice(0, 200)}`)
    }
  } catch (e) {
    if (e instanceof ThanostsError) throw e
    if ((e as Error).name === 'TimeoutError' || (e as Error).name === 'AbortError') throw new TimeoutError(`${url.href}: no answer in time`)
    throw new UnavailableError(`${url.href}: ${(e as Error).message}`, {cause: e})
  }
  if (body.status !== 'success' || !body.data) {
    const msg = body.error ?? `HTTP ${status}`
    switch (body.errorType) {
      case 'bad_data':
        throw new BadDataError(msg)
      case 'timeout':
        throw new TimeoutError(msg)
      case 'unavailable':
        throw new UnavailableError(msg)
      default:
        throw new ExecutionError(msg)
    }
  }
  const out: ApiQueryResult = {data: body.data, warnings: body.warnings ?? [], infos: body.infos ?? []}
  if (body.explain) out.explain = body.explain
  return out
}
