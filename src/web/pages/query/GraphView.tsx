/**
 * Graph tab: a range query drawn with uPlot. Time axis (UTC or local), values with SI
 * suffixes, a legend with each series' labels (hover highlights, click isolates, Ctrl/⌘+click
 * toggles), a tooltip with the hovered series' exact value, lines or stacked areas, and
 * drag-to-zoom that narrows the panel's range. Whatever `below` renders goes under the chart,
 * told where the plot area is so that it can share the time axis (ExplainBands does).
 */
import type {ComponentChildren} from 'preact'
import uPlot from 'uplot'
import {useEffect, useMemo, useRef, useState} from 'preact/hooks'
import {formatAxisValue, formatExactValue, formatTime, seriesName} from '../../lib/format.js'
import type {DisplayMode} from '../../lib/url-state.js'
import {seriesColor, withAlpha} from './colors.js'
import type {PlotBox} from './ExplainBands.js'
import type {RangeSeries} from './result-types.js'
import {SeriesLabels} from './SeriesLabels.js'

export interface GraphViewProps {
  series: RangeSeries[]
  /** Query range and step, ms. */
  start: number
  end: number
  step: number
  displayMode: DisplayMode
  localTime: boolean
  onZoom: (startMs: number, endMs: number) => void
  /** Drawn between the chart and the legend, on the plot area's time axis. */
  below?: (box: PlotBox) => ComponentChildren
}

function parseValue(v: string): number | null {
  const n = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v)
  // uPlot cannot place ±Inf or NaN; they are gaps in the line (Prometheus 3 does the same)
  return Number.isFinite(n) ? n : null
}

/** Aligns every series on the query's step grid: one x array, null where a series has no point. */
function alignData(series: RangeSeries[], start: number, end: number, step: number): {xs: number[]; ys: (number | null)[][]} {
  const n = Math.floor((end - start) / step) + 1
  const xs = new Array<number>(n)
  for (let i = 0; i < n; i++) xs[i] = (start + i * step) / 1000
  const ys = series.map((s) => {
    const row = new Array<number | null>(n).fill(null)
    for (const [t, v] of s.values ?? []) {
      const i = Math.round((t * 1000 - start) / step)
      if (i >= 0 && i < n) row[i] = parseValue(v)
    }
    return row
  })
  return {xs, ys}
}

/** Running sums for stacked mode; a missing value adds nothing but stays a gap in its own band. */
function stack(ys: (number | null)[][]): (number | null)[][] {
  const acc: number[] = ys.length ? new Array<number>(ys[0]!.length).fill(0) : []
  return ys.map((row) =>
    row.map((v, i) => {
      if (v === null) return null
      acc[i]! += v
      return acc[i]!
    }),
  )
}

