/**
 * A client of the Prometheus HTTP API for tests that compare servers (Prometheus, Thanos,
 * thanosts): POSTs the form Grafana sends, returns the status and the parsed body.
 */
import type {ApiResponse} from '../../bench/compare.js'

export interface ApiAnswer {
  code: number
  body: ApiResponse & {infos?: string[]}
  text: string
}

export type ApiParams = Record<string, string | number | boolean | readonly string[]>

export function formOf(params: ApiParams): string {
  const u = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) u.append(k, String(x))
  return u.toString()
}

export async function apiPost(baseUrl: string, path: string, params: ApiParams): Promise<ApiAnswer> {
  const r = await fetch(`${baseUrl}${path}`, {method: 'POST', headers: {'content-type': 'application/x-www-form-urlencoded'}, body: formOf(params), signal: AbortSignal.timeout(60_000)})
  const text = await r.text()
  let body: ApiAnswer['body']
  try {
    body = JSON.parse(text) as ApiAnswer['body']
  } catch {
    throw new Error(`${baseUrl}${path}: HTTP ${r.status}, not JSON: ${text.slice(0, 300)}`)
  }
  return {code: r.status, body, text}
}

export async function apiGet(baseUrl: string, path: string, params: ApiParams = {}): Promise<ApiAnswer> {
  const r = await fetch(`${baseUrl}${path}?${formOf(params)}`, {signal: AbortSignal.timeout(60_000)})
  const text = await r.text()
  return {code: r.status, body: JSON.parse(text) as ApiAnswer['body'], text}
}

/** An instant query at `timeMs`, or a range query over [startMs, endMs] when `range` is given. */
export function queryParams(expr: string, at: {timeMs: number} | {startMs: number; endMs: number; stepMs: number}, extra: ApiParams = {}): {path: string; params: ApiParams} {
  const sec = (ms: number): string => String(ms / 1000)
  if ('timeMs' in at) return {path: '/api/v1/query', params: {query: expr, time: sec(at.timeMs), ...extra}}
  return {path: '/api/v1/query_range', params: {query: expr, start: sec(at.startMs), end: sec(at.endMs), step: sec(at.stepMs), ...extra}}
}

/** An answer's `data` as text with its result ordered by labels, the only freedom Prometheus's answer has; errors as their type. */
export function normalizedData(a: ApiAnswer['body']): string {
  const b = a as {status: string; errorType?: string; data?: {resultType: string; result: unknown}}
  if (b.status !== 'success') return `error ${b.errorType}`
  const d = b.data!
  if (!Array.isArray(d.result)) return JSON.stringify(d)
  const keyed = (d.result as {metric: Record<string, string>}[]).map((r) => [JSON.stringify(r.metric), JSON.stringify(r)] as const)
  keyed.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
  return `${d.resultType} ${keyed.map((k) => k[1]).join('\n')}`
}
