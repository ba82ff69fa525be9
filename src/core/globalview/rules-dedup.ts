/**
 * The querier's merge of rule groups from many endpoints, as Thanos's (pkg/rules/rules.go
 * dedupGroups, dedupRules; the orderings of pkg/rules/rulespb/custom.go):
 *
 * - groups with the same file and name are one group: sorted by `file;name`, the rules of
 *   the later ones are appended to the first one's, whose own fields (interval, evaluation
 *   time, last evaluation, limit) stay;
 * - in each group the replica labels are removed from every rule's labels, the rules are
 *   sorted (alerting before recording, then by name, labels, query and, for alerts, `for`),
 *   and of rules equal in that order one is kept: for alerts the one in the most critical
 *   state (firing, pending, inactive, unknown), then the one evaluated last; for recording
 *   rules the one evaluated last; on a tie the first.
 *
 * Sorts are stable, so ties keep the order the answers arrived in, which is what Go's sort
 * gives for the short lists involved (insertion sort below 13 elements).
 */
import {compareLabels, compareStrings, withoutLabels} from '../labels/labels.js'
import type {PbTimestamp, Rule, RuleGroup} from './messages.js'
import {ruleLabels, ruleName} from './rules.js'

// Go's string order (UTF-8 bytes), as the sort.Slice calls this follows.
const cmpStrings = compareStrings

export function compareTimestamps(a: PbTimestamp, b: PbTimestamp): number {
  return a.seconds - b.seconds || a.nanos - b.nanos
}

function ruleQuery(r: Rule): string {
  return r.alert ? r.alert.query : r.recording.query
}

/** Thanos's Rule.Compare: the order in which the same rule of two replicas compares equal. */
export function compareRules(a: Rule, b: Rule): number {
  if (a.alert && b.recording) return -1
  if (a.recording && b.alert) return 1
  const d = cmpStrings(ruleName(a), ruleName(b)) || compareLabels(ruleLabels(a), ruleLabels(b)) || cmpStrings(ruleQuery(a), ruleQuery(b))
  if (d !== 0) return d
  if (a.alert && b.alert) return Math.sign(a.alert.duration_seconds - b.alert.duration_seconds)
  return 0
}

/**
 * Which of two equal rules comes first (is kept): Alert.Compare and RecordingRule.Compare.
 * The more critical state first (its number is higher), then the later evaluation.
 */
function compareEqualRules(a: Rule, b: Rule): number {
  if (a.alert && b.alert) {
    const d = b.alert.state - a.alert.state
    if (d !== 0) return d
    return -compareTimestamps(a.alert.last_evaluation, b.alert.last_evaluation)
  }
  if (a.recording && b.recording) return -compareTimestamps(a.recording.last_evaluation, b.recording.last_evaluation)
  return 0
}

function withoutReplicaLabels(r: Rule, replicaLabels: ReadonlySet<string>): Rule {
  if (r.alert) return {alert: {...r.alert, labels: {labels: withoutLabels(r.alert.labels.labels, replicaLabels)}}}
  return {recording: {...r.recording, labels: {labels: withoutLabels(r.recording.labels.labels, replicaLabels)}}}
}

export function dedupRules(rules: readonly Rule[], replicaLabels: ReadonlySet<string>): Rule[] {
  if (rules.length === 0) return []
  const sorted = rules.map((r) => withoutReplicaLabels(r, replicaLabels)).sort(compareRules)
  const out: Rule[] = [sorted[0]!]
  for (let j = 1; j < sorted.length; j++) {
    const r = sorted[j]!
    const last = out[out.length - 1]!
    if (compareRules(last, r) !== 0) out.push(r)
    else if (compareEqualRules(last, r) > 0) out[out.length - 1] = r
  }
  return out
}

/** Thanos's RuleGroup.Key: groups are the same by file and name. */
function groupKey(g: RuleGroup): string {
  return `${g.file};${g.name}`
}

export function dedupGroups(groups: readonly RuleGroup[]): RuleGroup[] {
  const sorted = [...groups].sort((a, b) => cmpStrings(groupKey(a), groupKey(b)))
  const out: RuleGroup[] = []
  for (const g of sorted) {
    const last = out[out.length - 1]
    if (last !== undefined && groupKey(last) === groupKey(g)) last.rules = [...last.rules, ...g.rules]
    else out.push({...g})
  }
  return out
}

/** Groups merged, then each group's rules deduplicated along the replica labels. */
export function mergeRuleGroups(groups: readonly RuleGroup[], replicaLabels: readonly string[]): RuleGroup[] {
  const replica = new Set(replicaLabels)
  return dedupGroups(groups).map((g) => ({...g, rules: dedupRules(g.rules, replica)}))
}
