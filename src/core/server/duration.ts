/** Prometheus/Go duration flags: `30s`, `1m30s`, `10m`, `2h`, `500ms`, `1d`, `0`. */
const UNITS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000}

export function parseDurationFlag(s: string): number {
  const v = s.trim()
  if (v === '0') return 0
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/gy
  let total = 0
  let end = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(v)) !== null) {
    total += Number(m[1]) * UNITS[m[2]!]!
    end = re.lastIndex
  }
  if (v === '' || end !== v.length) throw new Error(`invalid duration ${JSON.stringify(s)} (use e.g. 30s, 1m30s, 2h)`)
  return Math.round(total)
}