export function GraphView(props: GraphViewProps) {
  const {series, start, end, step, displayMode, localTime, onZoom, below} = props
  const host = useRef<HTMLDivElement>(null)
  const tooltip = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const zoom = useRef(onZoom)
  zoom.current = onZoom
  /** Series hidden by legend clicks (index into `series`). */
  const [hidden, setHidden] = useState<Set<number>>(new Set())
  const [box, setBox] = useState<PlotBox | null>(null)
  useEffect(() => setHidden(new Set()), [series])

  const aligned = useMemo(() => alignData(series, start, end, step), [series, start, end, step])

  useEffect(() => {
    const el = host.current!
    const raw = aligned.ys
    const ys = displayMode === 'stacked' ? stack(raw) : raw
    let focused = -1
    const measure = (u: uPlot): void => {
      const left = u.over.getBoundingClientRect().left - el.getBoundingClientRect().left
      const width = u.over.clientWidth
      setBox((b) => (b && b.left === left && b.width === width ? b : {left, width}))
    }
    const opts: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: 380,
      tzDate: localTime ? (ts) => new Date(ts * 1000) : (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      legend: {show: false},
      cursor: {
        focus: {prox: 24},
        drag: {x: true, y: false, setScale: false},
        points: {size: 7},
      },
      focus: {alpha: 0.25},
      scales: {x: {time: true, range: [start / 1000, end / 1000]}},
      axes: [
        {stroke: '#475467', grid: {stroke: '#eaecf0', width: 1}, ticks: {stroke: '#d0d5dd', width: 1}, font: '12px system-ui, sans-serif'},
        {stroke: '#475467', grid: {stroke: '#eaecf0', width: 1}, ticks: {stroke: '#d0d5dd', width: 1}, font: '12px system-ui, sans-serif', size: 60, values: (_u, vals) => vals.map((v) => formatAxisValue(v))},
      ],
      series: [
        {},
        ...series.map((s, i) => ({
          label: seriesName(s.metric),
          stroke: seriesColor(i),
          width: 1.5,
          show: !hidden.has(i),
          spanGaps: false,
          fill: displayMode === 'stacked' ? withAlpha(seriesColor(i), 0.35) : undefined,
          points: {show: (u: uPlot, sidx: number) => sparse(u, sidx)},
        })),
      ],
      bands: displayMode === 'stacked' ? series.slice(1).map((_, i) => ({series: [i + 2, i + 1] as [number, number]})) : undefined,
      hooks: {
        setSeries: [
          (_u, idx, o) => {
            // the hook passes the options given to setSeries ({focus}), typed as Series
            const f = (o as {focus?: boolean}).focus
            if (idx === null) focused = -1
            else if (f === true) focused = idx
          },
        ],
        setCursor: [
          (u) => {
            const tip = tooltip.current
            if (!tip) return
            const i = u.cursor.idx
            if (i === null || i === undefined || focused < 1 || u.cursor.left === undefined || u.cursor.left < 0) {
              tip.style.display = 'none'
              return
            }
            const v = raw[focused - 1]![i]
            if (v === null || v === undefined) {
              tip.style.display = 'none'
              return
            }
            const s = series[focused - 1]!
            tip.innerHTML = ''
            const time = document.createElement('div')
            time.className = 'tooltip-time'
            time.textContent = formatTime(aligned.xs[i]! * 1000, localTime) + (localTime ? '' : ' UTC')
            const val = document.createElement('div')
            val.className = 'tooltip-value'
            const sw = document.createElement('span')
            sw.className = 'swatch'
            sw.style.background = seriesColor(focused - 1)
            val.append(sw, document.createTextNode(`${seriesName(s.metric)}: `))
            const b = document.createElement('strong')
            b.textContent = formatExactValue(v)
            val.append(b)
            tip.append(time, val)
            tip.style.display = 'block'
            const left = u.cursor.left + u.over.offsetLeft
            const top = (u.cursor.top ?? 0) + u.over.offsetTop
            const flip = left > el.clientWidth * 0.6
            tip.style.left = flip ? `${left - tip.offsetWidth - 14}px` : `${left + 14}px`
            tip.style.top = `${Math.max(0, top - tip.offsetHeight - 10)}px`
          },
        ],
        // where the plot area sits (the y axis' width varies with its labels), for `below`
        ready: [measure],
        setSize: [measure],
        setSelect: [
          (u) => {
            if (u.select.width > 5) {
              const from = u.posToVal(u.select.left, 'x') * 1000
              const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000
              u.setSelect({left: 0, top: 0, width: 0, height: 0}, false)
              if (to - from >= 1000) zoom.current(Math.round(from), Math.round(to))
            }
          },
        ],
      },
    }
    const u = new uPlot(opts, [aligned.xs, ...ys] as uPlot.AlignedData, el)
    plot.current = u
    const onResize = (): void => u.setSize({width: Math.max(300, el.clientWidth), height: 380})
    const ro = new ResizeObserver(onResize)
    ro.observe(el)
    return () => {
      ro.disconnect()
      u.destroy()
      plot.current = null
    }
    // hidden is applied in place below, not by rebuilding
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [aligned, displayMode, localTime])

  useEffect(() => {
    const u = plot.current
    if (!u) return
    series.forEach((_, i) => {
      const show = !hidden.has(i)
      if (u.series[i + 1]!.show !== show) u.setSeries(i + 1, {show})
    })
  }, [hidden, series])

  const clickLegend = (i: number, e: MouseEvent): void => {
    if (e.ctrlKey || e.metaKey) {
      const h = new Set(hidden)
      if (h.has(i)) h.delete(i)
      else h.add(i)
      setHidden(h)
      return
    }
    // click isolates a series; clicking the only visible one shows all again
    const onlyThis = hidden.size === series.length - 1 && !hidden.has(i)
    setHidden(onlyThis ? new Set() : new Set(series.map((_, j) => j).filter((j) => j !== i)))
  }

  return (
    <div class="graph">
      <div class="graph-chart" ref={host} data-testid="graph-chart">
        <div class="graph-tooltip" ref={tooltip} />
      </div>
      {below && box && below(box)}
      <div class="legend" data-testid="graph-legend">
        {series.map((s, i) => (
          <div
            key={i}
            class={`legend-item${hidden.has(i) ? ' legend-hidden' : ''}`}
            onClick={(e) => clickLegend(i, e as unknown as MouseEvent)}
            onMouseEnter={() => plot.current?.setSeries(i + 1, {focus: true})}
            onMouseLeave={() => plot.current?.setSeries(null, {focus: false})}
            title="Click to show only this series, Ctrl/⌘+click to toggle it"
          >
            <span class="swatch" style={{background: seriesColor(i)}} />
            <SeriesLabels metric={s.metric} />
          </div>
        ))}
      </div>
      <div class="graph-hint muted">Drag over the graph to zoom in. Click a legend entry to isolate a series.</div>
    </div>
  )
}

/** Draw points where a series has isolated samples, which a line would not show. */
function sparse(u: uPlot, sidx: number): boolean {
  const d = u.data[sidx]
  if (!d) return false
  for (let i = 0; i < d.length; i++) {
    if (d[i] != null && (i === 0 || d[i - 1] == null) && (i === d.length - 1 || d[i + 1] == null)) return true
  }
  return false
}
