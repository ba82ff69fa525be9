import assert from 'node:assert/strict'
import {labelsFromRecord} from '../../../../src/core/labels/labels.js'
import {parseExpr} from '../../../../src/core/promql/parser/parser.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {stepInvariantNodes} from '../../../../src/core/promql/engine/step-invariant.js'
import {formatExpr} from '../../../../src/core/promql/parser/index.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'

/**
 * Sample counts as promql/engine.go counts them, worked out by hand from its accounting for
 * 3 series x{k} with a sample every 15 s (a 5m window holds 20 of them). The differential test
 * (test/interop/limits-stats.test.ts) checks the same numbers against a real Prometheus 3.
 */
const T0 = 1_700_006_400_000
const AT = T0 + 1_800_000

function data(): MemoryQueryable {
  const q = new MemoryQueryable()
  for (let k = 0; k < 3; k++) {
    const ts = Float64Array.from({length: 240}, (_, i) => T0 + i * 15_000)
    q.add(labelsFromRecord({__name__: 'x', k: String(k)}), ts, Float64Array.from(ts, (_, i) => i * (k + 1)))
  }
  return q
}

describe('engine: sample stats (totalQueryableSamples, samplesRead, peakSamples)', function () {
  const q = data()
  const engine = new Engine({enablePerStepStats: true})

  async function instant(query: string): Promise<{total: number; read: number; peak: number}> {
    const s = (await engine.instantQuery(q, query, AT)).stats!.samples
    return {total: s.totalQueryableSamples, read: s.samplesRead, peak: s.peakSamples}
  }

  it('a selector: its samples, held at once', async () => {
    assert.deepEqual(await instant('x'), {total: 3, read: 3, peak: 3})
  })

  it('x * 2: the operands held (3 + 1), gathered again at the step (4), then the result (3)', async () => {
    assert.deepEqual(await instant('x * 2'), {total: 3, read: 3, peak: 11})
  })

  it('rate(x[5m]): one 20-sample window at a time beside the results so far', async () => {
    // third series: 2 results held + its window of 20 + its result
    assert.deepEqual(await instant('rate(x[5m])'), {total: 60, read: 60, peak: 23})
  })

  it('topk(2, x): the parameter (1) and the operand (3)', async () => {
    assert.deepEqual(await instant('topk(2, x)'), {total: 3, read: 3, peak: 4})
  })

  it('vector(1): step-invariant, evaluated once (literal 1, gathered 1, result 1)', async () => {
    assert.deepEqual(await instant('vector(1)'), {total: 0, read: 0, peak: 3})
  })

  it('max_over_time(x[5m:1m]): 15 subquery points held while each 5-point window is read', async () => {
    assert.deepEqual(await instant('max_over_time(x[5m:1m])'), {total: 15, read: 15, peak: 23})
  })

  it('a range query: windows counted at every step, read once; per-step counts when asked', async () => {
    const start = AT - 1_200_000
    const res = await engine.rangeQuery(q, 'rate(x[5m])', start, AT, 60_000, {perStepStats: true})
    const s = res.stats!.samples
    assert.equal(s.totalQueryableSamples, 21 * 60)
    // the first window whole, then 4 new samples per series per step
    assert.equal(s.samplesRead, 60 + 20 * 12)
    assert.equal(s.totalQueryableSamplesPerStep?.length, 21)
    assert.deepEqual(s.totalQueryableSamplesPerStep?.[0], [start / 1000, 60])
    assert.deepEqual(s.samplesReadPerStep?.[1], [(start + 60_000) / 1000, 12])
    // without asking, no per-step counts
    const plain = (await engine.rangeQuery(q, 'rate(x[5m])', start, AT, 60_000)).stats!.samples
    assert.equal(plain.totalQueryableSamplesPerStep, undefined)
    assert.equal(plain.totalQueryableSamples, 21 * 60)
  })

  it('1 + 1 over 21 steps: evaluated once (5 held at most), then repeated: 21', async () => {
    const res = await engine.rangeQuery(q, '1 + 1', AT - 1_200_000, AT, 60_000)
    assert.equal(res.stats!.samples.peakSamples, 21)
  })

  it('step-invariant nodes are the ones Prometheus wraps', () => {
    const wrapped = (query: string) => [...stepInvariantNodes(parseExpr(query))].map((e) => formatExpr(e)).sort()
    assert.deepEqual(wrapped('x * 2'), [])
    assert.deepEqual(wrapped('1 + 1'), ['1 + 1'])
    assert.deepEqual(wrapped('sum(x @ 100) + x'), ['sum(x @ 100.000)'])
    assert.deepEqual(wrapped('time() + vector(1)'), ['vector(1)'])
    assert.deepEqual(wrapped('rate(x[5m] @ 100)'), ['rate(x[5m] @ 100.000)'])
    assert.deepEqual(wrapped('max_over_time(vector(1)[5m:1m])'), ['vector(1)'])
    assert.deepEqual(wrapped('max_over_time(x[5m:1m]) + timestamp(x @ 5)'), ['timestamp(x @ 5.000)'])
  })
})
