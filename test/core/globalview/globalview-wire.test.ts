/**
 * Our protobuf coding of the global-view messages against upstream's .proto files: what we
 * write decodes with upstream's types, what upstream's types write decodes with ours, and our
 * bytes are the bytes Go's generated code writes (no zero-valued scalars, every non-nullable
 * message field present even when empty). Byte equality with a real Thanos sidecar is checked
 * in test/core/sidecar/globalview.test.ts.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {exemplarsResponseCodec, metadataResponseCodec, rulesRequestCodec, rulesResponseCodec, targetsRequestCodec} from '../../../src/core/globalview/globalview-wire.js'
import type {ExemplarData, RuleGroup} from '../../../src/core/globalview/messages.js'
import {upstreamDecode, upstreamEncode, type Obj} from '../../helpers/upstream-protos.js'

const ZERO_TS = {seconds: 0, nanos: 0}

describe('globalview wire coding vs upstream protos', () => {
  it('a rule group with zero fields is written as Go writes it', () => {
    const group: RuleGroup = {
      name: 'g',
      file: '',
      interval: 0,
      evaluation_duration_seconds: 0,
      last_evaluation: {seconds: -62135596800, nanos: 0},
      limit: 0,
      PartialResponseStrategy: 1,
      rules: [
        {recording: {name: 'r', query: 'vector(1)', labels: {labels: []}, health: '', last_error: '', evaluation_duration_seconds: 0, last_evaluation: ZERO_TS}},
        {
          alert: {
            state: 0,
            name: 'a',
            query: 'up == 0',
            duration_seconds: 0,
            labels: {labels: [{name: 'severity', value: ''}]},
            annotations: {labels: []},
            alerts: [{labels: {labels: []}, annotations: {labels: []}, state: 3, value: '', PartialResponseStrategy: 0}],
            health: 'ok',
            last_error: '',
            evaluation_duration_seconds: 0.5,
            last_evaluation: ZERO_TS,
            keep_firing_for_seconds: 0,
          },
        },
      ],
    }
    // Go: zero scalars absent, non-nullable messages (labels, annotations, times) always there, nullable active_at absent
    const goShape = {
      group: {
        name: 'g',
        last_evaluation: {seconds: '-62135596800'},
        PartialResponseStrategy: 'ABORT',
        rules: [
          {recording: {name: 'r', query: 'vector(1)', labels: {}, last_evaluation: {}}},
          {
            alert: {
              name: 'a',
              query: 'up == 0',
              labels: {labels: [{name: 'severity'}]},
              annotations: {},
              alerts: [{labels: {}, annotations: {}, state: 'FIRING'}],
              health: 'ok',
              evaluation_duration_seconds: 0.5,
              last_evaluation: {},
            },
          },
        ],
      },
    }
    const mine = Buffer.from(rulesResponseCodec.encode({group}))
    assert.deepEqual(mine, upstreamEncode('thanos.RulesResponse', goShape))
    // and back: absent fields as defaults, absent non-nullable messages as empty ones
    assert.deepEqual(rulesResponseCodec.decode(mine), {group: {...group, rules: [group.rules[0], group.rules[1]]}})
  })

  it('decoding fills what Go may leave out, except the nullable active_at; oneof frames come back as they went', () => {
    const b = upstreamEncode('thanos.RulesResponse', {group: {name: 'g', rules: [{alert: {name: 'a', alerts: [{state: 'PENDING'}, {active_at: {seconds: 5, nanos: 6}}]}}]}})
    const got = rulesResponseCodec.decode(b)
    assert.ok('group' in got)
    const alert = got.group.rules[0]!.alert!
    assert.deepEqual(alert.labels, {labels: []})
    assert.deepEqual(alert.last_evaluation, ZERO_TS)
    assert.equal(alert.alerts[0]!.active_at, undefined)
    assert.equal('active_at' in alert.alerts[0]!, false)
    assert.deepEqual(alert.alerts[1]!.active_at, {seconds: 5, nanos: 6})
    assert.equal('recording' in got.group.rules[0]!, false)
    assert.deepEqual(rulesResponseCodec.decode(rulesResponseCodec.encode({warning: ''})), {warning: ''})
    assert.deepEqual(upstreamDecode('thanos.RulesResponse', rulesResponseCodec.encode({warning: 'w'})), {warning: 'w'})
  })

  it('requests from upstream encoding: enums, repeated strings, defaults', () => {
    const r = rulesRequestCodec.decode(upstreamEncode('thanos.RulesRequest', {type: 'RECORD', matcher_string: ['{a="b"}'], file: ['x.yml']}))
    assert.deepEqual(r, {type: 2, partial_response_strategy: 0, matcher_string: ['{a="b"}'], rule_name: [], rule_group: [], file: ['x.yml']})
    assert.deepEqual(targetsRequestCodec.decode(Buffer.alloc(0)), {state: 0, partial_response_strategy: 0})
  })

  it('metadata: one map entry per family, in the order given (metadata.ts sorts them)', () => {
    const metadata = Object.create(null) as Record<string, {metas: {type: string; help: string; unit: string}[]}>
    metadata.a_total = {metas: [{type: 'counter', help: 'A.', unit: ''}]}
    metadata.b = {metas: [{type: 'gauge', help: '', unit: 'seconds'}, {type: 'gauge', help: 'B.', unit: 'seconds'}]}
    metadata.__proto__ = {metas: [{type: 'unknown', help: '', unit: ''}]}
    const b = metadataResponseCodec.encode({metadata: {metadata}})
    assert.deepEqual(upstreamDecode('thanos.MetricMetadataResponse', b), {
      metadata: {
        metadata: {
          a_total: {metas: [{type: 'counter', help: 'A.'}]},
          b: {metas: [{type: 'gauge', unit: 'seconds'}, {type: 'gauge', help: 'B.', unit: 'seconds'}]},
          // a valid metric name, and a key like any other
          ['__proto__']: {metas: [{type: 'unknown'}]},
        },
      },
    })
    assert.deepEqual(Object.keys((metadataResponseCodec.decode(b) as {metadata: {metadata: Obj}}).metadata.metadata), ['a_total', 'b', '__proto__'])
  })

  it('any exemplar data round-trips through upstream types both ways', () => {
    // plain objects, as ours are (fast-check may make null-prototype ones)
    const rec = <T>(m: {[K in keyof T]: fc.Arbitrary<T[K]>}): fc.Arbitrary<T> => fc.record(m, {noNullPrototype: true})
    const label = rec({name: fc.string({minLength: 1, maxLength: 8}), value: fc.string({maxLength: 12})})
    const data = rec({
      seriesLabels: rec({labels: fc.array(label, {maxLength: 5})}),
      exemplars: fc.array(
        rec({
          labels: rec({labels: fc.array(label, {maxLength: 3})}),
          value: fc.double(),
          ts: fc.integer({min: -(2 ** 52), max: 2 ** 52}),
        }),
        {maxLength: 4},
      ),
    })
    fc.assert(
      fc.property(data, (d: ExemplarData) => {
        const mine = exemplarsResponseCodec.encode({data: d})
        const theirs = upstreamDecode('thanos.ExemplarsResponse', mine).data as Obj
        const expectLabels = (ls: {name: string; value: string}[]): Obj => (ls.length ? {labels: ls.map((l) => (l.value ? l : {name: l.name}))} : {})
        assert.deepEqual(theirs, {
          seriesLabels: expectLabels(d.seriesLabels.labels as {name: string; value: string}[]),
          ...(d.exemplars.length
            ? {
                exemplars: d.exemplars.map((e) => ({
                  labels: expectLabels(e.labels.labels as {name: string; value: string}[]),
                  ...(Object.is(e.value, 0) ? {} : {value: e.value}),
                  ...(e.ts === 0 ? {} : {ts: e.ts}),
                })),
              }
            : {}),
        })
        const back = exemplarsResponseCodec.decode(upstreamEncode('thanos.ExemplarsResponse', {data: d as unknown as Obj}))
        assert.deepEqual(back, {data: {...d, exemplars: d.exemplars.map((e) => ({...e, value: Object.is(e.value, -0) ? -0 : e.value}))}})
      }),
      {numRuns: 300},
    )
  })
})
