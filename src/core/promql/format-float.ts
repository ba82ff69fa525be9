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
 * A sample value as Prometheus's API writes it (util/jsonutil/marshal.go MarshalFloat): Go's
 * 'f' form, but 'e' (strconv 'e', -1: shortest digits, a two-digit exponent at least) below
 * 1e-6 and from 1e21, as encoding/json does.
 */
export function formatApiFloat(v: number): string {
  const abs = Math.abs(v)
  if (abs === 0 || Number.isNaN(v) || abs === Infinity || (abs >= 1e-6 && abs < 1e21)) return formatGoFloat(v)
  return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2')
}
