/**
 * "Explain deduplication" under the graph (issue 18): one band per result series, on the
 * graph's own time axis (the plot area's left edge and width come from GraphView), with a
 * row per selected series that fed it. Each row is coloured by the replica that served each
 * stretch (legend below), holes (no replica had data) are hatched, switches are marked with a
 * line, and hovering any of them says which replica, store, when and how many samples.
 */
import {useMemo, useRef, useState} from 'preact/hooks'
import type {ApiExplain, ApiExplainInput} from '../../../core/api/api-types.js'
import {formatDuration, formatTime, seriesName} from '../../lib/format.js'
import {seriesColor} from './colors.js'
import {bandPieces, explainFor, replicaKey, replicaLegend} from './explain-model.js'
import type {RangeSeries} from './result-types.js'

/** The plot area inside the graph, CSS px from the graph's left edge. */
export interface PlotBox {
  left: number
  width: number
}

export interface ExplainBandsProps {
  explain: ApiExplain
  series: RangeSeries[]
  /** The graph's range, ms. */
  start: number
  end: number
  box: PlotBox
  localTime: boolean
}

const ROW_H = 12
const ROW_GAP = 3
/** Inputs drawn per band; an aggregation over hundreds of series lists the rest in the table tab. */
const MAX_ROWS = 8
/** Bands drawn at most: the graph's legend scrolls, a page of a thousand bands would not. */
const MAX_BANDS = 60
const HOLE_COLOR = '#98a2b3'
const SWITCH_COLOR = '#1d2939'

let patternIds = 0

interface Tip {
  left: number
  top: number
  lines: string[]
}

