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
