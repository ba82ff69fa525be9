import assert from 'node:assert/strict'
import fc from 'fast-check'
import {labelsFromRecord} from '../../../../src/core/labels/labels.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'

/** Values per step, sorted best first with NaN last: what topk/bottomk must keep, as a multiset. */
function expected(values: number[], k: number, top: boolean): number[] {
  const finite = values.filter((v) => !Number.isNaN(v)).sort((a, b) => (top ? b - a : a - b))
  const nans = values.filter((v) => Number.isNaN(v))
  return [...finite, ...nans].slice(0, k)
}

function sortKey(xs: number[]): string {
  return JSON.stringify([...xs].map((v) => (Number.isNaN(v) ? 'NaN' : v)).sort())
}

describe('engine: topk/bottomk', () => {
  it('keep exactly the k best values of every step (ties, NaN, gaps, k beyond the series count)', async () => {
    const engine = new Engine({timeout: 10_000, maxSamples: 1e7})
    // few distinct values make ties common; undefined = no sample at that step (steps are
    // 10m apart, beyond the 5m lookback, so a gap is a gap)
    const value = fc.oneof(fc.constantFrom(1, 2, 3, -1, Number.NaN), fc.double({noNaN: true, min: -1e6, max: 1e6}), fc.constant(undefined))
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(value, {minLength: 4, maxLength: 4}), {minLength: 1, maxLength: 12}), fc.integer({min: 1, max: 14}), fc.boolean(), async (grid, k, top) => {
        const q = new MemoryQueryable()
        grid.forEach((row, s) => {
          const ts: number[] = []
          const vs: number[] = []
          row.forEach((v, i) => {
            if (v === undefined) return
            ts.push(i * 600_000)
            vs.push(v)
          })
          if (ts.length) q.add(labelsFromRecord({__name__: 'x', s: String(s).padStart(2, '0')}), ts, vs)
        })
        const res = await engine.rangeQuery(q, `${top ? 'topk' : 'bottomk'}(${k}, x)`, 0, 1_800_000, 600_000, {})
        assert.equal(res.value.type, 'matrix')
        if (res.value.type !== 'matrix') return
        for (let i = 0; i < 4; i++) {
          const t = i * 600_000
          const present = grid.map((row) => row[i]).filter((v): v is number => v !== undefined)
          const got: number[] = []
          for (const s of res.value.series) {
            const j = Array.from(s.ts).indexOf(t)
            if (j >= 0) got.push(s.vs[j]!)
          }
          assert.equal(sortKey(got), sortKey(expected(present, k, top)), `step ${i}`)
        }
      }),
      {numRuns: 200},
    )
  })

  it('instant results come best first with NaN last, ties keeping the earlier series as Prometheus does', async () => {
    const engine = new Engine({timeout: 10_000, maxSamples: 1e7})
    const q = new MemoryQueryable()
    const vals = [5, Number.NaN, 7, 5, 9, 5]
    vals.forEach((v, s) => q.add(labelsFromRecord({__name__: 'x', s: String(s)}), [0], [v]))
    const res = await engine.instantQuery(q, 'topk(3, x)', 0)
    assert.equal(res.value.type, 'vector')
    if (res.value.type !== 'vector') return
    assert.deepEqual(res.value.samples.map((s) => s.v), [9, 7, 5])
    // Prometheus's heap: s=0 (5) enters first; s=3 and s=5 (also 5) are not strictly better than the root
    assert.equal(res.value.samples[2]!.labels.find((l) => l.name === 's')!.value, '0')
    const bottom = await engine.instantQuery(q, 'bottomk(10, x)', 0)
    if (bottom.value.type !== 'vector') return
    assert.deepEqual(bottom.value.samples.map((s) => (Number.isNaN(s.v) ? 'NaN' : s.v)), [5, 5, 5, 7, 9, 'NaN'])
  })
})