export function ExplainBands({explain, series, start, end, box, localTime}: ExplainBandsProps) {
  const legend = useMemo(() => replicaLegend(explain), [explain])
  const colorOf = useMemo(() => new Map(legend.map((r) => [r.key, r.color])), [legend])
  const entries = useMemo(() => explainFor(explain, series.map((s) => s.metric)), [explain, series])
  const hatch = useMemo(() => `explain-hatch-${++patternIds}`, [])
  const wrap = useRef<HTMLDivElement>(null)
  const [tip, setTip] = useState<Tip | null>(null)

  const width = Math.max(1, box.width)
  const span = Math.max(1, end - start)
  const x = (t: number): number => ((t - start) / span) * width
  const time = (t: number): string => formatTime(t, localTime) + (localTime ? '' : ' UTC')
  const hover = (lines: string[]) => (e: MouseEvent) => {
    const r = wrap.current?.getBoundingClientRect()
    if (!r) return
    setTip({left: e.clientX - r.left, top: e.clientY - r.top, lines})
  }
  const leave = (): void => setTip(null)
  const hasHoles = explain.series.some((s) => s.inputs.some((i) => i.holes.length > 0))

  const row = (input: ApiExplainInput, y: number) => {
    const p = bandPieces(input, start, end)
    const who = seriesName(input.metric)
    return (
      <g key={y} class="explain-row" data-input={who}>
        <rect x={0} y={y} width={width} height={ROW_H} fill="#f2f4f7" />
        {p.spans.map((s, i) => (
          <rect
            key={`s${i}`}
            class="explain-span"
            data-replica={s.replica}
            data-store={s.span.store}
            data-from={s.span.from}
            data-to={s.span.to}
            x={x(s.from)}
            y={y}
            width={Math.max(1.5, x(s.to) - x(s.from))}
            height={ROW_H}
            fill={colorOf.get(s.replica)}
            onMouseMove={hover([
              `served by ${s.replica} @ ${s.span.store}`,
              `from ${time(s.span.from * 1000)}`,
              `to ${time(s.span.to * 1000)}`,
              `${s.span.samples} sample${s.span.samples === 1 ? '' : 's'} · ${who}`,
            ])}
            onMouseLeave={leave}
          />
        ))}
        {p.holes.map((h, i) => (
          <rect
            key={`h${i}`}
            class="explain-hole"
            data-from={h.from / 1000}
            data-to={h.to / 1000}
            x={x(h.from)}
            y={y}
            width={Math.max(1.5, x(h.to) - x(h.from))}
            height={ROW_H}
            fill={`url(#${hatch})`}
            stroke={HOLE_COLOR}
            stroke-width={0.5}
            onMouseMove={hover([`hole: no replica had data for ${formatDuration(h.to - h.from)}`, `after ${time(h.from)}`, `until ${time(h.to)}`, who])}
            onMouseLeave={leave}
          />
        ))}
        {p.switches.map((s, i) => (
          <g
            key={`w${i}`}
            class="explain-switch"
            data-at={s.at / 1000}
            onMouseMove={hover([`switch at ${time(s.at)}`, `from ${replicaKey(s.from.replica)} @ ${s.from.store}`, `to ${replicaKey(s.to.replica)} @ ${s.to.store}`, who])}
            onMouseLeave={leave}
          >
            <line x1={x(s.at)} x2={x(s.at)} y1={y - 2} y2={y + ROW_H + 2} stroke={SWITCH_COLOR} stroke-width={2} />
            {/* a wider invisible target: a 2 px line is hard to hover */}
            <rect x={x(s.at) - 4} y={y - 2} width={8} height={ROW_H + 4} fill="transparent" />
          </g>
        ))}
      </g>
    )
  }

  return (
    <div class="explain" ref={wrap} data-testid="explain-bands" data-start={start} data-end={end}>
      <div class="explain-title" style={{marginLeft: `${box.left}px`}}>
        Explain deduplication: which replica served each stretch of each series
      </div>
      {series.length > MAX_BANDS && (
        <div class="explain-band-label muted" style={{marginLeft: `${box.left}px`}}>
          Bands for the first {MAX_BANDS} of {series.length} series; narrow the expression to see the others.
        </div>
      )}
      {series.slice(0, MAX_BANDS).map((s, i) => {
        const e = entries[i]
        const inputs = e?.inputs ?? []
        const shown = inputs.slice(0, MAX_ROWS)
        const height = Math.max(1, shown.length) * (ROW_H + ROW_GAP) + 2
        return (
          <div key={i} class="explain-band" data-testid="explain-band" data-series={seriesName(s.metric)}>
            <div class="explain-band-label" style={{marginLeft: `${box.left}px`}}>
              <span class="swatch" style={{background: seriesColor(i)}} />
              <span class="mono">{seriesName(s.metric)}</span>
              {inputs.length > 1 && <span class="muted"> · {inputs.length} input series, a row each (hover for its labels)</span>}
              {inputs.length > MAX_ROWS && <span class="muted"> · {inputs.length - MAX_ROWS} more not drawn, listed in the table tab</span>}
              {inputs.length === 0 && <span class="muted"> · no selected series feeds it</span>}
            </div>
            <svg class="explain-svg" width={width} height={height} style={{marginLeft: `${box.left}px`}}>
              <defs>
                <pattern id={hatch} patternUnits="userSpaceOnUse" width={6} height={6} patternTransform="rotate(45)">
                  <rect width={6} height={6} fill="#ffffff" />
                  <line x1={0} y1={0} x2={0} y2={6} stroke={HOLE_COLOR} stroke-width={2.5} />
                </pattern>
              </defs>
              {shown.map((inp, j) => row(inp, 2 + j * (ROW_H + ROW_GAP)))}
            </svg>
          </div>
        )
      })}
      <div class="explain-legend" style={{marginLeft: `${box.left}px`}} data-testid="explain-legend">
        {legend.map((r) => (
          <span key={r.key} class="explain-legend-item" data-testid="explain-legend-item" data-replica={r.key}>
            <span class="swatch" style={{background: r.color}} />
            <span class="mono">{r.key}</span>
          </span>
        ))}
        <span class="explain-legend-item" title="Before a series' first sample, after its last, or the samples the merge skipped at a switch (up to about three scrape intervals, as Thanos's penalty merge)">
          <span class="swatch swatch-empty" />
          no output sample
        </span>
        {hasHoles && (
          <span class="explain-legend-item">
            <span class="swatch swatch-hatch" />
            hole: no replica had data
          </span>
        )}
        <span class="explain-legend-item">
          <span class="swatch swatch-switch" />
          switch of replica
        </span>
        {explain.untraced && explain.untraced.length > 0 && <span class="muted">not traced: {explain.untraced.join(', ')}</span>}
      </div>
      {tip && (
        <div
          class="graph-tooltip explain-tooltip"
          data-testid="explain-tooltip"
          style={tip.left > (box.left + width) * 0.6 ? {display: 'block', left: `${tip.left - 14}px`, top: `${tip.top + 14}px`, transform: 'translateX(-100%)'} : {display: 'block', left: `${tip.left + 14}px`, top: `${tip.top + 14}px`}}
        >
          {tip.lines.map((l, i) => (
            <div key={i} class={i === 0 ? 'tooltip-value' : 'tooltip-time'}>
              {l}
            </div>
          ))}
        </div>
      )}
    </div>
  )
}
