/**
 * The `data` of /api/v1/rules, /alerts, /targets, /metadata and /query_exemplars as JSON text,
 * byte for byte what Thanos's querier writes for the same messages (the JSON tags and custom
 * marshalers of pkg/rules/rulespb, pkg/targets/targetspb, pkg/metadata/metadatapb,
 * pkg/exemplars/exemplarspb, through Go's encoding/json): fields in Go's struct order, lists
 * as `[]` when empty, `lastError` of a rule and `activeAt` of an alert left out when empty,
 * states in lower case, partial-response strategies by name, times in RFC 3339 with
 * nanoseconds, label sets as objects in name order, and `<`, `>`, `&` escaped as Go escapes
 * them. The one exception: an /alerts answer without alerts is `{"alerts":[]}` as Prometheus
 * writes it, where Thanos writes `null`.
 *
 * Written as text rather than through JSON.stringify of objects because JavaScript objects put
 * integer-like keys (a label or metric named "404") first.
 */
import type {Labels} from '../labels/labels.js'
import type {AlertInstance, ExemplarData, PbLabelSet, PbTimestamp, Rule, RuleGroup, TargetDiscovery} from '../globalview/messages.js'
import {AlertState, PartialResponseStrategy, TargetHealth} from '../globalview/messages.js'
import type {MetadataMap} from '../globalview/metadata-merge.js'
import {timestampToRfc3339} from '../globalview/prom-time.js'
import {formatGoFloat} from '../promql/format-float.js'

const GO_ESCAPES: Record<string, string> = {'<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029'}

/** A string as Go's encoding/json writes it (HTML characters and line separators escaped). */
export function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => GO_ESCAPES[c]!)
}

/** A float64 field: JSON.stringify's shortest form is Go's (exponents from 1e21 and below 1e-6, `e-7` not `e-07`). */
function num(v: number): string {
  return JSON.stringify(v)
}

function labels(ls: Labels): string {
  return `{${ls.map((l) => `${goString(l.name)}:${goString(l.value)}`).join(',')}}`
}

const labelSet = (s: PbLabelSet): string => labels(s.labels)
const time = (t: PbTimestamp): string => goString(timestampToRfc3339(t))

function enumName(values: Record<string, number>, v: number): string {
  for (const [k, n] of Object.entries(values)) if (n === v) return k
  return String(v)
}

const alertState = (s: number): string => goString(enumName(AlertState, s).toLowerCase())
const strategy = (s: number): string => goString(enumName(PartialResponseStrategy, s))

function object(fields: readonly (readonly [string, string] | undefined)[]): string {
  return `{${fields
    .filter((f): f is readonly [string, string] => f !== undefined)
    .map(([k, v]) => `"${k}":${v}`)
    .join(',')}}`
}

function alertInstance(a: AlertInstance): string {
  return object([
    ['labels', labelSet(a.labels)],
    ['annotations', labelSet(a.annotations)],
    ['state', alertState(a.state)],
    a.active_at ? ['activeAt', time(a.active_at)] : undefined,
    ['value', goString(a.value)],
    ['partialResponseStrategy', strategy(a.PartialResponseStrategy)],
  ])
}

function rule(r: Rule): string {
  if (r.recording) {
    const x = r.recording
    return object([
      ['name', goString(x.name)],
      ['query', goString(x.query)],
      ['labels', labelSet(x.labels)],
      ['health', goString(x.health)],
      x.last_error !== '' ? ['lastError', goString(x.last_error)] : undefined,
      ['evaluationTime', num(x.evaluation_duration_seconds)],
      ['lastEvaluation', time(x.last_evaluation)],
      ['type', '"recording"'],
    ])
  }
  const x = r.alert
  return object([
    ['state', alertState(x.state)],
    ['name', goString(x.name)],
    ['query', goString(x.query)],
    ['duration', num(x.duration_seconds)],
    ['labels', labelSet(x.labels)],
    ['annotations', labelSet(x.annotations)],
    ['alerts', `[${x.alerts.map(alertInstance).join(',')}]`],
    ['health', goString(x.health)],
    x.last_error !== '' ? ['lastError', goString(x.last_error)] : undefined,
    ['evaluationTime', num(x.evaluation_duration_seconds)],
    ['lastEvaluation', time(x.last_evaluation)],
    ['keepFiringFor', num(x.keep_firing_for_seconds)],
    ['type', '"alerting"'],
  ])
}

function ruleGroup(g: RuleGroup): string {
  return object([
    ['name', goString(g.name)],
    ['file', goString(g.file)],
    ['rules', `[${g.rules.map(rule).join(',')}]`],
    ['interval', num(g.interval)],
    ['evaluationTime', num(g.evaluation_duration_seconds)],
    ['lastEvaluation', time(g.last_evaluation)],
    ['limit', num(g.limit)],
    ['partialResponseStrategy', strategy(g.PartialResponseStrategy)],
  ])
}

/** /api/v1/rules: `{"groups":[...]}`. */
export function rulesJson(groups: readonly RuleGroup[]): string {
  return `{"groups":[${groups.map(ruleGroup).join(',')}]}`
}

/** /api/v1/alerts: the alerts of every alerting rule, in rule order. */
export function alertsJson(groups: readonly RuleGroup[]): string {
  const alerts = groups.flatMap((g) => g.rules.flatMap((r) => (r.alert ? r.alert.alerts : [])))
  return `{"alerts":[${alerts.map(alertInstance).join(',')}]}`
}

const health = (h: number): string => goString(enumName(TargetHealth, h).toLowerCase())

/** /api/v1/targets. */
export function targetsJson(t: TargetDiscovery): string {
  const active = t.activeTargets.map((a) =>
    object([
      ['discoveredLabels', labelSet(a.discoveredLabels)],
      ['labels', labelSet(a.labels)],
      ['scrapePool', goString(a.scrapePool)],
      ['scrapeUrl', goString(a.scrapeUrl)],
      ['globalUrl', goString(a.globalUrl)],
      ['lastError', goString(a.lastError)],
      ['lastScrape', time(a.lastScrape)],
      ['lastScrapeDuration', num(a.lastScrapeDuration)],
      ['health', health(a.health)],
    ]),
  )
  const dropped = t.droppedTargets.map((d) => object([['discoveredLabels', labelSet(d.discoveredLabels)]]))
  return `{"activeTargets":[${active.join(',')}],"droppedTargets":[${dropped.join(',')}]}`
}

const cmpStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** /api/v1/metadata: metric → [{type, help, unit}], metrics in name order as Go writes a map. */
export function metadataJson(m: MetadataMap): string {
  const names = [...m.keys()].sort(cmpStrings)
  const entry = (name: string): string =>
    `${goString(name)}:[${m
      .get(name)!
      .map((x) => object([['type', goString(x.type)], ['help', goString(x.help)], ['unit', goString(x.unit)]]))
      .join(',')}]`
  return `{${names.map(entry).join(',')}}`
}

/** /api/v1/query_exemplars: timestamps in seconds and values as strings, as Prometheus's model types write them. */
export function exemplarsJson(data: readonly ExemplarData[]): string {
  const series = data.map((d) =>
    object([
      ['seriesLabels', labelSet(d.seriesLabels)],
      [
        'exemplars',
        `[${d.exemplars
          .map((e) => object([['labels', labelSet(e.labels)], ['timestamp', formatGoFloat(e.ts / 1000)], ['value', goString(formatGoFloat(e.value))]]))
          .join(',')}]`,
      ],
    ]),
  )
  return `[${series.join(',')}]`
}
