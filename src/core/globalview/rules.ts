/**
 * Rules: Prometheus's /api/v1/rules answer as thanos.RuleGroup messages, and the filters of a
 * RulesRequest.
 *
 * As Thanos's sidecar (pkg/rules/prometheus.go, pkg/promclient RulesInGRPC): every group is
 * marked PartialResponseStrategy ABORT (Prometheus has none), and the external labels are
 * added to each rule's labels, alerting and recording alike, but not to the labels of the
 * alert instances (Prometheus adds external labels to alerts only when it sends them to
 * Alertmanager, and Thanos's rules API shows them as Prometheus does).
 *
 * The filters are those of Thanos's querier (pkg/rules/rules.go): Thanos's sidecar ignores
 * rule_name[], rule_group[], file[] and matchers and leaves them to the querier; ours applies
 * the same filters already, which the querier's second pass leaves unchanged, so less travels.
 */
import {BadDataError, ThanostsError} from '../errors.js'
import type {Labels} from '../labels/labels.js'
import type {Matcher} from '../labels/matcher.js'
import {parseExpr} from '../promql/parser/index.js'
import {AlertState, PartialResponseStrategy, RulesRequestType, type Alert, type AlertInstance, type RecordingRule, type Rule, type RuleGroup, type RulesRequest} from './messages.js'
import {extendLabels, jsonArray, jsonLabels, jsonNumber, jsonObject, jsonString, labelSet, type JsonObject} from './prom-json.js'
import {timestampFromRfc3339} from './prom-time.js'

/** Prometheus's `type` parameter for a request type: "alert", "record", or none for ALL. */
export function rulesTypeParam(type: number): string | undefined {
  if (type === RulesRequestType.ALERT) return 'alert'
  if (type === RulesRequestType.RECORD) return 'record'
  if (type === RulesRequestType.ALL) return undefined
  throw new BadDataError(`unknown rules type ${type}`)
}

/** "firing" → FIRING, as upstream's AlertState JSON (case-insensitive; empty or unknown fails). */
function alertState(v: unknown, what: string): number {
  if (v === undefined || v === null) return AlertState.UNKNOWN
  const s = typeof v === 'string' ? v.toUpperCase() : ''
  if (!Object.hasOwn(AlertState, s)) throw new ThanostsError('internal', `${what}: unknown alert state ${JSON.stringify(v)}`)
  return AlertState[s as keyof typeof AlertState]
}

function alertInstance(o: JsonObject): AlertInstance {
  const a: AlertInstance = {
    labels: labelSet(jsonLabels(o.labels, 'alert.labels')),
    annotations: labelSet(jsonLabels(o.annotations, 'alert.annotations')),
    state: alertState(o.state, 'alert.state'),
    value: jsonString(o, 'value', 'alert'),
    PartialResponseStrategy: PartialResponseStrategy.WARN,
  }
  if (o.activeAt !== undefined && o.activeAt !== null) a.active_at = timestampFromRfc3339(o.activeAt, 'alert.activeAt')
  return a
}

function alertingRule(o: JsonObject, ext: Labels): Alert {
  return {
    state: alertState(o.state, 'rule.state'),
    name: jsonString(o, 'name', 'rule'),
    query: jsonString(o, 'query', 'rule'),
    duration_seconds: jsonNumber(o, 'duration', 'rule'),
    labels: labelSet(extendLabels(jsonLabels(o.labels, 'rule.labels'), ext)),
    annotations: labelSet(jsonLabels(o.annotations, 'rule.annotations')),
    alerts: jsonArray(o.alerts, 'rule.alerts').map((a) => alertInstance(jsonObject(a, 'rule.alerts[]'))),
    health: jsonString(o, 'health', 'rule'),
    last_error: jsonString(o, 'lastError', 'rule'),
    evaluation_duration_seconds: jsonNumber(o, 'evaluationTime', 'rule'),
    last_evaluation: timestampFromRfc3339(o.lastEvaluation, 'rule.lastEvaluation'),
    keep_firing_for_seconds: jsonNumber(o, 'keepFiringFor', 'rule'),
  }
}

