/**
 * Time arguments of query-once: RFC 3339, unix seconds (fractions allowed), `now`, and
 * relative times such as `-1h` or `-30m` (relative to `now`), so a user at a terminal can say
 * `--start -1h --end now`.
 */
import {BadDataError} from '../errors.js'
import {parseDurationFlag} from '../server/duration.js'

/** Prometheus duration syntax (`1h30m`, `15s`, `500ms`) → ms. */
export function parseDurationMs(s: string): number {
  try {
    return parseDurationFlag(s)
  } catch (e) {
    throw new BadDataError((e as Error).message)
  }
}

/** Parses a time argument to ms since epoch. */
export function parseTimeArg(s: string, now: number): number {
  const v = s.trim()
  if (v === 'now') return now
  if (v.startsWith('-') && /[a-z]$/.test(v)) return now - parseDurationMs(v.slice(1))
  if (v.startsWith('+') && /[a-z]$/.test(v)) return now + parseDurationMs(v.slice(1))
  if (/^-?\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000)
  const t = Date.parse(v)
  if (Number.isNaN(t)) throw new BadDataError(`cannot parse ${JSON.stringify(s)} as a time: use RFC 3339, unix seconds, 'now' or a relative time like -1h`)
  return t
}

/** A step: seconds (`15`, `0.5`) or a duration (`15s`, `1m`) → ms. */
export function parseStepArg(s: string): number {
  const v = s.trim()
  const ms = /^\d+(\.\d+)?$/.test(v) ? Math.round(Number(v) * 1000) : parseDurationMs(v)
  if (!(ms > 0)) throw new BadDataError(`step must be positive, got ${JSON.stringify(s)}`)
  return ms
}

/** A default step as Prometheus's UI picks it: ~250 points over the range, at least 1s. */
export function defaultStep(start: number, end: number): number {
  return Math.max(1000, Math.round((end - start) / 250 / 1000) * 1000)
}
