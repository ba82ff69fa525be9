/**
 * Go's float text forms, where Prometheus's output (or its parsing of label values) depends on
 * them: strconv.FormatFloat's 'f' and 'g' forms and strconv.ParseFloat.
 */

/**
 * Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest decimal that round-trips, never in
 * exponent form. Prometheus uses it for sample values in its API and for number literals in
 * printed PromQL, so byte-exact compatibility needs exactly this (JS String() switches to
 * exponents below 1e-6 and from 1e21).
 */
export function formatGoFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  if (Object.is(v, -0)) return '-0'
  const s = String(v)
  const e = s.indexOf('e')
  if (e < 0) return s
  // shortest digits and exponent from JS, re-laid out without the exponent
  const neg = s.startsWith('-')
  const mantissa = s.slice(neg ? 1 : 0, e)
  const exp = Number(s.slice(e + 1))
  const dot = mantissa.indexOf('.')
  const digits = mantissa.replace('.', '')
  const intLen = (dot < 0 ? mantissa.length : dot) + exp
  let out: string
  if (intLen <= 0) out = '0.' + '0'.repeat(-intLen) + digits
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length)
  else out = digits.slice(0, intLen) + '.' + digits.slice(intLen)
  return (neg ? '-' : '') + out
}

/**
 * Decimal digits of |v| (no trailing zeros) and the decimal point's position: v = 0.d1d2... ×
 * 10^dp. prec < 0: the shortest digits that round-trip; else rounded to prec digits, half to
 * even on exact ties as Go's decimal rounding (JavaScript's toPrecision rounds ties up).
 */
function decimalDigits(v: number, prec: number): {d: string; dp: number} {
  const a = Math.abs(v)
  if (a === 0) return {d: '', dp: 0}
  const [m, e] = (prec < 0 ? a.toExponential() : a.toPrecision(100)).split(/e/i) as [string, string | undefined]
  let d = m.replace('.', '')
  let dp: number
  if (e !== undefined) dp = Number(e) + 1
  else {
    // toPrecision(100) writes no exponent for 1e-7 <= a < 1e21: place the point from the text
    const dot = m.indexOf('.')
    const intPart = dot < 0 ? m : m.slice(0, dot)
    const lead = /^0*/.exec(d)![0].length
    dp = intPart === '0' ? -(lead - 1) : intPart.length
    d = d.slice(lead)
  }
  if (prec >= 0 && d.length > prec) {
    const rest = d.slice(prec)
    const up = rest[0]! > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || (prec > 0 && Number(d[prec - 1]) % 2 === 1)))
    d = d.slice(0, prec)
    if (up) {
      const digits = d.split('').map(Number)
      let i = digits.length - 1
      while (i >= 0 && digits[i] === 9) digits[i--] = 0
      if (i < 0) {
        digits.unshift(1)
        digits.pop()
        dp++
      } else digits[i]!++
      d = digits.join('')
    }
  }
  return {d: d.replace(/0+$/, ''), dp}
}

/**
 * Go's %g of a float64 (strconv.FormatFloat(v, 'g', prec, 64), as fmt prints it): shortest
 * digits when prec < 0, exponent form when the exponent is below -4 or from the precision on
 * (6 for the shortest form), e.g. 1e+06, 1.5, 0.0001, 1e-05, +Inf.
 */
