/**
 * Query panels <-> URL, so a page can be bookmarked and shared. Prometheus 3's scheme
 * (`g0.expr`, `g0.tab`=table|graph, `g0.range_input`, `g0.end_input`/`g0.moment_input`,
 * `g0.res_type`/`res_density`/`res_step`, `g0.display_mode`) plus Prometheus 2's (`g0.tab`=0|1,
 * `g0.stacked`, `g0.step_input`) and Thanos's `g0.deduplicate`, `g0.partial_response` and
 * `g0.max_source_resolution`, plus thanosts's `g0.explain` (the "Explain deduplication" switch,
 * issue 18).
 */
import {formatDuration, formatTime, parseDuration, parseTime} from './format.js'

export type Tab = 'table' | 'graph'
export type DisplayMode = 'lines' | 'stacked'
export type Resolution = {type: 'auto'; density: 'low' | 'medium' | 'high'} | {type: 'fixed'; step: number}

export interface PanelState {
  id: number
  expr: string
  tab: Tab
  /** Graph range, ms. */
  range: number
  /** Graph end / table evaluation time, ms; null = now. */
  endTime: number | null
  resolution: Resolution
  displayMode: DisplayMode
  dedup: boolean
  partialResponse: boolean
  /** Ask with explain=true and show which replica served which stretch (only with dedup on). */
  explain: boolean
  /**
   * Sent as `max_source_resolution`: one of MAX_SOURCE_RESOLUTIONS' values, or whatever a link
   * carried (Thanos's UI takes the URL's value as it is; the querier judges it).
   */
  maxSourceResolution: string
}

/**
 * Thanos's downsampling choices, labels and values as its UI has them
 * (pkg/ui/react-app/src/pages/graph/GraphControls.tsx).
 */
export const MAX_SOURCE_RESOLUTIONS: readonly {value: string; label: string}[] = [
  {value: 'auto', label: 'Auto downsampling'},
  {value: '0s', label: 'Only raw data'},
  {value: '5m', label: 'Max 5m downsampling'},
  {value: '1h', label: 'Max 1h downsampling'},
]

/**
 * Raw data unless chosen otherwise: Thanos's UI starts every panel at 0s whatever the querier's
 * --query.auto-downsampling (Panel.tsx PanelDefaultOptions; it reads no flag for it).
 */
export const DEFAULT_MAX_SOURCE_RESOLUTION = '0s'

let nextId = 1

export function newPanel(defaults: {partialResponse: boolean}, over: Partial<PanelState> = {}): PanelState {
  return {
    id: nextId++,
    expr: '',
    tab: 'table',
    range: 3600_000,
    endTime: null,
    resolution: {type: 'auto', density: 'medium'},
    displayMode: 'lines',
    dedup: true,
    partialResponse: defaults.partialResponse,
    explain: false,
    maxSourceResolution: DEFAULT_MAX_SOURCE_RESOLUTION,
    ...over,
  }
}

/** Points per range for the auto resolutions (Prometheus 3: low/medium/high density). */
const DENSITY: Record<'low' | 'medium' | 'high', number> = {low: 100, medium: 250, high: 750}

/** Effective step (ms) of a panel's range query: never below 1 s, whole seconds. */
export function effectiveStep(p: Pick<PanelState, 'range' | 'resolution'>): number {
  if (p.resolution.type === 'fixed') return Math.max(1, p.resolution.step)
  return Math.max(1000, Math.floor(p.range / DENSITY[p.resolution.density] / 1000) * 1000)
}

function bool(v: string): boolean {
  return v === '1' || v === 'true'
}

export function decodePanels(search: string, defaults: {partialResponse: boolean}): PanelState[] {
  const q = new URLSearchParams(search)
  const panels: PanelState[] = []
  for (let i = 0; q.has(`g${i}.expr`); i++) {
    const get = (k: string): string | null => q.get(`g${i}.${k}`)
    const p = newPanel(defaults, {expr: get('expr') ?? ''})
    const tab = get('tab')
    if (tab === '0' || tab === 'graph') p.tab = 'graph'
    else if (tab === '1' || tab === 'table') p.tab = 'table'
    const range = get('range_input')
    if (range !== null) p.range = parseDuration(range) ?? p.range
    const end = get('end_input') ?? get('moment_input')
    if (end) p.endTime = parseTime(end)
    const legacyStep = get('step_input')
    if (legacyStep && Number(legacyStep) > 0) p.resolution = {type: 'fixed', step: Number(legacyStep) * 1000}
    const resType = get('res_type')
    if (resType === 'auto') {
      const d = get('res_density')
      if (d === 'low' || d === 'medium' || d === 'high') p.resolution = {type: 'auto', density: d}
    } else if (resType === 'fixed' || resType === 'custom') {
      const s = Number(get('res_step'))
      if (s > 0) p.resolution = {type: 'fixed', step: s * 1000}
    }
    const stacked = get('stacked')
    if (stacked !== null) p.displayMode = bool(stacked) ? 'stacked' : 'lines'
    const mode = get('display_mode')
    if (mode === 'lines' || mode === 'stacked') p.displayMode = mode
    const dedup = get('deduplicate')
    if (dedup !== null) p.dedup = bool(dedup)
    const partial = get('partial_response')
    if (partial !== null) p.partialResponse = bool(partial)
    const explain = get('explain')
    if (explain !== null) p.explain = bool(explain)
    const msr = get('max_source_resolution')
    if (msr) p.maxSourceResolution = msr
    panels.push(p)
  }
  return panels
}

export function encodePanels(panels: PanelState[]): string {
  const q = new URLSearchParams()
  panels.forEach((p, i) => {
    const add = (k: string, v: string): void => q.append(`g${i}.${k}`, v)
    add('expr', p.expr)
    add('tab', p.tab)
    if (p.endTime !== null) {
      add('end_input', formatTime(p.endTime))
      add('moment_input', formatTime(p.endTime))
    }
    add('range_input', formatDuration(p.range))
    if (p.resolution.type === 'auto') {
      add('res_type', 'auto')
      add('res_density', p.resolution.density)
    } else {
      add('res_type', 'fixed')
      add('res_step', String(p.resolution.step / 1000))
    }
    add('display_mode', p.displayMode)
    add('deduplicate', p.dedup ? '1' : '0')
    add('partial_response', p.partialResponse ? '1' : '0')
    // always written, as Thanos's UI does (utils/index.ts toQueryString)
    add('max_source_resolution', p.maxSourceResolution)
    // only when on: Prometheus and Thanos know no such parameter, and links stay as theirs
    if (p.explain) add('explain', '1')
  })
  return q.toString()
}
