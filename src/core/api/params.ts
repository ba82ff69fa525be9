/**
 * Request parameters as Prometheus's API parses them (web/api/v1/api.go): times as unix seconds
 * (fractions allowed) or RFC 3339, durations as float seconds or Prometheus durations, booleans
 * as Go's strconv.ParseBool, GET query string and POST form merged as Go's ParseForm.
 */
import type {IncomingMessage} from 'node:http'
import {BadDataError} from '../errors.js'
import {parseDuration} from '../promql/parser/duration.js'

/** Prometheus's minTime/maxTime for absent start/end (far past/future, as in the Go API). */
export const MIN_TIME = -9223309901257974
export const MAX_TIME = 9223309901257974

export async function readForm(req: IncomingMessage, url: URL, maxBytes = 16 << 20): Promise<URLSearchParams> {
  const params = new URLSearchParams(url.search)
  if (req.method === 'POST' && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    const chunks: Buffer[] = []
    let n = 0
    for await (const c of req as AsyncIterable<Buffer>) {
      n += c.length
      if (n > maxBytes) throw new BadDataError('request body too large')
      chunks.push(c)
    }
    // body values first, as Go's ParseForm gives POST values precedence
    const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
    const merged = new URLSearchParams()
    for (const [k, v] of body) merged.append(k, v)
    for (const [k, v] of params) merged.append(k, v)
    return merged
  }
  return params
}

/** Parses `time`/`start`/`end`: unix seconds with decimals, or RFC 3339. Returns ms. */
export function parseTimeParam(v: string | null, name: string, def: number): number {
  if (v === null || v === '') return def
  if (/^[-+]?\d+(\.\d+)?$/.test(v)) {
    const s = Number(v)
    return Math.round(s * 1000)
  }
  const t = Date.parse(v)
  if (!Number.isNaN(t) && /^\d{4}-\d{2}-\d{2}T/.test(v)) return t
  throw new BadDataError(`invalid parameter "${name}": cannot parse "${v}" to a valid timestamp`)
}

/** Parses `step`/`timeout`/`lookback_delta`: float seconds or a Prometheus duration. Returns ms. */
export function parseDurationParam(v: string, name: string): number {
  if (/^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) {
    const ms = Number(v) * 1000
    if (!Number.isFinite(ms)) throw new BadDataError(`invalid parameter "${name}": cannot parse "${v}" to a valid duration. It overflows int64`)
    return Math.round(ms)
  }
  try {
    return parseDuration(v)
  } catch {
    throw new BadDataError(`invalid parameter "${name}": cannot parse "${v}" to a valid duration`)
  }
}

/** Go strconv.ParseBool. */
export function parseBoolParam(v: string | null, name: string, def: boolean): boolean {
  if (v === null || v === '') return def
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false
  throw new BadDataError(`invalid parameter "${name}": strconv.ParseBool: parsing "${v}": invalid syntax`)
}
