/**
 * The engine with and without delayed name removal (Prometheus 3's promql-delayed-name-removal
 * feature, EngineOptions.enableDelayedNameRemoval): over an in-memory queryable with data the
 * test builds, the expressions where the two modes answer differently, each both ways. What is
 * expected follows from where upstream drops __name__ (functions.go, engine.go DropReserved) or
 * only marks it (cleanupMetricLabels); test/interop/name-removal.test.ts checks the same kind of
 * expressions against the real Prometheus 3.
 */
import assert from 'node:assert/strict'
import {labelsFromRecord, type Labels} from '../../../../src/core/labels/labels.js'
import {Engine, type QueryResult} from '../../../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'
import {parseEngineFeatures} from '../../../../src/core/promql/engine/features.js'

const MIN = 60_000
const minutes = (from: number, to: number): number[] => Array.from({length: to - from + 1}, (_, i) => (from + i) * MIN)

function labelsOf(r: QueryResult): Record<string, string>[] {
  const list: Labels[] = r.value.type === 'vector' ? r.value.samples.map((s) => s.labels) : r.value.type === 'matrix' ? r.value.series.map((s) => s.labels) : []
  return list.map((ls) => Object.fromEntries(ls.map((l) => [l.name, l.value])))
}

describe('promql/engine delayed name removal, on and off', () => {
  const delayed = new Engine({enableDelayedNameRemoval: true})
  const immediate = new Engine()
  const q = new MemoryQueryable()
  // a_total and b_total: the same labels but for the name, at times that do not overlap;
  // c and d: the same labels but for the name, at all times
  const early = minutes(0, 10)
  const late = minutes(20, 30)
  const all = minutes(0, 30)
  q.add(labelsFromRecord({__name__: 'a_total', job: 'x'}), early, early.map((_, i) => i * 2))
  q.add(labelsFromRecord({__name__: 'b_total', job: 'x'}), late, late.map((_, i) => i * 3))
  q.add(labelsFromRecord({__name__: 'c', job: 'y'}), all, all.map((_, i) => 1 + i))
  q.add(labelsFromRecord({__name__: 'd', job: 'y'}), all, all.map((_, i) => 2 + i))
  q.add(labelsFromRecord({__name__: 'e', job: 'y'}), all, all.map(() => 1))
  q.add(labelsFromRecord({__name__: 'target_info', job: 'y', instance: 'i', env: 'prod'}), all, all.map(() => 1))
  q.add(labelsFromRecord({__name__: 'h_bucket', job: 'y', le: 'abc'}), all, all.map(() => 1))
  const T = 8 * MIN

  it('is off by default', async () => {
    const r = await new Engine().instantQuery(q, 'label_replace(rate(a_total[5m]), "n", "$1", "__name__", "(.*)")', T)
    assert.deepEqual(labelsOf(r), [{job: 'x'}])
  })

  for (const [expr, on, off] of [
    // label_replace/label_join from __name__ after a function that drops it
    ['label_replace(rate(a_total[5m]), "n", "$1", "__name__", "(.*)")', [{job: 'x', n: 'a_total'}], [{job: 'x'}]],
    ['label_join(abs(c), "n", "-", "__name__", "job")', [{job: 'y', n: 'c-y'}], [{job: 'y', n: '-y'}]],
    // after vector-scalar arithmetic and a bool comparison, after unary minus, after a date function
    ['label_replace(c * 2, "n", "$1", "__name__", "(.*)")', [{job: 'y', n: 'c'}], [{job: 'y'}]],
    ['label_replace(c > bool 1, "n", "$1", "__name__", "(.*)")', [{job: 'y', n: 'c'}], [{job: 'y'}]],
    ['label_replace(-c, "n", "$1", "__name__", "(.*)")', [{job: 'y', n: 'c'}], [{job: 'y'}]],
    ['label_replace(hour(c), "n", "$1", "__name__", "(.*)")', [{job: 'y', n: 'c'}], [{job: 'y'}]],
    // topk passes the pending drop on
    ['label_replace(topk(1, rate(c[5m])), "n", "$1", "__name__", "(.*)")', [{job: 'y', n: 'c'}], [{job: 'y'}]],
    // vector-vector arithmetic drops the name at once in both modes
    ['label_replace(c * e, "n", "$1", "__name__", "(.*)")', [{job: 'y'}], [{job: 'y'}]],
    // last_over_time keeps it in both modes
    ['label_replace(last_over_time(c[5m]), "n", "$1", "__name__", "(.*)")', [{__name__: 'c', job: 'y', n: 'c'}], [{__name__: 'c', job: 'y', n: 'c'}]],
    // setting __name__ itself cancels the drop
    ['label_replace(rate(c[5m]), "__name__", "new", "", "")', [{__name__: 'new', job: 'y'}], [{__name__: 'new', job: 'y'}]],
    // sum by (__name__): one group per name while the name is pending
    ['count(sum by (__name__) (abs({__name__=~"c|d"})))', [{}], 'vector cannot contain metrics with the same labelset'],
    // info(): a base series still named target_info is an info series itself and passes as it
    // is, and info's result carries no pending drop (info.go): the name stays
    ['info(-target_info)', [{__name__: 'target_info', instance: 'i', job: 'y', env: 'prod'}], [{instance: 'i', job: 'y', env: 'prod'}]],
    ['info(-{__name__="target_info"}, {env=~".+"})', [{__name__: 'target_info', instance: 'i', job: 'y', env: 'prod'}], [{instance: 'i', job: 'y', env: 'prod'}]],
    // duplicates after a name drop, at the same step
    ['abs({__name__=~"c|d"})', 'vector cannot contain metrics with the same labelset', 'vector cannot contain metrics with the same labelset'],
    ['{__name__=~"c|d"} > bool on(job) group_left e', 'vector cannot contain metrics with the same labelset', 'multiple matches for labels: grouping labels must ensure unique matches'],
  ] as const) {
    it(`instant ${expr}`, async () => {
      for (const [engine, want] of [[delayed, on], [immediate, off]] as const) {
        const got = engine.instantQuery(q, expr, T)
        if (typeof want === 'string') await assert.rejects(got, (e: Error) => e.message === want, `${expr}: ${want}`)
        else assert.deepEqual(labelsOf(await got), want, `${expr} (${engine === delayed ? 'delayed' : 'immediate'})`)
      }
    })
  }

  it('info() sees the base name only with delayed removal', async () => {
    // without it -target_info has no name: not an info series, so joined with target_info
    const [on, off] = await Promise.all([delayed.instantQuery(q, 'label_replace(info(-target_info), "n", "$1", "__name__", "(.*)")', T), immediate.instantQuery(q, 'label_replace(info(-target_info), "n", "$1", "__name__", "(.*)")', T)])
    assert.deepEqual(labelsOf(on), [{__name__: 'target_info', env: 'prod', instance: 'i', job: 'y', n: 'target_info'}])
    assert.deepEqual(labelsOf(off), [{env: 'prod', instance: 'i', job: 'y'}])
  })

  it('a range function over series that lose their only difference: merged at the end, or an error at once', async () => {
    const expr = 'rate({__name__=~"a_total|b_total"}[5m])'
    const r = await delayed.rangeQuery(q, expr, 0, 30 * MIN, MIN)
    assert.equal(r.value.type, 'matrix')
    if (r.value.type !== 'matrix') return
    assert.deepEqual(labelsOf(r), [{job: 'x'}])
    // both series' steps: a_total's while its window has two samples, b_total's likewise
    const ts = [...r.value.series[0]!.ts]
    assert.ok(ts.some((t) => t <= 15 * MIN) && ts.some((t) => t >= 20 * MIN), `both stretches: ${ts.join(',')}`)
    // eval Call: any two equal label sets of a range function's result, whatever their steps
    await assert.rejects(immediate.rangeQuery(q, expr, 0, 30 * MIN, MIN), /vector cannot contain metrics with the same labelset/)
  })

  it('instant functions and unary minus merge such series step by step in both modes', async () => {
    for (const expr of ['abs({__name__=~"a_total|b_total"})', '-{__name__=~"a_total|b_total"}', '{__name__=~"a_total|b_total"} * 2']) {
      const [on, off] = await Promise.all([delayed.rangeQuery(q, expr, 0, 30 * MIN, MIN), immediate.rangeQuery(q, expr, 0, 30 * MIN, MIN)])
      assert.deepEqual(labelsOf(on), [{job: 'x'}], expr)
      assert.deepEqual(on.value, off.value, expr)
    }
    // a subquery over the merged series: one series without delayed removal, so rate() sees
    // one counter; with it, two named series that collide only after rate() at the same steps
    const sub = 'max_over_time(abs({__name__=~"a_total|b_total"})[30m:1m])'
    const off = await immediate.instantQuery(q, sub, 30 * MIN)
    assert.deepEqual(labelsOf(off), [{job: 'x'}])
    await assert.rejects(delayed.instantQuery(q, sub, 30 * MIN), /vector cannot contain metrics with the same labelset/)
  })

  it("histogram_quantile's annotations name the metric only with delayed removal", async () => {
    const expr = 'histogram_quantile(0.5, h_bucket)'
    const [on, off] = await Promise.all([delayed.instantQuery(q, expr, T), immediate.instantQuery(q, expr, T)])
    assert.deepEqual(on.warnings, ['PromQL warning: bucket label "le" is missing or has a malformed value of "abc" for metric name "h_bucket" (1:25)'])
    assert.deepEqual(off.warnings, ['PromQL warning: bucket label "le" is missing or has a malformed value of "abc" (1:25)'])
  })

  it('--enable-feature values: comma separated, repeatable, unknown names ignored', () => {
    assert.deepEqual(parseEngineFeatures([]), {enablePerStepStats: false, enableDelayedNameRemoval: false})
    assert.deepEqual(parseEngineFeatures(['promql-delayed-name-removal']), {enablePerStepStats: false, enableDelayedNameRemoval: true})
    assert.deepEqual(parseEngineFeatures(['promql-experimental-functions, promql-delayed-name-removal', 'promql-per-step-stats']), {enablePerStepStats: true, enableDelayedNameRemoval: true})
  })
})
