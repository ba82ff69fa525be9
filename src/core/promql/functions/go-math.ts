/**
 * go-math.ts: where Go's standard library and JavaScript's give different bits, the Go way,
 * because PromQL results (and the label values count_values makes of them) must equal
 * Prometheus's to the last digit.
 *
 * - ln/log2/log10: Go's math.Log (math/log.go; the amd64 assembly computes the same) is
 *   fdlibm's e_log.c reduction and polynomial without its table-free refinements; V8's
 *   Math.log differs from it in the last bit for about 3% of inputs near 1. math.Log2 splits x
 *   with Frexp and scales Log(frac); math.Log10 is Log(x) times the constant 1/Ln10
 *   (math/log10.go). V8's log2/log10 are correctly rounded, Go's are not.
 * - Dates from a float of seconds: Prometheus converts with int64(f) (promql/functions.go
 *   dateWrapper), which truncates toward zero and, on amd64, turns NaN, ±Inf and anything out of
 *   int64's range into math.MinInt64. Go's time then counts seconds from its "absolute" epoch,
 *   March 1 of year -292277022400 (time/time.go absoluteYears), in uint64, so instants before
 *   that epoch (MinInt64 among them) wrap around to far-future dates. JavaScript's Date covers
 *   only ±8.64e15 ms, so dates are computed here from day numbers instead.
 */
import {ldexp} from '../../histogram/bounds.js'

const LN2_INV = 1.4426950408889634 // 1/Ln2 rounded once, as Go's constant expression
const LN10_INV = 0.43429448190325182765112891891660508229439700580366656611 // 1/Ln10

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const HI = LITTLE ? 1 : 0

/**
 * Go's math.Frexp for finite non-zero x: frac in [0.5, 1) with x = frac × 2^exp. With raw, the
 * exponent field is read as is, without normalising a subnormal first: Go's amd64 assembly for
 * math.Log does that, so it returns about -709.09 for every subnormal.
 */
function frexp(x: number, raw = false): [number, number] {
  let exp = 0
  if (!raw && Math.abs(x) < 2.2250738585072014e-308) {
    // subnormal: normalise first, as Go's normalize()
    x *= 4503599627370496 // 2^52
    exp = -52
  }
  f64[0] = x
  const hi = u32[HI]!
  exp += ((hi >>> 20) & 0x7ff) - 1022
  u32[HI] = (hi & ~(0x7ff << 20)) | (1022 << 20)
  return [f64[0]!, exp]
}

// fdlibm e_log.c's split of ln 2 and its minimax coefficients for log(1+f) on [sqrt(2)/2-1, sqrt(2)-1]
const LN2_HI = 6.93147180369123816490e-1
const LN2_LO = 1.90821492927058770002e-10
const LG1 = 6.666666666666735130e-1
const LG2 = 3.999999999940941908e-1
const LG3 = 2.857142874366239149e-1
const LG4 = 2.222219843214978396e-1
const LG5 = 1.818357216161805012e-1
const LG6 = 1.531383769920937332e-1
const LG7 = 1.479819860511658591e-1

/** Go's math.Log, bit for bit. */
export function goLog(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log(x) // NaN, ±0, negatives and +Inf: the same special values
  let [f1, ki] = frexp(x, true)
  if (f1 < Math.SQRT1_2) {
    f1 *= 2
    ki--
  }
  const f = f1 - 1
  const s = f / (2 + f)
  const s2 = s * s
  const s4 = s2 * s2
  const r = s2 * (LG1 + s4 * (LG3 + s4 * (LG5 + s4 * LG7))) + s4 * (LG2 + s4 * (LG4 + s4 * LG6))
  const hfsq = 0.5 * f * f
  return ki * LN2_HI - (hfsq - (s * (hfsq + r) + ki * LN2_LO) - f)
}

export function goLog2(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log(x)
  const [frac, exp] = frexp(x)
  // exact powers of two give an exact answer (Go does not rely on Log(0.5)/Ln2 being exact)
  if (frac === 0.5) return exp - 1
  return goLog(frac) * LN2_INV + exp
}

export function goLog10(x: number): number {
  return goLog(x) * LN10_INV
}

/** The fields Prometheus's date functions read from a time.Time. */
export interface GoDate {
  year: number
  month: number // 1-12
  day: number // 1-31
  weekday: number // 0 = Sunday
  yearDay: number // 1-366
  hour: number
  minute: number
}

