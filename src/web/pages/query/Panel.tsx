/**
 * One query panel: expression editor, Table/Graph tabs, Thanos's deduplication and partial
 * response switches (and "Explain deduplication", issue 18), Thanos's downsampling choice, time
 * controls, and the result with its warnings or error. Settings live in the page's URL state; a
 * change that alters the answer re-runs the last executed query.
 */
import {useEffect, useRef, useState} from 'preact/hooks'
import type {ApiExplain} from '../../../core/api/api-types.js'
import {api, ApiError} from '../../lib/api.js'
import {formatDuration, formatTime, parseDuration, parseTime, RANGE_STEPS} from '../../lib/format.js'
import {effectiveStep, MAX_SOURCE_RESOLUTIONS, type PanelState, type Resolution} from '../../lib/url-state.js'
import {Annotations} from './Annotations.js'
import {ExplainBands} from './ExplainBands.js'
import {ExplainTable} from './ExplainTable.js'
import {ExpressionInput} from './ExpressionInput.js'
import {GraphView} from './GraphView.js'
import {HistogramGraph} from './HistogramGraph.js'
import {resultSize, type QueryData} from './result-types.js'
import {TableView} from './TableView.js'

export interface PanelProps {
  panel: PanelState
  index: number
  replicaLabels: string[]
  localTime: boolean
  removable: boolean
  onChange: (p: Partial<PanelState>) => void
  onRemove: () => void
}

interface Outcome {
  kind: 'table' | 'graph'
  data: QueryData
  warnings: string[]
  infos: string[]
  ms: number
  /** Present when the query asked explain=true. */
  explain?: ApiExplain
  /** For the graph: the exact range asked for. */
  start: number
  end: number
  step: number
}

