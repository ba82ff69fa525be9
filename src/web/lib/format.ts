/** Durations, times, values and series names as Prometheus's UI prints them. */

const UNITS: Array<[string, number]> = [
  ['y', 365 * 24 * 3600_000],
  ['w', 7 * 24 * 3600_000],
  ['d', 24 * 3600_000],
  ['h', 3600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
]

/** "1h30m" → 5400000; null when unparseable or zero. */
export function parseDuration(s: string): number | null {
  const t = s.trim()
  if (t === '') return null
  const re = /(\d+(?:\.\d+)?)(ms|y|w|d|h|m|s)/gy
  let total = 0
  let m: RegExpExecArray | null
  let pos = 0
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * UNITS.find(([u]) => u === m![2])![1]
    pos = re.lastIndex
  }
  if (pos !== t.length) {
    // a bare number means seconds, as Prometheus's step field
    if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000
    return null
  }
  return total > 0 ? Math.round(total) : null
}

/** 5400000 → "1h30m". */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s'
  let rest = Math.round(ms)
  let out = ''
  for (const [u, f] of UNITS) {
    const n = Math.floor(rest / f)
    if (n > 0) {
      out += `${n}${u}`
      rest -= n * f
    }
  }
  return out
}

/** Steps for the range −/+ buttons, as Prometheus's range input. */
export const RANGE_STEPS = [1, 10, 60, 5 * 60, 15 * 60, 30 * 60, 3600, 2 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 56 * 86400, 112 * 86400, 182 * 86400, 365 * 86400, 730 * 86400].map((s) => s * 1000)

export function pad2(n: number): string {
  return String(n).padStart(2, '0')
}

/** "2024-07-01 12:00:00" in UTC or local time. */
export function formatTime(ms: number, local = false): string {
  const d = new Date(ms)
  if (local) return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
}

/** Parses "YYYY-MM-DD HH:mm[:ss]" (UTC unless local) or an RFC 3339 time; null when invalid. */
export function parseTime(s: string, local = false): number | null {
  const t = s.trim()
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?$/.exec(t)
  if (m) {
    const [y, mo, d, h, mi, se] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number]
    return local ? new Date(y, mo - 1, d, h, mi, se).getTime() : Date.UTC(y, mo - 1, d, h, mi, se)
  }
  const ms = Date.parse(t)
  return Number.isNaN(ms) ? null : ms
}

/** "3s ago" / "5m ago": how long ago a check happened. */
export function formatAgo(ms: number, now = Date.now()): string {
  const d = Math.max(0, now - ms)
  if (d < 1000) return 'just now'
  if (d < 60_000) return `${Math.floor(d / 1000)}s ago`
  if (d < 3600_000) return `${Math.floor(d / 60_000)}m ${Math.floor((d % 60_000) / 1000)}s ago`
  if (d < 86400_000) return `${Math.floor(d / 3600_000)}h ${Math.floor((d % 3600_000) / 60_000)}m ago`
  return `${Math.floor(d / 86400_000)}d ago`
}

/** Axis/tooltip value: 1234567 → "1.23M", as Prometheus's graph ticks. */
export function formatAxisValue(v: number | null): string {
  if (v === null || Number.isNaN(v)) return ''
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf'
  const a = Math.abs(v)
  const units: Array<[number, string]> = [
    [1e24, 'Y'], [1e21, 'Z'], [1e18, 'E'], [1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k'],
  ]
  for (const [f, u] of units) if (a >= f) return `${trimNum(v / f)}${u}`
  if (a === 0) return '0'
  const small: Array<[number, string]> = [[1, ''], [1e-3, 'm'], [1e-6, 'µ'], [1e-9, 'n'], [1e-12, 'p']]
  for (const [f, u] of small) if (a >= f) return `${trimNum(v / f)}${u}`
  return v.toExponential(2)
}

function trimNum(x: number): string {
  return String(Number(x.toPrecision(4)))
}

/** Exact value for tooltips: up to 6 significant digits, full precision kept for small integers. */
export function formatExactValue(v: number | null): string {
  if (v === null || Number.isNaN(v)) return 'NaN'
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf'
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v)
  return String(Number(v.toPrecision(6)))
}

export type Metric = Record<string, string>

/** `name{a="1", b="2"}`, with __name__ first and the rest sorted, as Prometheus prints series. */
export function seriesName(metric: Metric): string {
  const name = metric.__name__ ?? ''
  const labels = Object.keys(metric)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(metric[k])}`)
  if (labels.length === 0) return name === '' ? '{}' : name
  return `${name}{${labels.join(', ')}}`
}