const TWO63 = 9223372036854775808
const MIN_INT64 = -(2n ** 63n)
// Seconds from the absolute epoch (March 1, -292277022400) to 1970-01-01, as time/time.go's
// unixToAbsolute: 292277022400 Gregorian years of 365.2425 days plus March-December (306 days),
// plus the days from year 1 to 1970.
const ABSOLUTE_YEARS = 292277022400n
const UNIX_TO_ABSOLUTE = (ABSOLUTE_YEARS * 3652425n / 10000n + 306n) * 86400n + (1969n * 365n + 1969n / 4n - 1969n / 100n + 1969n / 400n) * 86400n

/** int64(f) on amd64: truncation toward zero; NaN, ±Inf and out-of-range values become MinInt64. */
export function goInt64(f: number): bigint {
  if (!(f >= -TWO63 && f < TWO63)) return MIN_INT64
  return BigInt(Math.trunc(f))
}

const ABS_DAYS_AT_UNIX_EPOCH = Number(UNIX_TO_ABSOLUTE / 86400n) // < 2^53: exact

/** time.Unix(sec, 0).UTC() broken down, wrapping as Go's uint64 absolute time does. */
export function goDate(sec: bigint): GoDate {
  const abs = BigInt.asUintN(64, sec + UNIX_TO_ABSOLUTE)
  return civil(Number(abs / 86400n), Number(abs % 86400n)) // days < 2^48: exact as a double
}

/** Days and seconds of day since the absolute epoch, broken down. */
function civil(days: number, sod: number): GoDate {
  // civil date from days since a March 1 of a year divisible by 400 (the 400-year cycle has
  // 146097 days, a whole number of weeks, and puts leap days at the end of each March-year)
  const era = Math.floor(days / 146097)
  const doe = days - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = era * 400 + yoe + (month <= 2 ? 1 : 0) - Number(ABSOLUTE_YEARS)
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const yearDay = month <= 2 ? doy - 305 : doy + 59 + (leap ? 1 : 0) + 1
  return {
    year,
    month,
    day,
    // March 1 of a year divisible by 400 is a Wednesday (as March 1, 2000)
    weekday: (days + 3) % 7,
    yearDay,
    hour: Math.floor(sod / 3600),
    minute: Math.floor((sod % 3600) / 60),
  }
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

export function daysInMonth(d: GoDate): number {
  if (d.month !== 2) return DAYS_IN_MONTH[d.month - 1]!
  const y = d.year
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28
}

/** The date of a float of Unix seconds as Prometheus's date functions see it. */
export function promDate(f: number): GoDate {
  const sec = Math.trunc(f)
  // the common case in doubles (exact below 2^53 seconds, where nothing wraps); BigInt otherwise
  if (Math.abs(sec) < 9007199254740992) {
    const unixDays = Math.floor(sec / 86400)
    return civil(unixDays + ABS_DAYS_AT_UNIX_EPOCH, sec - unixDays * 86400)
  }
  return goDate(goInt64(f))
}

/**
 * Go's math.Exp2 on amd64 (pure Go, src/math/exp.go exp2 and expmulti: reduction to
 * x = k + t, then the exp polynomial on t·ln2 split in two parts, then Ldexp). V8's 2 ** x
 * differs in the last bit for some inputs; histogram_quantile's exponential interpolation
 * (quantile.go HistogramQuantile) returns through it.
 */
export function goExp2(x: number): number {
  if (Number.isNaN(x)) return x
  if (x > 1.0239999999999999e3) return Infinity
  if (x < -1.074e3) return 0
  const k = x > 0 ? Math.trunc(x + 0.5) : x < 0 ? Math.trunc(x - 0.5) : 0
  const t = x - k
  const hi = t * 6.9314718036912381649e-1
  const lo = -t * 1.90821492927058770002e-10
  const r = hi - lo
  const tt = r * r
  const c = r - tt * (1.66666666666666657415e-1 + tt * (-2.77777777770155933842e-3 + tt * (6.61375632143793436117e-5 + tt * (-1.6533902205465251539e-6 + tt * 4.13813679705723846039e-8))))
  const y = 1 - (lo - (r * c) / (2 - c) - hi)
  return ldexp(y, k)
}
