/**
 * `query-once --explain`: after the result, which replica served which stretch of every series
 * (api-types.ts ApiExplain). A table with one row per span, holes as their own marked rows, in
 * time order per input series: series, input (the selected series when it is not the result
 * series itself), replica (its labels @ its store), from, to, samples. JSON prints
 * {data, explain}; CSV appends the rows in long form after a blank line.
 */
import {Chalk} from 'chalk'
import Table from 'cli-table3'
import type {ApiExplain, ApiQueryData} from '../api/api-types.js'
import {fmtTime, render, type RenderOptions} from './render.js'

export interface ExplainRow {
  series: string
  input: string
  /** 'span' or 'hole' */
  kind: 'span' | 'hole'
  replica: string
  store: string
  from: number
  to: number
  samples: number | undefined
}

/** `name{a="b", c="d"}` from an API metric record, as Prometheus prints series. */
export function metricString(m: Record<string, string>): string {
  const name = m.__name__ ?? ''
  const rest = Object.keys(m)
    .filter((k) => k !== '__name__')
    .sort()
    .map((k) => `${k}=${JSON.stringify(m[k])}`)
  return rest.length === 0 && name !== '' ? name : `${name}{${rest.join(', ')}}`
}

/** The rows of the table, spans and holes of each input merged in time order. */
export function explainRows(explain: ApiExplain): ExplainRow[] {
  const rows: ExplainRow[] = []
  for (const s of explain.series) {
    const series = metricString(s.metric)
    for (const inp of s.inputs) {
      const input = metricString(inp.metric)
      const items: ExplainRow[] = [
        ...inp.spans.map((sp): ExplainRow => ({series, input, kind: 'span', replica: metricString(sp.replica), store: sp.store, from: sp.from, to: sp.to, samples: sp.samples})),
        ...inp.holes.map((h): ExplainRow => ({series, input, kind: 'hole', replica: '', store: '', from: h.from, to: h.to, samples: undefined})),
      ]
      items.sort((a, b) => a.from - b.from || (a.kind === 'hole' ? -1 : 1))
      rows.push(...items)
    }
  }
  return rows
}

export function renderWithExplain(data: ApiQueryData, explain: ApiExplain | undefined, opts: RenderOptions): string {
  if (opts.format === 'json') return JSON.stringify(explain ? {data, explain} : {data})
  const result = render(data, opts)
  if (!explain) return result
  const rows = explainRows(explain)
  if (opts.format === 'csv') {
    const field = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s)
    const lines = [['series', 'input', 'kind', 'replica', 'store', 'from', 'to', 'samples'].join(',')]
    for (const r of rows) lines.push([r.series, r.input, r.kind, r.replica, r.store, String(r.from), String(r.to), r.samples === undefined ? '' : String(r.samples)].map(field).join(','))
    return `${result}\n\n${lines.join('\n')}`
  }
  const c = new Chalk({level: opts.color ? 1 : 0})
  const showInput = rows.some((r) => r.input !== r.series)
  const table = new Table({head: ['series', ...(showInput ? ['input'] : []), 'replica', 'from', 'to', 'samples'], style: {head: opts.color ? ['cyan'] : [], border: opts.color ? ['grey'] : []}})
  let prev = ''
  for (const r of rows) {
    // a series and its input are printed once, on their first row
    const key = `${r.series}\n${r.input}`
    const first = key !== prev
    prev = key
    const who = r.kind === 'hole' ? c.red('(hole: no replica had data)') : `${r.replica} @ ${r.store}`
    table.push([first ? r.series : '', ...(showInput ? [first ? r.input : ''] : []), who, fmtTime(r.from), fmtTime(r.to), r.samples === undefined ? '' : String(r.samples)])
  }
  const head = c.bold('explain') + c.dim(': which replica served each stretch of each series')
  const untraced = explain.untraced?.length ? '\n' + c.dim(`not traced: ${explain.untraced.join(', ')}`) : ''
  return `${result}\n\n${head}\n${rows.length > 0 ? table.toString() : c.dim('no selected series')}${untraced}`
}
