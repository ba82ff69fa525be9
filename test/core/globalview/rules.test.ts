/**
 * Prometheus rules JSON → RuleGroup messages, and the RulesRequest filters, on answers shaped
 * as Prometheus 2.42 and 3 give them (a recording rule without labels has no `labels` in 2.42).
 * The end-to-end comparison with Prometheus, a Thanos sidecar and a Thanos querier is in
 * test/core/sidecar/globalview.test.ts.
 */
import assert from 'node:assert/strict'
import {errorKind} from '../../../src/core/errors.js'
import {AlertState, PartialResponseStrategy, type RuleGroup, type RulesRequest} from '../../../src/core/globalview/messages.js'
import {filterRuleGroups, ruleGroupsFromPrometheus, ruleLabels, ruleMatcherSets, ruleName, rulesTypeParam} from '../../../src/core/globalview/rules.js'
import {labelsFromRecord, labelsToRecord} from '../../../src/core/labels/labels.js'

const EXT = labelsFromRecord({cluster: 'c1', replica: 'r0'})

const DATA = {
  groups: [
    {
      name: 'g1',
      file: '/rules/a.yml',
      rules: [
        {name: 'job:up:sum', query: 'sum by (job) (up)', labels: {team: 'infra'}, health: 'ok', evaluationTime: 0.0004, lastEvaluation: '2026-12-01T22:05:38.868785961Z', type: 'recording'},
        {
          state: 'firing',
          name: 'AlwaysFiring',
          query: 'vector(1) > 0',
          duration: 0,
          keepFiringFor: 30,
          labels: {severity: 'page', cluster: 'own'},
          annotations: {summary: 'value {{ $value }}'},
          alerts: [{labels: {alertname: 'AlwaysFiring', severity: 'page'}, annotations: {summary: 'value 1'}, state: 'firing', activeAt: '2026-12-01T22:05:31.867665676Z', value: '1e+00'}],
          health: 'ok',
          evaluationTime: 0.0004,
          lastEvaluation: '2026-12-01T22:05:38.869252055Z',
          type: 'alerting',
        },
        {state: 'inactive', name: 'Templated', query: 'vector(0) > 1', duration: 300, labels: {severity: '{{ if true }}page{{ end }}'}, annotations: {}, alerts: [], health: 'err', lastError: 'boom', type: 'alerting'},
      ],
      interval: 1,
      limit: 0,
      evaluationTime: 0.001,
      lastEvaluation: '2026-12-01T22:05:38.868769696Z',
    },
    {name: 'g2', file: '/rules/b.yml', rules: [{name: 'x:y', query: 'vector(2)', health: 'ok', evaluationTime: 0.0002, lastEvaluation: '0001-01-01T00:00:00Z', type: 'recording'}], interval: 2, limit: 7},
    {name: 'empty', file: '/rules/b.yml', rules: [], interval: 60},
  ],
}

const req = (r: Partial<RulesRequest>): RulesRequest => ({type: 0, partial_response_strategy: 0, matcher_string: [], rule_name: [], rule_group: [], file: [], ...r})
const names = (gs: RuleGroup[]): string[] => gs.flatMap((g) => (g.rules.length === 0 ? [`${g.name}/`] : g.rules.map((r) => `${g.name}/${ruleName(r)}`)))

