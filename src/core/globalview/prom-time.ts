/**
 * Prometheus's API times (RFC 3339 with up to nanoseconds, any UTC offset, as Go's time.Time
 * JSON) to and from google.protobuf.Timestamp, exactly: JavaScript's Date keeps only ms and
 * reads years below 100 as 19xx, so the calendar arithmetic is done here on integers.
 */
import {ThanostsError} from '../errors.js'
import type {PbTimestamp} from './messages.js'

/** Go's zero time.Time (0001-01-01T00:00:00Z), which Prometheus reports for "never". */
export const GO_ZERO_TIME: PbTimestamp = {seconds: -62135596800, nanos: 0}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

function civilFromDays(z: number): [year: number, month: number, day: number] {
  const zz = z + 719468
  const era = Math.floor(zz / 146097)
  const doe = zz - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day]
}

/**
 * A JSON time from Prometheus as a Timestamp. A missing or null time is Go's zero time (what
 * json.Unmarshal leaves in a time.Time); anything else that is not RFC 3339 fails, as in Go.
 */
export function timestampFromRfc3339(v: unknown, what: string): PbTimestamp {
  if (v === undefined || v === null) return {...GO_ZERO_TIME}
  const m = typeof v === 'string' ? RFC3339.exec(v) : null
  if (!m) throw new ThanostsError('internal', `${what}: cannot parse ${JSON.stringify(v)} as an RFC 3339 time`)
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number]
  let offset = 0
  if (m[9] !== undefined) offset = (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 3600 + Number(m[11]) * 60)
  const seconds = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset
  const nanos = m[7] === undefined ? 0 : Number(m[7].padEnd(9, '0'))
  return {seconds, nanos}
}

/** A Timestamp as Go prints a UTC time.Time in JSON (RFC 3339, trailing zeros of the fraction dropped). */
export function timestampToRfc3339(t: PbTimestamp): string {
  const days = Math.floor(t.seconds / 86400)
  const rest = t.seconds - days * 86400
  const [y, mo, d] = civilFromDays(days)
  const two = (n: number): string => String(n).padStart(2, '0')
  const frac = t.nanos === 0 ? '' : '.' + String(t.nanos).padStart(9, '0').replace(/0+$/, '')
  return `${String(y).padStart(4, '0')}-${two(mo)}-${two(d)}T${two(Math.floor(rest / 3600))}:${two(Math.floor((rest % 3600) / 60))}:${two(rest % 60)}${frac}Z`
}
