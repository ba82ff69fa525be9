/**
 * Time arguments of query-once: RFC 3339, unix seconds (fractions allowed), `now`, and
 * relative times such as `-1h` or `-30m` (relative to `now`), so a user at a terminal can say
 * `--start -1h --end now`.
 */
import {BadDataError} from '../errors.js'

const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000}

/** Prometheus duration syntax (`1h30m`, `15s`, `500ms`) → ms. */
export function parseDurationMs(s: string): number {
  const re = /(\d+)(ms|s|m|h|d|w|y)/gy
  let total = 0
  let matched = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!
    matched = re.lastIndex
  }
  if (s === '' || matched !== s.length) throw new BadDataError(`invalid duration ${JSON.stringify(s)}`)
  return total
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