describe('globalview rules', () => {
  const groups = ruleGroupsFromPrometheus(DATA, EXT)

  it('groups keep Prometheus order and fields, marked ABORT', () => {
    assert.deepEqual(
      groups.map((g) => [g.name, g.file, g.interval, g.limit, g.evaluation_duration_seconds, g.PartialResponseStrategy]),
      [
        ['g1', '/rules/a.yml', 1, 0, 0.001, PartialResponseStrategy.ABORT],
        ['g2', '/rules/b.yml', 2, 7, 0, PartialResponseStrategy.ABORT],
        ['empty', '/rules/b.yml', 60, 0, 0, PartialResponseStrategy.ABORT],
      ],
    )
    assert.deepEqual(groups[0]!.last_evaluation, {seconds: Date.UTC(2026, 11, 1, 22, 5, 38) / 1000, nanos: 868769696})
    // no lastEvaluation at all: Go's zero time, as json.Unmarshal leaves it
    assert.deepEqual(groups[2]!.last_evaluation, {seconds: -62135596800, nanos: 0})
  })

  it('rule labels get the external labels (which win), alert instances and annotations do not', () => {
    assert.deepEqual(labelsToRecord(ruleLabels(groups[0]!.rules[0]!)), {cluster: 'c1', replica: 'r0', team: 'infra'})
    assert.deepEqual(labelsToRecord(ruleLabels(groups[0]!.rules[1]!)), {cluster: 'c1', replica: 'r0', severity: 'page'})
    // 2.42 leaves out the labels of a recording rule without any
    assert.deepEqual(labelsToRecord(ruleLabels(groups[1]!.rules[0]!)), {cluster: 'c1', replica: 'r0'})
    const alert = groups[0]!.rules[1]!.alert!
    assert.equal(alert.state, AlertState.FIRING)
    assert.equal(alert.keep_firing_for_seconds, 30)
    assert.deepEqual(labelsToRecord(alert.annotations.labels), {summary: 'value {{ $value }}'})
    assert.deepEqual(labelsToRecord(alert.alerts[0]!.labels.labels), {alertname: 'AlwaysFiring', severity: 'page'})
    assert.deepEqual(alert.alerts[0]!.active_at, {seconds: Date.UTC(2026, 11, 1, 22, 5, 31) / 1000, nanos: 867665676})
    assert.equal(alert.alerts[0]!.value, '1e+00')
    assert.equal(alert.alerts[0]!.PartialResponseStrategy, PartialResponseStrategy.WARN)
    const templated = groups[0]!.rules[2]!.alert!
    assert.deepEqual([templated.state, templated.health, templated.last_error, templated.duration_seconds], [AlertState.INACTIVE, 'err', 'boom', 300])
    assert.equal(ruleGroupsFromPrometheus(DATA, [])[0]!.rules[1]!.alert!.labels.labels.find((l) => l.name === 'cluster')?.value, 'own')
  })

  it('a rule of unknown or missing type, or an unknown alert state, is an internal error', () => {
    const bad = (rule: object): unknown => ruleGroupsFromPrometheus({groups: [{name: 'g', rules: [rule]}]}, EXT)
    for (const rule of [{name: 'r'}, {name: 'r', type: 'weird'}, {name: 'r', type: 'alerting', state: 'exploding'}, {name: 'r', type: 'alerting', state: ''}]) {
      assert.throws(() => bad(rule), (e) => errorKind(e) === 'internal', JSON.stringify(rule))
    }
    assert.deepEqual(ruleGroupsFromPrometheus({groups: null}, EXT), [])
  })

  it('type parameter as Prometheus spells it', () => {
    assert.deepEqual([0, 1, 2].map(rulesTypeParam), [undefined, 'alert', 'record'])
    assert.throws(() => rulesTypeParam(3), (e) => errorKind(e) === 'bad_data')
  })

  it("filters as Thanos's querier: names, groups and files as sets; an emptied group goes only when a filter asked for it", () => {
    const f = (r: Partial<RulesRequest>): string[] => {
      const q = req(r)
      return names(filterRuleGroups(groups, q, ruleMatcherSets(q)))
    }
    assert.deepEqual(f({}), ['g1/job:up:sum', 'g1/AlwaysFiring', 'g1/Templated', 'g2/x:y', 'empty/'])
    assert.deepEqual(f({rule_name: ['x:y', 'AlwaysFiring']}), ['g1/AlwaysFiring', 'g2/x:y'])
    assert.deepEqual(f({rule_group: ['g2', 'empty']}), ['g2/x:y'])
    assert.deepEqual(f({file: ['/rules/b.yml']}), ['g2/x:y'])
    assert.deepEqual(f({file: ['/rules/b.yml'], rule_name: ['job:up:sum']}), [])
    // matchers see the external labels; every set must match; templated values count as absent
    assert.deepEqual(f({matcher_string: ['{cluster="c1"}']}), ['g1/job:up:sum', 'g1/AlwaysFiring', 'g1/Templated', 'g2/x:y'])
    assert.deepEqual(f({matcher_string: ['{severity="page"}']}), ['g1/AlwaysFiring'])
    assert.deepEqual(f({matcher_string: ['{severity="", cluster="c1"}']}), ['g1/job:up:sum', 'g1/Templated', 'g2/x:y'])
    assert.deepEqual(f({matcher_string: ['{team="infra"}', '{severity="page"}']}), [])
    assert.deepEqual(f({matcher_string: ['job:up:sum']}), [], 'rules have no __name__ label')
  })

  it('a matcher that is not a metric selector is bad data', () => {
    for (const m of ['{a=', 'sum(x)', 'up[5m]', '{a=""}']) assert.throws(() => ruleMatcherSets(req({matcher_string: [m]})), (e) => errorKind(e) === 'bad_data', m)
  })
})
