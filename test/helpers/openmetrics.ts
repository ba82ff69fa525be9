/**
 * Deterministic test data as OpenMetrics text for `promtool tsdb create-blocks-from openmetrics`.
 * promtool wants each metric family in one block of lines, timestamps in seconds, and `# EOF`.
 */

export type Sample = [tMs: number, value: number]

export interface SeriesSpec {
  /** Family name; counters are written with the `_total` suffix on sample lines. */
  metric: string
  type?: 'counter' | 'gauge' | 'untyped'
  labels?: Record<string, string>
  samples: Sample[]
}

/** Samples every `stepMs` from `startMs`, `count` of them; `value(i, t)` undefined = no sample (a gap). */
export function samples(startMs: number, stepMs: number, count: number, value: (i: number, tMs: number) => number | undefined): Sample[] {
  const out: Sample[] = []
  for (let i = 0; i < count; i++) {
    const t = startMs + i * stepMs
    const v = value(i, t)
    if (v !== undefined) out.push([t, v])
  }
  return out
}

export function formatOpenMetricsValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Infinity) return '+Inf'
  if (v === -Infinity) return '-Inf'
  return String(v)
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

export function toOpenMetrics(series: SeriesSpec[]): string {
  const families = new Map<string, SeriesSpec[]>()
  for (const s of series) {
    const list = families.get(s.metric) ?? []
    list.push(s)
    families.set(s.metric, list)
  }
  const lines: string[] = []
  for (const [name, list] of families) {
    const type = list[0]!.type ?? 'gauge'
    lines.push(`# TYPE ${name} ${type === 'untyped' ? 'unknown' : type}`)
    const sampleName = type === 'counter' ? `${name}_total` : name
    for (const s of list) {
      const ls = Object.entries(s.labels ?? {})
        .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
        .join(',')
      const head = ls ? `${sampleName}{${ls}}` : sampleName
      for (const [t, v] of s.samples) lines.push(`${head} ${formatOpenMetricsValue(v)} ${(t / 1000).toFixed(3)}`)
    }
  }
  lines.push('# EOF', '')
  return lines.join('\n')
}
