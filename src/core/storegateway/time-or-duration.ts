/**
 * The value of the store gateway's --min-time / --max-time (Thanos pkg/model/timeduration.go
 * TimeOrDurationValue): an RFC 3339 time, or a duration relative to now (`-2d`, `2h45m`). A
 * duration is resolved each time the value is used, so `--min-time=-2d` is a window that moves
 * with the clock (upstream calls time.Now() in PrometheusTimestamp), not a time fixed at start.
 */
import {BadDataError} from '../errors.js'
import {parseDurationFlag} from '../server/duration.js'

export type TimeOrDuration = {readonly kind: 'time'; readonly ms: number; readonly text: string} | {readonly kind: 'duration'; readonly ms: number; readonly text: string}

/** RFC 3339 as Go's time.RFC3339 parses it: date, `T`, time, optional fraction, `Z` or an offset. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/

export function parseTimeOrDuration(s: string, flag = 'time'): TimeOrDuration {
  if (RFC3339.test(s)) {
    const ms = Date.parse(s.toUpperCase())
    if (!Number.isNaN(ms)) return {kind: 'time', ms, text: s}
  }
  const minus = s.startsWith('-')
  try {
    const d = parseDurationFlag(minus ? s.slice(1) : s)
    return {kind: 'duration', ms: minus ? -d : d, text: s}
  } catch {
    throw new BadDataError(`invalid --${flag} ${JSON.stringify(s)}: want an RFC 3339 time or a duration relative to now such as -1d or 2h45m (units ms, s, m, h, d, w, y)`)
  }
}

/** The value as a Prometheus timestamp (ms) at `now`. */
export function timestampOf(v: TimeOrDuration, now = Date.now()): number {
  return v.kind === 'time' ? v.ms : now + v.ms
}