function recordingRule(o: JsonObject, ext: Labels): RecordingRule {
  return {
    name: jsonString(o, 'name', 'rule'),
    query: jsonString(o, 'query', 'rule'),
    labels: labelSet(extendLabels(jsonLabels(o.labels, 'rule.labels'), ext)),
    health: jsonString(o, 'health', 'rule'),
    last_error: jsonString(o, 'lastError', 'rule'),
    evaluation_duration_seconds: jsonNumber(o, 'evaluationTime', 'rule'),
    last_evaluation: timestampFromRfc3339(o.lastEvaluation, 'rule.lastEvaluation'),
  }
}

/** A rule by its `type` field, as upstream's Rule JSON (rulespb/custom.go). */
function rule(v: unknown, ext: Labels): Rule {
  const o = jsonObject(v, 'rule')
  const type = jsonString(o, 'type', 'rule').toLowerCase()
  if (type === 'alerting') return {alert: alertingRule(o, ext)}
  if (type === 'recording') return {recording: recordingRule(o, ext)}
  throw new ThanostsError('internal', type === '' ? 'rule: no type field provided' : `rule: unknown type field provided ${type}`)
}

/** The `data` of Prometheus's /api/v1/rules answer as groups, external labels added. */
export function ruleGroupsFromPrometheus(data: unknown, ext: Labels): RuleGroup[] {
  return jsonArray(jsonObject(data, 'rules').groups, 'rules.groups').map((g): RuleGroup => {
    const o = jsonObject(g, 'group')
    return {
      name: jsonString(o, 'name', 'group'),
      file: jsonString(o, 'file', 'group'),
      rules: jsonArray(o.rules, 'group.rules').map((r) => rule(r, ext)),
      interval: jsonNumber(o, 'interval', 'group'),
      evaluation_duration_seconds: jsonNumber(o, 'evaluationTime', 'group'),
      last_evaluation: timestampFromRfc3339(o.lastEvaluation, 'group.lastEvaluation'),
      limit: jsonNumber(o, 'limit', 'group'),
      PartialResponseStrategy: PartialResponseStrategy.ABORT,
    }
  })
}

export function ruleName(r: Rule): string {
  return r.alert ? r.alert.name : r.recording.name
}

export function ruleLabels(r: Rule): Labels {
  return r.alert ? r.alert.labels.labels : r.recording.labels.labels
}

/** The request's matcher_string, each a metric selector (`{severity="page"}`). */
export function ruleMatcherSets(req: RulesRequest): Matcher[][] {
  return req.matcher_string.map((s) => {
    const e = parseExpr(s)
    if (e.kind !== 'VectorSelector') throw new BadDataError(`invalid matcher ${JSON.stringify(s)}: expected a metric selector`)
    return e.labelMatchers
  })
}

/**
 * Whether a rule's labels that are not Go templates satisfy every matcher of every set (all
 * sets, not any: Thanos's `matches`). Upstream keeps a label when text/template parses its
 * value into one text node; a value with `{{` is taken as templated here, and an empty one
 * (no node) never counts.
 */
function ruleMatches(sets: readonly Matcher[][], ls: Labels): boolean {
  const plain = ls.filter((l) => l.value !== '' && !l.value.includes('{{'))
  const get = (name: string): string => plain.find((l) => l.name === name)?.value ?? ''
  return sets.every((ms) => ms.every((m) => m.matches(get(m.name))))
}

/**
 * The groups a RulesRequest selects, as Thanos's querier filters (pkg/rules/rules.go): by
 * matchers, then by group name, file and rule name. A group left without rules is dropped
 * only by a filter that was asked for (Prometheus's empty groups stay otherwise).
 */
export function filterRuleGroups(groups: RuleGroup[], req: RulesRequest, matcherSets: readonly Matcher[][]): RuleGroup[] {
  let out = groups
  if (matcherSets.length > 0) {
    out = out.map((g) => ({...g, rules: g.rules.filter((r) => ruleMatches(matcherSets, ruleLabels(r)))})).filter((g) => g.rules.length > 0)
  }
  if (req.rule_name.length === 0 && req.rule_group.length === 0 && req.file.length === 0) return out
  const names = new Set(req.rule_name)
  const groupNames = new Set(req.rule_group)
  const files = new Set(req.file)
  return out
    .filter((g) => (groupNames.size === 0 || groupNames.has(g.name)) && (files.size === 0 || files.has(g.file)))
    .map((g) => (names.size === 0 ? g : {...g, rules: g.rules.filter((r) => names.has(ruleName(r)))}))
    .filter((g) => g.rules.length > 0)
}