export function Panel({panel, index, replicaLabels, localTime, removable, onChange, onRemove}: PanelProps) {
  const [text, setText] = useState(panel.expr)
  const [nonce, setNonce] = useState(0)
  const [loading, setLoading] = useState(false)
  const [outcome, setOutcome] = useState<Outcome | null>(null)
  const [error, setError] = useState<{message: string; warnings: string[]} | null>(null)
  const inflight = useRef<AbortController | null>(null)
  const textRef = useRef(text)
  textRef.current = text

  const execute = (): void => {
    const expr = textRef.current.trim()
    onChange({expr})
    setNonce((n) => n + 1)
  }

  // without dedup there is no merge to explain: the parameter is then not sent at all
  const explain = panel.explain && panel.dedup
  const resKey = panel.resolution.type === 'auto' ? `a${panel.resolution.density}` : `f${panel.resolution.step}`
  useEffect(() => {
    if (panel.expr === '') {
      setOutcome(null)
      setError(null)
      return
    }
    inflight.current?.abort()
    const ac = new AbortController()
    inflight.current = ac
    const form = new URLSearchParams({query: panel.expr, dedup: String(panel.dedup), partial_response: String(panel.partialResponse)})
    if (explain) form.set('explain', 'true')
    // Thanos's UI sends it with range queries only (its selector sits in the graph controls);
    // here it goes with instant ones too, so that the table answers from the data the graph
    // does: `auto` then means the querier's --query.instant.default.max_source_resolution.
    form.set('max_source_resolution', panel.maxSourceResolution)
    let end = panel.endTime ?? Date.now()
    let start = end
    let step = 0
    if (panel.tab === 'graph') {
      step = effectiveStep(panel)
      // aligned to the step so that successive refreshes draw the same points
      end = Math.floor(end / step) * step
      start = end - Math.floor(panel.range / step) * step
      form.set('start', String(start / 1000))
      form.set('end', String(end / 1000))
      form.set('step', String(step / 1000))
    } else {
      form.set('time', String(end / 1000))
    }
    const kind = panel.tab
    const began = performance.now()
    setLoading(true)
    api<QueryData>(kind === 'graph' ? 'query_range' : 'query', {form, signal: ac.signal})
      .then((r) => {
        setOutcome({kind, data: r.data, warnings: r.warnings, infos: r.infos, explain: explain ? r.explain : undefined, ms: Math.round(performance.now() - began), start, end, step})
        setError(null)
      })
      .catch((e: unknown) => {
        if ((e as Error).name === 'AbortError') return
        setOutcome(null)
        setError({message: (e as Error).message, warnings: e instanceof ApiError ? e.warnings : []})
      })
      .finally(() => {
        if (inflight.current === ac) {
          setLoading(false)
          inflight.current = null
        }
      })
    return () => ac.abort()
  }, [panel.expr, panel.tab, panel.dedup, panel.partialResponse, explain, panel.range, panel.endTime, panel.maxSourceResolution, resKey, nonce])

  const warnings = outcome?.warnings ?? error?.warnings ?? []
  return (
    <section class="panel" data-testid={`panel-${index}`}>
      <div class="panel-input">
        <div class="expr-box">
          <span class="expr-icon" aria-hidden="true">
            <svg viewBox="0 0 24 24" width="16" height="16"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M4 17l6-6-6-6M12 19h8" /></svg>
          </span>
          <ExpressionInput initial={panel.expr} onChange={setText} onExecute={execute} />
        </div>
        <button class="btn btn-primary" onClick={execute} disabled={loading} data-testid="execute">
          {loading ? <span class="spinner" /> : null}
          Execute
        </button>
        {removable && (
          <button class="btn btn-icon" title="Remove query" aria-label="Remove query" onClick={onRemove}>
            <svg viewBox="0 0 24 24" width="16" height="16"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M6 6l12 12M18 6L6 18" /></svg>
          </button>
        )}
      </div>
      <div class="panel-options">
        <div class="tabs" role="tablist">
          <button role="tab" class={`tab${panel.tab === 'table' ? ' active' : ''}`} aria-selected={panel.tab === 'table'} onClick={() => onChange({tab: 'table'})} data-testid="tab-table">
            Table
          </button>
          <button role="tab" class={`tab${panel.tab === 'graph' ? ' active' : ''}`} aria-selected={panel.tab === 'graph'} onClick={() => onChange({tab: 'graph'})} data-testid="tab-graph">
            Graph
          </button>
        </div>
        <div class="switches">
          <label class="check" title={replicaLabels.length ? `Series that differ only in ${replicaLabels.join(', ')} are merged into one` : 'The querier runs without --query.replica-label: nothing to deduplicate'}>
            <input type="checkbox" checked={panel.dedup} onChange={(e) => onChange({dedup: (e.target as HTMLInputElement).checked})} data-testid="dedup" />
            Use deduplication
            <span class="check-note">{replicaLabels.length ? `removes ${replicaLabels.map((l) => `"${l}"`).join(', ')}` : 'no replica labels configured'}</span>
          </label>
          <label class={`check${panel.dedup ? '' : ' check-disabled'}`} title={panel.dedup ? 'Show which replica served each stretch of each series, where the merge switched replica, and where no replica had data' : 'Only with deduplication on: without it nothing is merged'}>
            <input type="checkbox" checked={panel.explain} disabled={!panel.dedup} onChange={(e) => onChange({explain: (e.target as HTMLInputElement).checked})} data-testid="explain" />
            Explain deduplication
          </label>
          <label class="check" title="When a store fails, answer with the other stores' data and a warning instead of an error">
            <input type="checkbox" checked={panel.partialResponse} onChange={(e) => onChange({partialResponse: (e.target as HTMLInputElement).checked})} data-testid="partial-response" />
            Use partial response
          </label>
          <MaxSourceResolution value={panel.maxSourceResolution} onChange={(v) => onChange({maxSourceResolution: v})} />
        </div>
      </div>
      <div class="panel-controls">
        {panel.tab === 'graph' ? <GraphControls panel={panel} localTime={localTime} onChange={onChange} /> : <TimeControl label="Evaluation time" panel={panel} localTime={localTime} onChange={onChange} />}
        {outcome && (
          <span class="stats muted" data-testid="stats">
            Load time: {outcome.ms}ms · Result series: {resultSize(outcome.data)}
          </span>
        )}
      </div>
      <Annotations warnings={warnings} infos={outcome?.infos ?? []} />
      {error && (
        <div class="alert alert-error" data-testid="error">
          <strong>Error executing query:</strong> <span class="mono">{error.message}</span>
        </div>
      )}
      <div class="panel-body">
        {!outcome && !error && !loading && <div class="placeholder muted">No data queried yet</div>}
        {outcome && outcome.kind === panel.tab && panel.tab === 'table' && <TableView data={outcome.data} localTime={localTime} />}
        {outcome?.explain && outcome.kind === panel.tab && panel.tab === 'table' && (outcome.data.resultType === 'vector' || outcome.data.resultType === 'matrix') && (
          <ExplainTable explain={outcome.explain} metrics={outcome.data.result.map((r) => r.metric)} localTime={localTime} />
        )}
        {outcome &&
          outcome.kind === panel.tab &&
          panel.tab === 'graph' &&
          (outcome.data.resultType === 'matrix' ? (
            outcome.data.result.length === 0 ? (
              <div class="alert alert-info" data-testid="empty-result">
                <strong>Empty query result.</strong> No series matched this expression in the selected range.
              </div>
            ) : (
              <HistogramGraph series={outcome.data.result} render={(floats) => (
              <GraphView
                series={floats}
                start={outcome.start}
                end={outcome.end}
                step={outcome.step}
                displayMode={panel.displayMode}
                localTime={localTime}
                onZoom={(from, to) => onChange({endTime: to, range: Math.max(1000, to - from)})}
                below={outcome.explain && ((box) => <ExplainBands explain={outcome.explain!} series={floats} start={outcome.start} end={outcome.end} box={box} localTime={localTime} />)}
              />
              )} />
            )
          ) : (
            <div class="alert alert-error">This expression returns a {outcome.data.resultType}; the graph needs a range query over an instant vector or scalar.</div>
          ))}
      </div>
    </section>
  )
}

