/**
 * ULIDs, the names of blocks (github.com/oklog/ulid as Prometheus and Thanos use it): 128 bits
 * written as 26 characters of Crockford's base32, most significant first; the first 48 bits are
 * the creation time in Unix milliseconds, the other 80 are random. 26 characters carry 130 bits,
 * so the first character is at most '7'. Like oklog's Parse, lower case is accepted; unlike its
 * non-strict Parse, characters outside the alphabet are rejected instead of decoding to garbage.
 */
import {BadDataError} from '../errors.js'

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const DECODE = new Int8Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) {
  DECODE[ALPHABET.charCodeAt(i)] = i
  DECODE[ALPHABET.toLowerCase().charCodeAt(i)] = i
}

export const ULID_LENGTH = 26

/** The 16 bytes of a ULID. @throws BadDataError for anything that is not a ULID. */
export function parseUlid(s: string): Uint8Array {
  if (s.length !== ULID_LENGTH) throw new BadDataError(`invalid ULID ${JSON.stringify(s)}: length ${s.length}, want 26`)
  const out = new Uint8Array(16)
  let acc = 0
  let bits = 0
  let n = 0
  for (let i = 0; i < ULID_LENGTH; i++) {
    const c = s.charCodeAt(i)
    const v = c < 128 ? DECODE[c]! : -1
    if (v < 0) throw new BadDataError(`invalid ULID ${JSON.stringify(s)}: bad character ${JSON.stringify(s[i])}`)
    if (i === 0) {
      if (v > 7) throw new BadDataError(`invalid ULID ${JSON.stringify(s)}: overflows 128 bits`)
      acc = v
      bits = 3
    } else {
      acc = (acc << 5) | v
      bits += 5
    }
    if (bits >= 8) {
      bits -= 8
      out[n++] = acc >>> bits
      acc &= (1 << bits) - 1
    }
  }
  return out
}

/** The canonical (upper-case) text of 16 ULID bytes. */
export function formatUlid(b: Uint8Array): string {
  if (b.length !== 16) throw new BadDataError(`ULID must be 16 bytes, got ${b.length}`)
  let s = ALPHABET[b[0]! >>> 5]!
  let acc = b[0]! & 0x1f
  let bits = 5
  for (let i = 1; i <= 16; i++) {
    while (bits >= 5) {
      bits -= 5
      s += ALPHABET[(acc >>> bits) & 0x1f]
    }
    if (i === 16) break
    acc = ((acc << 8) | b[i]!) & 0x1fff
    bits += 8
  }
  return s
}

export function isUlid(s: string): boolean {
  try {
    parseUlid(s)
    return true
  } catch {
    return false
  }
}

/** The ULID's timestamp (ms since the epoch): its first 48 bits. */
export function ulidTime(s: string): number {
  const b = parseUlid(s)
  let t = 0
  for (let i = 0; i < 6; i++) t = t * 256 + b[i]!
  return t
}

/** A new ULID for time `ms` with random entropy, as oklog's ulid.MustNew(ms, crypto/rand). */
export function newUlid(ms: number, random: Uint8Array = crypto.getRandomValues(new Uint8Array(10))): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= 2 ** 48) throw new BadDataError(`ULID time out of range: ${ms}`)
  const b = new Uint8Array(16)
  for (let i = 5, t = ms; i >= 0; i--, t = Math.floor(t / 256)) b[i] = t % 256
  b.set(random.subarray(0, 10), 6)
  return formatUlid(b)
}
