/**
 * Renders a query result for a terminal. Tables show what differs between series: labels
 * whose value is the same for every series are printed once above the table instead of in
 * every row, so a `sum by (job)` answer reads as a short list of jobs and values.
 *
 * Native histogram samples (the API's `histogram`/`histograms` in place of `value`/`values`,
 * web/api/v1/json_codec.go) are shown as count, sum and buckets in an instant table, by their
 * count and sum elsewhere; JSON prints the API's shape untouched.
 */
import {Chalk, type ChalkInstance} from 'chalk'
import Table from 'cli-table3'
import type {ApiHistogramValue, ApiMatrixSeries, ApiQueryData, ApiVectorSample} from '../api/api-types.js'
import {histogramLines, histogramSummary} from './histogram-text.js'

export type OutputFormat = 'table' | 'json' | 'csv'

export interface RenderOptions {
  format: OutputFormat
  /** Colours on (TTY without NO_COLOR) or off. */
  color: boolean
  /** Range results: one column per timestamp instead of first/last/min/max + sparkline. */
  timeColumns?: boolean
}

const SPARK = '▁▂▃▄▅▆▇█'

export function render(data: ApiQueryData, opts: RenderOptions): string {
  switch (opts.format) {
    case 'json':
      return JSON.stringify(data)
    case 'csv':
      return renderCsv(data)
    case 'table':
      return renderTable(data, opts)
  }
}

function labelColumns(metrics: Record<string, string>[]): {common: [string, string][]; varying: string[]} {
  const names = new Set<string>()
  for (const m of metrics) for (const k of Object.keys(m)) names.add(k)
  const common: [string, string][] = []
  const varying: string[] = []
  for (const n of [...names].sort()) {
    const first = metrics[0]?.[n]
    const same = metrics.length > 1 && metrics.every((m) => m[n] === first && first !== undefined)
    if (same) common.push([n, first!])
    else varying.push(n)
  }
  // the metric name first, as Prometheus prints series
  const i = varying.indexOf('__name__')
  if (i > 0) varying.unshift(...varying.splice(i, 1))
  return {common, varying}
}

function header(c: ChalkInstance, common: [string, string][], count: number, kind: string): string {
  const parts = [c.bold(`${count} ${kind}${count === 1 || kind.endsWith('s') ? '' : 's'}`)]
  if (common.length > 0) parts.push(c.dim('common labels: ') + `{${common.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`)
  return parts.join('  ')
}

export function fmtTime(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z')
}

function parseValue(s: string): number {
  return s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s)
}

export function sparkline(values: number[]): string {
  const finite = values.filter(Number.isFinite)
  if (finite.length === 0) return ''
  const min = Math.min(...finite)
  const max = Math.max(...finite)
  return values
    .map((v) => {
      if (!Number.isFinite(v)) return ' '
      const idx = max === min ? 3 : Math.round(((v - min) / (max - min)) * (SPARK.length - 1))
      return SPARK[idx]
    })
    .join('')
}

/** Resamples to at most `width` points (keeping the last of each bucket) for a sparkline. */
function downsample(values: number[], width: number): number[] {
  if (values.length <= width) return values
  const out: number[] = []
  for (let i = 0; i < width; i++) out.push(values[Math.floor(((i + 1) * values.length) / width) - 1]!)
  return out
}

function renderTable(data: ApiQueryData, opts: RenderOptions): string {
  const c = new Chalk({level: opts.color ? 1 : 0})
  const style = {head: opts.color ? ['cyan'] : [], border: opts.color ? ['grey'] : []}
  switch (data.resultType) {
    case 'scalar':
      return `${c.bold('scalar')}  ${data.result[1]}  ${c.dim('@ ' + fmtTime(data.result[0]))}`
    case 'string':
      return `${c.bold('string')}  ${JSON.stringify(data.result[1])}  ${c.dim('@ ' + fmtTime(data.result[0]))}`
    case 'vector': {
      const rows: ApiVectorSample[] = data.result
      if (rows.length === 0) return c.dim('empty result (0 series)')
      const {common, varying} = labelColumns(rows.map((r) => r.metric))
      const table = new Table({head: [...varying, 'value'], style})
      for (const r of rows) table.push([...varying.map((n) => r.metric[n] ?? ''), vectorCell(r)])
      const t = rows[0]!.value?.[0] ?? rows[0]!.histogram?.[0]
      return `${header(c, common, rows.length, 'series')}  ${t === undefined ? '' : c.dim('@ ' + fmtTime(t))}\n${table.toString()}`
    }
    case 'matrix': {
      const rows: ApiMatrixSeries[] = data.result
      if (rows.length === 0) return c.dim('empty result (0 series)')
      const {common, varying} = labelColumns(rows.map((r) => r.metric))
      const series = rows.map(seriesPoints)
      const anyHistogram = series.some((pts) => pts.some((p) => p.h !== undefined))
      if (opts.timeColumns) {
        const times = [...new Set(series.flatMap((pts) => pts.map((p) => p.t)))].sort((a, b) => a - b)
        const table = new Table({head: [...varying, ...times.map((t) => fmtTime(t).slice(11, 19))], style})
        for (const [i, r] of rows.entries()) {
          const byT = new Map(series[i]!.map((p) => [p.t, p.text]))
          table.push([...varying.map((n) => r.metric[n] ?? ''), ...times.map((t) => byT.get(t) ?? '')])
        }
        return `${header(c, common, rows.length, 'series')}\n${table.toString()}`
      }
      const table = new Table({head: [...varying, 'points', 'first', 'last', 'min', 'max', 'trend'], style})
      for (const [i, r] of rows.entries()) {
        const pts = series[i]!
        const vs = pts.map((p) => p.num)
        const finite = vs.filter((v) => !Number.isNaN(v))
        const min = finite.length ? finite.reduce((a, b) => (b < a ? b : a)) : NaN
        const max = finite.length ? finite.reduce((a, b) => (b > a ? b : a)) : NaN
        const fmt = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v))
        table.push([
          ...varying.map((n) => r.metric[n] ?? ''),
          String(pts.length),
          pts[0]?.text ?? '',
          pts[pts.length - 1]?.text ?? '',
          fmt(min),
          fmt(max),
          sparkline(downsample(vs, 40)),
        ])
      }
      const first = Math.min(...series.map((pts) => pts[0]?.t ?? Infinity))
      const last = Math.max(...series.map((pts) => pts[pts.length - 1]?.t ?? -Infinity))
      const span = Number.isFinite(first) ? `  ${c.dim(`${fmtTime(first)} → ${fmtTime(last)}`)}` : ''
      const note = anyHistogram ? `\n${c.dim('histogram points: min, max and trend are of their count; --output json has the buckets')}` : ''
      return `${header(c, common, rows.length, 'series')}${span}\n${table.toString()}${note}`
    }
  }
}

