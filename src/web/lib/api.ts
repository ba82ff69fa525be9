/**
 * Talking to the querier's Prometheus HTTP API from the browser. Every URL is built on the
 * prefix the server wrote into index.html (the path of --web.external-prefix), so the UI works
 * behind a reverse proxy that serves it under a sub-path.
 */
import type {ApiExplain} from '../../core/api/api-types.js'

function readPrefix(): string {
  const meta = document.querySelector('meta[name="thanosts-prefix"]')
  const v = meta?.getAttribute('content') ?? ''
  // An unrendered template (opened as a file) still works at the root.
  return v.startsWith('__') ? '' : v.replace(/\/+$/, '')
}

export const PATH_PREFIX = readPrefix()

/** The Prometheus-style envelope every /api/v1 answer has. */
export interface ApiEnvelope<T> {
  status: 'success' | 'error'
  data?: T
  errorType?: string
  error?: string
  warnings?: string[]
  infos?: string[]
  /** Beside data when the query asked explain=true (thanosts, issue 18). */
  explain?: ApiExplain
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly errorType: string,
    readonly warnings: string[],
  ) {
    super(message)
  }
}

export interface ApiResult<T> {
  data: T
  warnings: string[]
  infos: string[]
  explain?: ApiExplain
}

/** GET (or POST with a form) `/api/v1/<path>`; rejects with ApiError on an error envelope. */
export async function api<T>(path: string, opts: {form?: URLSearchParams; signal?: AbortSignal} = {}): Promise<ApiResult<T>> {
  const url = `${PATH_PREFIX}/api/v1/${path}`
  let res: Response
  try {
    res = opts.form
      ? await fetch(url, {method: 'POST', body: opts.form, headers: {'content-type': 'application/x-www-form-urlencoded'}, signal: opts.signal, cache: 'no-store'})
      : await fetch(url, {signal: opts.signal, cache: 'no-store'})
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e
    throw new ApiError(`cannot reach the querier: ${(e as Error).message}`, 'network', [])
  }
  let body: ApiEnvelope<T>
  try {
    body = (await res.json()) as ApiEnvelope<T>
  } catch {
    throw new ApiError(`unexpected answer from the querier: HTTP ${res.status} ${res.statusText}`, 'internal', [])
  }
  if (body.status !== 'success') throw new ApiError(body.error ?? `HTTP ${res.status}`, body.errorType ?? 'unknown', body.warnings ?? [])
  return {data: body.data as T, warnings: body.warnings ?? [], infos: body.infos ?? [], explain: body.explain}
}

/** Link inside the UI (honours the prefix). */
export function uiPath(route: string): string {
  return `${PATH_PREFIX}${route}`
}

/** The UI route of the current location, with the prefix removed ('/query', '/stores', ...). */
export function currentRoute(): string {
  let p = window.location.pathname
  if (PATH_PREFIX && p.startsWith(PATH_PREFIX)) p = p.slice(PATH_PREFIX.length)
  p = p.replace(/\/+$/, '')
  return p === '' ? '/query' : p
}

export function navigate(route: string, search = ''): void {
  window.history.pushState(null, '', uiPath(route) + search)
  window.dispatchEvent(new Event('thanosts:navigate'))
}
