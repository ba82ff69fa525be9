/**
 * Special float values. Prometheus marks a series as stale with one specific NaN bit pattern
 * (0x7ff0000000000002, value.StaleNaN); any other NaN is an ordinary sample value. NaNs
 * compare unequal to everything, so staleness is a bit test, never `===`.
 *
 * StaleNaN is a *signalling* NaN, and V8 quiets signalling NaNs when it stores a double in an
 * object field or array (the quiet bit 0x0008000000000000 gets set; the payload survives).
 * So in JS values the marker may appear as 0x7ff8000000000002: isStaleNaN accepts both forms,
 * and the XOR encoder writes the canonical 0x7ff0000000000002 back. Chunk bytes that are
 * passed through (sidecar, proxy) are never decoded, so their bits are untouched.
 * Worse, optimised code may canonicalise the NaN entirely (payload lost): decoders therefore
 * report staleness from the raw bits (SampleIterator.atStale), and isStaleNaN is a fallback.
 */
const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)

export const STALE_NAN_HI = 0x7ff00000
export const STALE_NAN_LO = 0x00000002

export const STALE_NAN: number = (() => {
  u32[0] = STALE_NAN_LO
  u32[1] = STALE_NAN_HI
  return f64[0]!
})()

export function isStaleNaN(v: number): boolean {
  if (v === v) return false // not NaN at all: the common case, one comparison
  f64[0] = v
  return (u32[1]! & ~QUIET_BIT) === STALE_NAN_HI && u32[0] === STALE_NAN_LO
}

/** The quiet-NaN bit in the high word. */
export const QUIET_BIT = 0x00080000

/** Bits of `v` with a quieted StaleNaN restored to its canonical signalling form. */
export function canonicalStaleHi(hi: number, lo: number): number {
  return lo === STALE_NAN_LO && hi === (STALE_NAN_HI | QUIET_BIT) ? STALE_NAN_HI : hi
}

/** Bit-exact equality of two floats (distinguishes NaN payloads and -0; see above for sNaN). */
export function sameFloatBits(a: number, b: number): boolean {
  f64[0] = a
  const alo = u32[0]
  const ahi = u32[1]
  f64[0] = b
  return alo === u32[0] && ahi === u32[1]
}
