/**
 * Vector-vector binary operators against a step-by-step reference (engine.go VectorBinop's
 * rules, written out naively here): the engine pairs series once when the matching cannot
 * change between steps (binary.ts staticVectorVector) and walks the steps otherwise, and both
 * must give what matching at every step gives. Series have gaps at random steps; keys repeat
 * on a side in some cases (the step loop's case) but never at the same step, which would be
 * an error.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {labelsFromRecord} from '../../../../src/core/labels/labels.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'

const STEPS = 5
const STEP_MS = 600_000 // beyond the 5m lookback: a gap at a step is a gap

interface Side {
  /** match key per series (label k) and an own label x, so that series stay distinct */
  keys: number[]
  grid: (number | undefined)[][]
}

const value = fc.oneof(fc.constantFrom(0, 1, 2, -3, 0.5), fc.double({noNaN: true, min: -1e6, max: 1e6}), fc.constant(undefined))
const side = (maxKey: number): fc.Arbitrary<Side> =>
  fc.array(fc.tuple(fc.integer({min: 0, max: maxKey}), fc.array(value, {minLength: STEPS, maxLength: STEPS})), {minLength: 1, maxLength: 6}).map((rows) => ({keys: rows.map((r) => r[0]), grid: rows.map((r) => r[1])}))

/** No key present twice at one step on this side (that would be a matching error). */
function uniqueAtEachStep(s: Side): boolean {
  for (let i = 0; i < STEPS; i++) {
    const seen = new Set<number>()
    for (let r = 0; r < s.keys.length; r++) {
      if (s.grid[r]![i] === undefined) continue
      if (seen.has(s.keys[r]!)) return false
      seen.add(s.keys[r]!)
    }
  }
  return true
}

function load(q: MemoryQueryable, name: string, s: Side): void {
  s.grid.forEach((row, r) => {
    const ts: number[] = []
    const vs: number[] = []
    row.forEach((v, i) => {
      if (v === undefined) return
      ts.push(i * STEP_MS)
      vs.push(v)
    })
    if (ts.length) q.add(labelsFromRecord({__name__: name, k: String(s.keys[r]), [`x_${name}`]: String(r)}), ts, vs)
  })
}

type Op = '+' | '/' | '>' | '> bool'
const apply = (op: Op, a: number, b: number): number | undefined => {
  switch (op) {
    case '+':
      return a + b
    case '/':
      return a / b
    case '>':
      return a > b ? a : undefined
    case '> bool':
      return a > b ? 1 : 0
  }
}

/** Result label key → values by step, matching a and b on k at every step. */
function reference(op: Op, a: Side, b: Side): Map<string, (number | undefined)[]> {
  const out = new Map<string, (number | undefined)[]>()
  for (let i = 0; i < STEPS; i++) {
    for (let ra = 0; ra < a.keys.length; ra++) {
      const av = a.grid[ra]![i]
      if (av === undefined) continue
      const rb = b.keys.findIndex((k, j) => k === a.keys[ra] && b.grid[j]![i] !== undefined)
      if (rb < 0) continue
      const v = apply(op, av, b.grid[rb]![i]!)
      if (v === undefined) continue
      // ignoring(x_a, x_b): arithmetic and bool drop the name, a filter keeps a's labels but x_b
      const key = op === '>' ? `a|${a.keys[ra]}` : `|${a.keys[ra]}`
      let vals = out.get(key)
      if (!vals) out.set(key, (vals = new Array<number | undefined>(STEPS).fill(undefined)))
      vals[i] = v
    }
  }
  return out
}

describe('engine: vector-vector matching', () => {
  const engine = new Engine({timeout: 10_000, maxSamples: 1e7})

  it('one-to-one arithmetic, filters and bool comparisons equal matching at every step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Op>('+', '/', '>', '> bool'), side(3), side(3), async (op, a, b) => {
        fc.pre(uniqueAtEachStep(a) && uniqueAtEachStep(b))
        const q = new MemoryQueryable()
        load(q, 'a', a)
        load(q, 'b', b)
        const expr = `a ${op} ignoring(x_a, x_b) b`
        const res = await engine.rangeQuery(q, expr, 0, (STEPS - 1) * STEP_MS, STEP_MS, {})
        assert.equal(res.value.type, 'matrix')
        if (res.value.type !== 'matrix') return
        const got = new Map<string, (number | undefined)[]>()
        for (const s of res.value.series) {
          const rec = Object.fromEntries(s.labels.map((l) => [l.name, l.value]))
          const key = `${rec.__name__ ?? ''}|${rec.k}`
          const vals = new Array<number | undefined>(STEPS).fill(undefined)
          s.ts.forEach((t, j) => (vals[t / STEP_MS] = s.vs[j]))
          assert.ok(!got.has(key), `${expr}: ${key} twice`)
          got.set(key, vals)
        }
        const want = reference(op, a, b)
        assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), expr)
        for (const [k, vals] of want) assert.deepEqual(got.get(k), vals, `${expr} ${k}`)
      }),
      {numRuns: 400},
    )
  })

  it('a key twice on the one side at the same step is still an error', async () => {
    const q = new MemoryQueryable()
    load(q, 'a', {keys: [1], grid: [[1, 1, 1, 1, 1]]})
    load(q, 'b', {keys: [1, 1], grid: [[2, undefined, undefined, undefined, undefined], [undefined, 3, 3, undefined, undefined]]})
    // apart at every step: fine, and each step takes the series present then
    const ok = await engine.rangeQuery(q, 'a + ignoring(x_a, x_b) b', 0, (STEPS - 1) * STEP_MS, STEP_MS, {})
    assert.equal(ok.value.type, 'matrix')
    if (ok.value.type === 'matrix') assert.deepEqual([...ok.value.series[0]!.vs], [3, 4, 4])
    load(q, 'c', {keys: [1, 1], grid: [[2, undefined, 5, undefined, undefined], [undefined, 3, 3, undefined, undefined]]})
    await assert.rejects(engine.rangeQuery(q, 'a + ignoring(x_a, x_c) c', 0, (STEPS - 1) * STEP_MS, STEP_MS, {}), /found duplicate series for the match group/)
  })
})
