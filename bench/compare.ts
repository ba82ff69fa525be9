/**
 * Do two Prometheus API answers agree? Series are matched by label set after removing the
 * labels only one side has (the querier keeps the `cluster` external label, Prometheus never
 * shows external labels in query results); timestamps must be equal, values equal within a
 * relative 1e-9 (NaN equals NaN, infinities must match exactly). Returns the first difference
 * in words, or undefined when they agree.
 */

export interface ApiSeries {
  metric: Record<string, string>
  value?: [number, string]
  values?: [number, string][]
}

export interface ApiResponse {
  status: string
  errorType?: string
  error?: string
  warnings?: string[]
  data?: {resultType: string; result: ApiSeries[] | [number, string]}
}

export const REL_TOLERANCE = 1e-9

/** Prometheus writes infinities as "+Inf"/"-Inf", which Number() does not read. */
function parseValue(s: string): number {
  return s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s)
}

function valuesEqual(a: string, b: string): boolean {
  if (a === b) return true
  const x = parseValue(a)
  const y = parseValue(b)
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y)
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y
  return Math.abs(x - y) <= REL_TOLERANCE * Math.max(Math.abs(x), Math.abs(y))
}

function keyOf(metric: Record<string, string>, drop: ReadonlySet<string>): string {
  return JSON.stringify(
    Object.entries(metric)
      .filter(([k]) => !drop.has(k))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  )
}

const short = (s: string, n = 160): string => (s.length > n ? `${s.slice(0, n)}…` : s)

/** The points of one series as [t, v] pairs (instant vectors have one). */
function points(s: ApiSeries): [number, string][] {
  return s.values ?? (s.value ? [s.value] : [])
}

export function seriesCount(r: ApiResponse): number {
  const res = r.data?.result
  if (!res) return 0
  return r.data!.resultType === 'scalar' || r.data!.resultType === 'string' ? 1 : (res as ApiSeries[]).length
}

export function compareResponses(ref: ApiResponse, got: ApiResponse, dropLabels: ReadonlySet<string>): string | undefined {
  if (ref.status !== 'success') return `reference failed: ${ref.errorType}: ${ref.error}`
  if (got.status !== 'success') return `failed: ${got.errorType}: ${short(got.error ?? '')}`
  const rd = ref.data!
  const gd = got.data!
  if (rd.resultType !== gd.resultType) return `resultType ${gd.resultType}, want ${rd.resultType}`
  if (rd.resultType === 'scalar' || rd.resultType === 'string') {
    const [rt, rv] = rd.result as [number, string]
    const [gt, gv] = gd.result as [number, string]
    if (rt !== gt || !valuesEqual(rv, gv)) return `scalar ${gv}@${gt}, want ${rv}@${rt}`
    return undefined
  }
  const index = (list: ApiSeries[]): Map<string, ApiSeries> => {
    const m = new Map<string, ApiSeries>()
    for (const s of list) m.set(keyOf(s.metric, dropLabels), s)
    return m
  }
  const want = index(rd.result as ApiSeries[])
  const have = index(gd.result as ApiSeries[])
  if ((gd.result as ApiSeries[]).length !== have.size) return `${(gd.result as ApiSeries[]).length - have.size} series collide once ${[...dropLabels].join(', ')} are removed`
  for (const k of want.keys()) if (!have.has(k)) return `missing series ${short(k)} (${have.size} series, want ${want.size})`
  for (const k of have.keys()) if (!want.has(k)) return `extra series ${short(k)} (${have.size} series, want ${want.size})`
  for (const [k, ws] of want) {
    const wp = points(ws)
    const hp = points(have.get(k)!)
    const n = Math.min(wp.length, hp.length)
    for (let i = 0; i < n; i++) {
      const [wt, wv] = wp[i]!
      const [ht, hv] = hp[i]!
      if (wt !== ht) return `series ${short(k)}: point ${i} at t=${ht}, want t=${wt}`
      if (!valuesEqual(wv, hv)) return `series ${short(k)} at t=${wt}: ${hv}, want ${wv}`
    }
    if (wp.length !== hp.length) {
      const extra = wp.length > hp.length ? `missing from t=${wp[n]![0]}` : `extra from t=${hp[n]![0]}`
      return `series ${short(k)}: ${hp.length} points, want ${wp.length} (${extra})`
    }
  }
  return undefined
}
