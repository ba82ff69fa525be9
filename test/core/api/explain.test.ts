/**
 * The explain mapping from result series back to selected series (api/explain.ts), checked
 * against the engine itself: a data series feeds a result series when removing it, or scaling
 * it, changes that result series. For every query below the traced inputs must be exactly
 * those.
 */
import assert from 'node:assert/strict'
import {buildExplain, compose, traceSelectors} from '../../../src/core/api/explain.js'
import {labelsFromRecord, labelsKey, type Labels} from '../../../src/core/labels/labels.js'
import {Engine, type QueryValue} from '../../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../../src/core/promql/memory-queryable.js'
import {parseExpr} from '../../../src/core/promql/parser/index.js'
import type {Queryable} from '../../../src/core/promql/queryable.js'
import {SelectExplainCollector} from '../../../src/core/proxy/select-explain.js'

const T0 = 1_700_000_000_000
const END = T0 + 1800_000

interface Data {
  labels: Labels
  gen: (i: number) => number
}

const DATA: Data[] = []
const add = (rec: Record<string, string>, gen: (i: number) => number) => DATA.push({labels: labelsFromRecord(rec), gen})
for (const job of ['api', 'web']) {
  for (const instance of ['a', 'b', 'c']) {
    const k = job.length * 10 + instance.charCodeAt(0)
    add({__name__: 'x_total', job, instance}, (i) => i * (k % 7 + 1))
    add({__name__: 'y_total', job, instance}, (i) => i * (k % 5 + 2))
    for (const le of ['0.1', '1', '+Inf']) add({__name__: 'h_bucket', job, instance, le}, (i) => i * Number(le === '+Inf' ? 9 : le === '1' ? 5 : 1) * (k % 3 + 1))
  }
  add({__name__: 'build_info', job, version: job === 'api' ? 'v1' : 'v2'}, () => 1)
}

function memory(without?: Labels, scaled?: Labels): MemoryQueryable {
  const q = new MemoryQueryable()
  for (const d of DATA) {
    if (without && labelsKey(d.labels) === labelsKey(without)) continue
    const factor = scaled && labelsKey(d.labels) === labelsKey(scaled) ? 3 : 1
    const ts: number[] = []
    const vs: number[] = []
    for (let t = T0, i = 0; t <= END; t += 15_000, i++) {
      ts.push(t)
      vs.push(d.gen(i) * factor + (factor === 1 ? 0 : 5))
    }
    q.add(d.labels, ts, vs)
  }
  return q
}

/** A queryable that records its selects as the store queryable does (spans are not needed here). */
function recording(inner: Queryable, c: SelectExplainCollector): Queryable {
  return {
    querier(mint, maxt) {
      const q = inner.querier(mint, maxt)
      return {
        ...q,
        async select(matchers, hints, signal) {
          const set = await q.select(matchers, hints, signal)
          c.add({matchers, start: hints.start, end: hints.end, func: hints.func, series: set.series.map((s) => ({labels: s.labels, spans: () => ({spans: [], holes: [], switches: [], interval: 0, tolerance: 0})}))})
          return set
        },
      }
    },
  }
}

const engine = new Engine()
const run = (q: Queryable, query: string): Promise<QueryValue> => engine.rangeQuery(q, query, T0 + 600_000, END, 60_000).then((r) => r.value)

function bySeries(v: QueryValue): Map<string, string> {
  const m = new Map<string, string>()
  if (v.type === 'matrix') for (const s of v.series) m.set(labelsKey(s.labels), JSON.stringify([[...s.ts], [...s.vs]]))
  return m
}

const QUERIES = [
  'x_total',
  'rate(x_total[5m])',
  '-x_total',
  'x_total + 1',
  'sum by (job) (rate(x_total[5m]))',
  'sum without (instance) (rate(x_total[5m]))',
  'max(x_total)',
  'count by (instance) (x_total)',
  'label_replace(rate(x_total[5m]), "host", "$1", "instance", "(.*)")',
  'rate(x_total[5m]) / on(job, instance) rate(y_total[5m])',
  'rate(x_total[5m]) / ignoring(__name__) rate(y_total[5m])',
  'sum by (job) (rate(x_total[5m])) / sum by (job) (rate(y_total[5m]))',
  'rate(x_total[5m]) * on(job) group_left(version) build_info',
  'build_info * on(job) group_right(version) rate(x_total[5m])',
  'rate(x_total[5m]) * scalar(sum(rate(y_total{instance="a"}[5m])))',
  'histogram_quantile(0.5, sum by (le, job) (rate(h_bucket[5m])))',
  'x_total and on(instance) y_total{job="api"}',
  'max_over_time(rate(x_total{job="web"}[5m])[10m:1m])',
  'sum by (job) (rate(x_total[5m] offset 5m))',
]

describe('explain: result series mapped to the selected series that fed them', function () {
  this.timeout(60_000)

  it('composes forms as the header says', () => {
    const on = (...n: string[]) => ({on: true, names: new Set(n)})
    const ig = (...n: string[]) => ({on: false, names: new Set(n)})
    assert.deepEqual(compose(on('job', 'x'), ig('x')), on('job'))
    assert.deepEqual(compose(on('job', 'x'), on('x', 'y')), on('x'))
    assert.deepEqual(compose(ig('a'), ig('b')), ig('a', 'b'))
    assert.deepEqual(compose(ig('a'), on('a', 'b')), on('b'))
  })

  for (const query of QUERIES) {
    it(`traces ${query} as the engine computes it`, async () => {
      const c = new SelectExplainCollector()
      const base = await run(recording(memory(), c), query)
      const explain = buildExplain(parseExpr(query), base, c)
      assert.equal(explain.untraced, undefined)
      const baseSeries = bySeries(base)
      assert.ok(baseSeries.size > 0, 'the query has results')
      // the oracle: which data series change which result series
      const oracle = new Map<string, Set<string>>([...baseSeries.keys()].map((k) => [k, new Set()]))
      for (const d of DATA) {
        const changed = new Set<string>()
        for (const q of [memory(d.labels), memory(undefined, d.labels)]) {
          const got = bySeries(await run(q, query))
          for (const [k, v] of baseSeries) if (got.get(k) !== v) changed.add(k)
        }
        for (const k of changed) oracle.get(k)!.add(labelsKey(d.labels))
      }
      assert.equal(explain.series.length, baseSeries.size)
      for (const s of explain.series) {
        const k = labelsKey(labelsFromRecord(s.metric))
        const traced = new Set(s.inputs.map((i) => labelsKey(labelsFromRecord(i.metric))))
        assert.deepEqual([...traced].sort(), [...oracle.get(k)!].sort(), `inputs of ${JSON.stringify(s.metric)}`)
      }
    })
  }

  it('info() is listed as untraced', () => {
    const t = traceSelectors(parseExpr('info(rate(x_total[5m]), {version="v1"})'))
    assert.ok(t.length > 0)
    assert.ok(t.every((s) => s.trace === undefined))
  })
})
