/**
 * One benchmark HTTP query, sent as Grafana sends it and timed until the whole body is read and
 * parsed: shared by the querier comparison (run.ts) and the store section (store-bench.ts).
 */
import {gunzipSync} from 'node:zlib'
import {request, type Agent} from 'undici'
import type {ApiResponse} from './compare.js'

/** One query against one target, timed until the whole body is read and parsed. */
export async function timedQuery(dispatcher: Agent, t: {url: string}, form: {path: string; body: string}): Promise<{ms: number; res: ApiResponse}> {
  const t0 = performance.now()
  try {
    const r = await request(t.url + form.path, {
      method: 'POST',
      dispatcher,
      // Grafana's Go HTTP client asks for gzip and unpacks it: so do we, for every target
      headers: {'content-type': 'application/x-www-form-urlencoded', 'accept-encoding': 'gzip'},
      body: form.body,
    })
    const raw = Buffer.from(await r.body.arrayBuffer())
    const text = (r.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString()
    let res: ApiResponse
    try {
      res = JSON.parse(text) as ApiResponse
    } catch {
      res = {status: 'error', errorType: `HTTP ${r.statusCode}`, error: text.slice(0, 300)}
    }
    return {ms: performance.now() - t0, res}
  } catch (e) {
    return {ms: NaN, res: {status: 'error', errorType: 'request', error: (e as Error).message}}
  }
}