/** A vector sample's value cell: the float, or the histogram's count, sum and buckets. */
function vectorCell(r: ApiVectorSample): string {
  if (r.histogram) return histogramLines(r.histogram[1]).join('\n')
  return r.value?.[1] ?? ''
}

interface SeriesPoint {
  t: number
  /** the float, or a histogram's count (what min/max/trend follow) */
  num: number
  text: string
  h?: ApiHistogramValue
}

/**
 * A matrix series' floats and histograms in time order (a series may switch between the two:
 * Prometheus writes them under separate keys).
 */
function seriesPoints(r: ApiMatrixSeries): SeriesPoint[] {
  const out: SeriesPoint[] = (r.values ?? []).map(([t, v]) => ({t, num: parseValue(v), text: v}))
  for (const [t, h] of r.histograms ?? []) out.push({t, num: parseValue(h.count), text: histogramSummary(h), h})
  if (r.values?.length && r.histograms?.length) out.sort((a, b) => a.t - b.t)
  return out
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

function csvLines(head: string[], rows: string[][]): string {
  return [head, ...rows].map((r) => r.map(csvField).join(',')).join('\n')
}

/**
 * Long format: one line per (series, timestamp), label columns sorted, then timestamp, value.
 * When the result holds native histograms, two more columns, histogram_count and
 * histogram_sum, carry them (value empty on those lines, as the two empty on float lines);
 * the buckets need --output json.
 */
function renderCsv(data: ApiQueryData): string {
  switch (data.resultType) {
    case 'scalar':
    case 'string':
      return csvLines(['timestamp', 'value'], [[String(data.result[0]), data.result[1]]])
    case 'vector': {
      const names = [...new Set(data.result.flatMap((r) => Object.keys(r.metric)))].sort()
      const hist = data.result.some((r) => r.histogram !== undefined)
      const rows = data.result.map((r) => [...names.map((n) => r.metric[n] ?? ''), ...csvPoint(r.value, r.histogram, hist)])
      return csvLines([...names, ...csvHead(hist)], rows)
    }
    case 'matrix': {
      const names = [...new Set(data.result.flatMap((r) => Object.keys(r.metric)))].sort()
      const hist = data.result.some((r) => (r.histograms?.length ?? 0) > 0)
      const rows: string[][] = []
      for (const r of data.result) {
        const ls = names.map((n) => r.metric[n] ?? '')
        const pts: [number, string[]][] = [
          ...(r.values ?? []).map((p): [number, string[]] => [p[0], csvPoint(p, undefined, hist)]),
          ...(r.histograms ?? []).map((p): [number, string[]] => [p[0], csvPoint(undefined, p, hist)]),
        ]
        if (r.values?.length && r.histograms?.length) pts.sort((a, b) => a[0] - b[0])
        for (const [, cells] of pts) rows.push([...ls, ...cells])
      }
      return csvLines([...names, ...csvHead(hist)], rows)
    }
  }
}

function csvHead(hist: boolean): string[] {
  return hist ? ['timestamp', 'value', 'histogram_count', 'histogram_sum'] : ['timestamp', 'value']
}

function csvPoint(f: [number, string] | undefined, h: [number, ApiHistogramValue] | undefined, hist: boolean): string[] {
  if (h) return [String(h[0]), '', h[1].count, h[1].sum]
  const cells = [String(f?.[0] ?? ''), f?.[1] ?? '']
  return hist ? [...cells, '', ''] : cells
}