export function formatGoG(v: number, prec = -1): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  const neg = v < 0 || Object.is(v, -0)
  if (prec === 0) prec = 1
  const {d, dp} = decimalDigits(v, prec)
  const nd = d.length
  const shortest = prec < 0
  let p = shortest ? nd : prec
  let eprec = p
  if (eprec > nd && nd >= dp) eprec = nd
  if (shortest) eprec = 6
  const exp = dp - 1
  let out: string
  if (nd === 0) out = '0'
  else if (exp < -4 || exp >= eprec) {
    if (p > nd) p = nd
    const mant = p > 1 ? `${d[0]}.${d.slice(1, p)}` : d[0]!
    out = `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  } else {
    if (p > dp) p = nd
    const decimals = Math.max(p - dp, 0)
    const intPart = dp > 0 ? (d.slice(0, dp) + '0'.repeat(Math.max(dp - nd, 0))) : '0'
    let frac = ''
    for (let i = 0; i < decimals; i++) {
      const j = dp + i
      frac += j >= 0 && j < nd ? d[j] : '0'
    }
    out = decimals > 0 ? `${intPart}.${frac}` : intPart
  }
  return (neg ? '-' : '') + out
}

/** strconv's underscoreOK: underscores only between digits (or after a base prefix). */
function underscoresOk(s: string): boolean {
  let i = s[0] === '+' || s[0] === '-' ? 1 : 0
  let saw = '^'
  let hex = false
  if (s.length - i >= 2 && s[i] === '0' && 'box'.includes(s[i + 1]!.toLowerCase())) {
    hex = s[i + 1]!.toLowerCase() === 'x'
    saw = '0'
    i += 2
  }
  for (; i < s.length; i++) {
    const c = s[i]!
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) saw = '0'
    else if (c === '_') {
      if (saw !== '0') return false
      saw = '_'
    } else {
      if (saw === '_') return false
      saw = '!'
    }
  }
  return saw !== '_'
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/

/**
 * Go's strconv.ParseFloat(s, 64), undefined where it fails: decimal and hexadecimal (with a
 * p exponent) forms, digits separated by underscores, inf/infinity (signed) and nan in any
 * case; a value beyond float64's range is an error (ErrRange), one that underflows is not.
 * Prometheus reads classic histograms' `le` with it: what it rejects is a malformed bucket.
 */
export function parseGoFloat(s: string): number | undefined {
  const sign = s[0] === '-' ? -1 : 1
  const body = s[0] === '+' || s[0] === '-' ? s.slice(1) : s
  const lower = body.toLowerCase()
  if (lower === 'inf' || lower === 'infinity') return sign * Infinity
  if (s.toLowerCase() === 'nan') return NaN
  if (s.includes('_')) {
    if (!underscoresOk(s)) return undefined
    s = s.replace(/_/g, '')
  }
  let v: number
  if (DECIMAL.test(s)) v = Number(s)
  else {
    const m = HEX.exec(s)
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined
    const digits = m[2]! + (m[3] ?? '')
    // exact in BigInt, one rounding at the end (mantissas of up to 2^1023 and more are fine)
    const mant = BigInt('0x' + (digits === '' ? '0' : digits))
    const exp = Number(m[4]) - 4 * (m[3] ?? '').length
    v = (m[1] === '-' ? -1 : 1) * scaleBig(mant, exp)
  }
  return Number.isFinite(v) ? v : undefined
}

/** mant × 2^exp as the nearest float64 (approximately for mantissas beyond 2^53). */
function scaleBig(mant: bigint, exp: number): number {
  if (mant === 0n) return 0
  // bring the mantissa into 64 bits, keeping a sticky bit for rounding
  let m = mant
  let e = exp
  const bits = m.toString(2).length
  if (bits > 64) {
    const shift = bits - 64
    const sticky = (m & ((1n << BigInt(shift)) - 1n)) !== 0n ? 1n : 0n
    m = (m >> BigInt(shift)) | sticky
    e += shift
  }
  let v = Number(m)
  // scale in steps that stay within float64 exponent range
  while (e > 0) {
    const k = Math.min(e, 1000)
    v *= 2 ** k
    e -= k
  }
  while (e < 0) {
    const k = Math.min(-e, 1000)
    v /= 2 ** k
    e += k
  }
  return v
}

/**
 * A sample value as Prometheus's API writes it (util/jsonutil/marshal.go MarshalFloat): Go's
 * 'f' form, but 'e' (strconv 'e', -1: shortest digits, a two-digit exponent at least) below
 * 1e-6 and from 1e21, as encoding/json does.
 */
export function formatApiFloat(v: number): string {
  const abs = Math.abs(v)
  if (abs === 0 || Number.isNaN(v) || abs === Infinity || (abs >= 1e-6 && abs < 1e21)) return formatGoFloat(v)
  return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2')
}