/** Thanos's max source resolution select (GraphControls.tsx); a value from a link that is none of its four is shown as it is. */
function MaxSourceResolution({value, onChange}: {value: string; onChange: (v: string) => void}) {
  const known = MAX_SOURCE_RESOLUTIONS.some((o) => o.value === value)
  return (
    <select
      class="input max-source-resolution"
      value={value}
      onChange={(e) => onChange((e.target as HTMLSelectElement).value)}
      title="The coarsest downsampled data the stores may answer from (max_source_resolution). Auto: the querier chooses (for a graph a fifth of its step)"
      aria-label="Max source resolution"
      data-testid="max-source-resolution"
    >
      {MAX_SOURCE_RESOLUTIONS.map((o) => (
        <option key={o.value} value={o.value}>
          {o.label}
        </option>
      ))}
      {!known && <option value={value}>max_source_resolution={value}</option>}
    </select>
  )
}

function TimeControl({label, panel, localTime, onChange}: {label: string; panel: PanelState; localTime: boolean; onChange: (p: Partial<PanelState>) => void}) {
  const [draft, setDraft] = useState<string | null>(null)
  const shown = draft ?? (panel.endTime === null ? '' : formatTime(panel.endTime, localTime))
  const commit = (): void => {
    if (draft === null) return
    const t = draft.trim() === '' ? null : parseTime(draft, localTime)
    if (draft.trim() === '' || t !== null) onChange({endTime: t})
    setDraft(null)
  }
  const shift = (dir: number): void => {
    const base = panel.endTime ?? Date.now()
    onChange({endTime: base + dir * (panel.tab === 'graph' ? panel.range / 2 : 3600_000)})
  }
  return (
    <div class="control-group" title={`${label} (${localTime ? 'local time' : 'UTC'}); empty = now`}>
      <button class="btn btn-ghost" onClick={() => shift(-1)} aria-label="Earlier">
        ‹
      </button>
      <input
        class="input time-input"
        placeholder={`${label}: now`}
        value={shown}
        onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
        data-testid="end-time"
      />
      <button class="btn btn-ghost" onClick={() => shift(1)} aria-label="Later">
        ›
      </button>
      {panel.endTime !== null && (
        <button class="btn btn-ghost" onClick={() => onChange({endTime: null})} title="Back to now" aria-label="Back to now">
          ×
        </button>
      )}
    </div>
  )
}

