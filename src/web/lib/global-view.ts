/**
 * The shapes of /api/v1/rules and /api/v1/targets as the querier writes them (Thanos's JSON,
 * see core/api/globalview-json.ts), and the polling fetch the Alerts, Rules and Targets pages
 * share.
 */
import {useEffect, useState} from 'preact/hooks'
import {api, uiPath} from './api.js'

export type AlertStateName = 'firing' | 'pending' | 'inactive' | 'unknown'

export interface ApiAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  state: AlertStateName
  activeAt?: string
  value: string
}

interface RuleCommon {
  name: string
  query: string
  labels: Record<string, string>
  health: string
  lastError?: string
  evaluationTime: number
  lastEvaluation: string
}

export interface ApiAlertingRule extends RuleCommon {
  type: 'alerting'
  state: AlertStateName
  duration: number
  keepFiringFor: number
  annotations: Record<string, string>
  alerts: ApiAlert[]
}

export interface ApiRecordingRule extends RuleCommon {
  type: 'recording'
}

export type ApiRule = ApiAlertingRule | ApiRecordingRule

export interface ApiRuleGroup {
  name: string
  file: string
  rules: ApiRule[]
  interval: number
  evaluationTime: number
  lastEvaluation: string
}

export interface ApiActiveTarget {
  discoveredLabels: Record<string, string>
  labels: Record<string, string>
  scrapePool: string
  scrapeUrl: string
  globalUrl: string
  lastError: string
  lastScrape: string
  lastScrapeDuration: number
  health: 'up' | 'down' | 'unknown'
}

export interface Loaded<T> {
  data: T | null
  warnings: string[]
  error: string | null
}

/** GET /api/v1/<path> now and every `refreshMs`; keeps the last good answer while a refresh fails. */
export function usePolled<T>(path: string, refreshMs: number): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({data: null, warnings: [], error: null})
  useEffect(() => {
    let stopped = false
    const load = (): void => {
      api<T>(path)
        .then((r) => !stopped && setState({data: r.data, warnings: r.warnings, error: null}))
        .catch((e: unknown) => !stopped && setState((s) => ({...s, error: (e as Error).message})))
    }
    load()
    const t = window.setInterval(load, refreshMs)
    return () => {
      stopped = true
      window.clearInterval(t)
    }
  }, [path, refreshMs])
  return state
}

/** A link that opens `expr` on the query page, in the table tab (Prometheus's expression links). */
export function queryLink(expr: string): string {
  return `${uiPath('/graph')}?g0.expr=${encodeURIComponent(expr)}&g0.tab=1`
}

/** Go's zero time (0001-01-01T00:00:00Z) is Prometheus's "never". */
export function sinceText(rfc3339: string | undefined, now = Date.now()): string {
  if (!rfc3339) return 'never'
  const t = Date.parse(rfc3339)
  if (Number.isNaN(t) || t < 0) return 'never'
  const d = Math.max(0, now - t) / 1000
  if (d < 60) return `${d.toFixed(3)}s ago`
  if (d < 3600) return `${Math.floor(d / 60)}m ${Math.floor(d % 60)}s ago`
  if (d < 86400) return `${Math.floor(d / 3600)}h ${Math.floor((d % 3600) / 60)}m ago`
  return `${Math.floor(d / 86400)}d ${Math.floor((d % 86400) / 3600)}h ago`
}

/** Seconds as Prometheus's UI shows durations of evaluations and scrapes: "12.345ms", "1.234s". */
export function secondsText(s: number): string {
  if (s < 1) return `${(s * 1000).toFixed(3)}ms`
  if (s < 60) return `${s.toFixed(3)}s`
  return `${Math.floor(s / 60)}m ${(s % 60).toFixed(3)}s`
}

/** `for`, `keep_firing_for`: 300 → "5m". */
export function durationText(s: number): string {
  const parts: string[] = []
  let rest = Math.round(s * 1000)
  for (const [u, f] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const n = Math.floor(rest / f)
    if (n > 0) parts.push(`${n}${u}`)
    rest -= n * f
  }
  return parts.join('') || '0s'
}

/** Whether `q` (a name or label substring, case-insensitive) occurs in the name or labels. */
export function matchesSearch(q: string, name: string, labels: Record<string, string>): boolean {
  const s = q.trim().toLowerCase()
  if (s === '') return true
  if (name.toLowerCase().includes(s)) return true
  return Object.entries(labels).some(([k, v]) => `${k}=${v}`.toLowerCase().includes(s) || `${k}="${v}"`.toLowerCase().includes(s))
}
