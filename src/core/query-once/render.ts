/**
 * Renders a query result for a terminal. Tables show what differs between series: labels
 * whose value is the same for every series are printed once above the table instead of in
 * every row, so a `sum by (job)` answer reads as a short list of jobs and values.
 */
import {Chalk, type ChalkInstance} from 'chalk'
import Table from 'cli-table3'
import type {ApiMatrixSeries, ApiQueryData, ApiVectorSample} from '../api/api-types.js'

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
      for (const r of rows) table.push([...varying.map((n) => r.metric[n] ?? ''), r.value[1]])
      return `${header(c, common, rows.length, 'series')}  ${c.dim('@ ' + fmtTime(rows[0]!.value[0]))}\n${table.toString()}`
    }
    case 'matrix': {
      const rows: ApiMatrixSeries[] = data.result
      if (rows.length === 0) return c.dim('empty result (0 series)')
      const {common, varying} = labelColumns(rows.map((r) => r.metric))
      if (opts.timeColumns) {
        const times = [...new Set(rows.flatMap((r) => r.values.map((p) => p[0])))].sort((a, b) => a - b)
        const table = new Table({head: [...varying, ...times.map((t) => fmtTime(t).slice(11, 19))], style})
        for (const r of rows) {
          const byT = new Map(r.values.map((p) => [p[0], p[1]]))
          table.push([...varying.map((n) => r.metric[n] ?? ''), ...times.map((t) => byT.get(t) ?? '')])
        }
        return `${header(c, common, rows.length, 'series')}\n${table.toString()}`
      }
      const table = new Table({head: [...varying, 'points', 'first', 'last', 'min', 'max', 'trend'], style})
      for (const r of rows) {
        const vs = r.values.map((p) => parseValue(p[1]))
        const finite = vs.filter((v) => !Number.isNaN(v))
        const min = finite.length ? finite.reduce((a, b) => (b < a ? b : a)) : NaN
        const max = finite.length ? finite.reduce((a, b) => (b > a ? b : a)) : NaN
        const fmt = (v: number): string => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v))
        table.push([
          ...varying.map((n) => r.metric[n] ?? ''),
          String(r.values.length),
          r.values[0]?.[1] ?? '',
          r.values[r.values.length - 1]?.[1] ?? '',
          fmt(min),
          fmt(max),
          sparkline(downsample(vs, 40)),
        ])
      }
      const first = Math.min(...rows.map((r) => r.values[0]?.[0] ?? Infinity))
      const last = Math.max(...rows.map((r) => r.values[r.values.length - 1]?.[0] ?? -Infinity))
      return `${header(c, common, rows.length, 'series')}  ${c.dim(`${fmtTime(first)} → ${fmtTime(last)}`)}\n${table.toString()}`
    }
  }
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

function csvLines(head: string[], rows: string[][]): string {
  return [head, ...rows].map((r) => r.map(csvField).join(',')).join('\n')
}

/** Long format: one line per (series, timestamp), label columns sorted, then timestamp, value. */
function renderCsv(data: ApiQueryData): string {
  switch (data.resultType) {
    case 'scalar':
    case 'string':
      return csvLines(['timestamp', 'value'], [[String(data.result[0]), data.result[1]]])
    case 'vector': {
      const names = [...new Set(data.result.flatMap((r) => Object.keys(r.metric)))].sort()
      return csvLines(
        [...names, 'timestamp', 'value'],
        data.result.map((r) => [...names.map((n) => r.metric[n] ?? ''), String(r.value[0]), r.value[1]]),
      )
    }
    case 'matrix': {
      const names = [...new Set(data.result.flatMap((r) => Object.keys(r.metric)))].sort()
      const rows: string[][] = []
      for (const r of data.result) {
        const ls = names.map((n) => r.metric[n] ?? '')
        for (const p of r.values) rows.push([...ls, String(p[0]), p[1]])
      }
      return csvLines([...names, 'timestamp', 'value'], rows)
    }
  }
}