function GraphControls({panel, localTime, onChange}: {panel: PanelState; localTime: boolean; onChange: (p: Partial<PanelState>) => void}) {
  const [rangeDraft, setRangeDraft] = useState<string | null>(null)
  const [stepDraft, setStepDraft] = useState<string | null>(null)
  const commitRange = (): void => {
    if (rangeDraft === null) return
    const r = parseDuration(rangeDraft)
    if (r !== null) onChange({range: r})
    setRangeDraft(null)
  }
  const stepRange = (dir: number): void => {
    const r = panel.range
    const next = dir > 0 ? RANGE_STEPS.find((s) => s > r) : [...RANGE_STEPS].reverse().find((s) => s < r)
    if (next !== undefined) onChange({range: next})
  }
  const res = panel.resolution
  const resValue = res.type === 'auto' ? res.density : 'fixed'
  const setRes = (v: string): void => {
    const r: Resolution = v === 'fixed' ? {type: 'fixed', step: effectiveStep(panel)} : {type: 'auto', density: v as 'low' | 'medium' | 'high'}
    onChange({resolution: r})
  }
  const commitStep = (): void => {
    if (stepDraft === null) return
    const s = parseDuration(stepDraft)
    if (s !== null) onChange({resolution: {type: 'fixed', step: s}})
    setStepDraft(null)
  }
  return (
    <>
      <div class="control-group" title="Range of the graph">
        <button class="btn btn-ghost" onClick={() => stepRange(-1)} aria-label="Shorter range">
          −
        </button>
        <input
          class="input range-input"
          value={rangeDraft ?? formatDuration(panel.range)}
          onInput={(e) => setRangeDraft((e.target as HTMLInputElement).value)}
          onBlur={commitRange}
          onKeyDown={(e) => e.key === 'Enter' && commitRange()}
          data-testid="range"
        />
        <button class="btn btn-ghost" onClick={() => stepRange(1)} aria-label="Longer range">
          +
        </button>
      </div>
      <TimeControl label="End time" panel={panel} localTime={localTime} onChange={onChange} />
      <div class="control-group" title="Resolution: points per graph, or a fixed step">
        <select class="input" value={resValue} onChange={(e) => setRes((e.target as HTMLSelectElement).value)} data-testid="resolution">
          <option value="low">Low res.</option>
          <option value="medium">Medium res.</option>
          <option value="high">High res.</option>
          <option value="fixed">Fixed step</option>
        </select>
        {res.type === 'fixed' ? (
          <input
            class="input step-input"
            value={stepDraft ?? formatDuration(res.step)}
            onInput={(e) => setStepDraft((e.target as HTMLInputElement).value)}
            onBlur={commitStep}
            onKeyDown={(e) => e.key === 'Enter' && commitStep()}
            aria-label="Step"
          />
        ) : (
          <span class="muted step-note">step {formatDuration(effectiveStep(panel))}</span>
        )}
      </div>
      <div class="segmented" role="radiogroup" aria-label="Display mode">
        <button class={panel.displayMode === 'lines' ? 'active' : ''} onClick={() => onChange({displayMode: 'lines'})} data-testid="mode-lines">
          Unstacked
        </button>
        <button class={panel.displayMode === 'stacked' ? 'active' : ''} onClick={() => onChange({displayMode: 'stacked'})} data-testid="mode-stacked">
          Stacked
        </button>
      </div>
    </>
  )
}
