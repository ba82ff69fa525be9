/** Prometheus durations (model.ParseDuration / String): `1h30m`, `500ms`, `2w`, `1y`. */
const UNITS: [string, number][] = [
  ['y', 365 * 24 * 3600 * 1000],
  ['w', 7 * 24 * 3600 * 1000],
  ['d', 24 * 3600 * 1000],
  ['h', 3600 * 1000],
  ['m', 60 * 1000],
  ['s', 1000],
  ['ms', 1],
]
const BY_NAME = new Map(UNITS)
/** Go's time.Duration is int64 nanoseconds: model.ParseDuration refuses what does not fit (~292y). */
const MAX_NS = (1n << 63n) - 1n

/** Parses a duration to ms; throws on bad syntax. Units must not repeat or go up. */
export function parseDuration(s: string): number {
  if (s === '0') return 0
  const re = /(\d+)(ms|[ywdhms])/gy
  let total = 0
  let ns = 0n
  let pos = 0
  let lastRank = -1
  let m: RegExpExecArray | null
  while ((m = re.exec(s)) !== null) {
    const rank = UNITS.findIndex(([u]) => u === m![2])
    if (rank <= lastRank) throw new Error(`not a valid duration string: ${JSON.stringify(s)}`)
    lastRank = rank
    const unitMs = BY_NAME.get(m[2]!)!
    const mult = BigInt(unitMs) * 1_000_000n
    const v = BigInt(m[1]!)
    // as model.ParseDuration: each term, then the sum, must fit Go's int64 nanoseconds
    if (v > (MAX_NS + 1n) / mult) throw new Error('duration out of range')
    ns += v * mult
    if (ns > MAX_NS) throw new Error('duration out of range')
    total += Number(m[1]) * unitMs
    pos = re.lastIndex
  }
  if (s === '' || pos !== s.length) throw new Error(`not a valid duration string: ${JSON.stringify(s)}`)
  return total
}

/** Prometheus's model.Duration.String(): largest units first, `0s` for zero. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'
  let out = ms < 0 ? '-' : ''
  let rest = Math.abs(ms)
  for (const [u, size] of UNITS) {
    const n = Math.floor(rest / size)
    if (n > 0) {
      out += `${n}${u}`
      rest -= n * size
    }
  }
  return out
}
