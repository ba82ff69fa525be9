import assert from 'node:assert/strict'
import fc from 'fast-check'
import {labelsFromRecord} from '../../../src/core/labels/labels.js'
import {INITIAL_PENALTY_MS, PenaltyDedupIterator} from '../../../src/core/dedup/penalty-iterator.js'
import {ArrayIterator, drain, isStaleNaN, series, staleNaN} from './fixtures.js'

const ls = labelsFromRecord({a: '1'})

function rit(samples: Array<[number, number]>): ArrayIterator {
  return series(ls, samples).iterator() as ArrayIterator
}

describe('PenaltyDedupIterator', () => {
  // Data of upstream pkg/dedup/iter_test.go "Regression test with no counter adjustment".
  // Upstream's mock iterator can seek BACKWARDS (sort.Search from the start), so there A's
  // 90000 sample reappears after A was pushed to 100000 by a 50 s penalty. Real chunk iterators
  // (and our SampleIterator contract) only move forward, which is what production sees.
  const A: Array<[number, number]> = [[10000, 8], [20000, 9], [50001, 10], [60000, 11], [70000, 12], [80000, 13], [90000, 14], [100000, 15]]
  const B: Array<[number, number]> = [[10001, 8], [45001, 8.5], [55001, 9.5], [65001, 10.5]]

  it('reproduces upstream: stays on a replica, switches across a gap larger than the penalty', () => {
    const got = drain(new PenaltyDedupIterator([rit(A), rit(B)]))
    assert.deepEqual(got, [[10000, 8], [20000, 9], [45001, 8.5], [55001, 9.5], [65001, 10.5], [100000, 15]])
  })

  it('a tie goes to the first replica and the other is penalised', () => {
    const d = new PenaltyDedupIterator([rit([[1000, 1], [2000, 2]]), rit([[1000, 10], [2000, 20]])])
    assert.deepEqual(drain(d), [[1000, 1], [2000, 2]])
    const e = new PenaltyDedupIterator([rit([[1000, 10], [2000, 20]]), rit([[1000, 1], [2000, 2]])])
    assert.equal(e.next(), true)
    assert.equal(e.at(), 10)
    assert.equal(e.replica(), 0)
  })

  it('applies the 5 s initial penalty to the replica not chosen first', () => {
    const a = rit([[0, 1], [60_000, 2]])
    const b = rit([[INITIAL_PENALTY_MS, 100], [INITIAL_PENALTY_MS + 1, 101], [30_000, 102]])
    // b's sample at exactly lastT + 5000 is skipped (seek to lastT + 1 + 5000), the next one
    // wins; a is then penalised by twice the 30 s jump and its 60 s sample is skipped too.
    assert.deepEqual(drain(new PenaltyDedupIterator([a, b])), [[0, 1], [INITIAL_PENALTY_MS + 1, 101], [30_000, 102]])
  })

  it('does not double the sample rate of staggered replicas', () => {
    const a: Array<[number, number]> = []
    const b: Array<[number, number]> = []
    for (let t = 0; t < 600_000; t += 15_000) {
      a.push([t, t])
      b.push([t + 7_500, t + 7_500])
    }
    const got = drain(new PenaltyDedupIterator([rit(a), rit(b)]))
    // The 7.5 s offset beats the 5 s initial penalty, so the output settles on b after the first
    // sample, then keeps b's 15 s cadence: never both replicas' samples.
    assert.deepEqual(got[0], [0, 0])
    for (let i = 2; i < got.length; i++) assert.equal(got[i]![0] - got[i - 1]![0], 15_000)
    assert.ok(got.length <= a.length + 1)
  })

  it('fills a gap of one replica from the other, with at most two intervals lost at each switch', () => {
    const full: Array<[number, number]> = []
    for (let t = 0; t <= 900_000; t += 15_000) full.push([t, t / 1000])
    const holey = full.filter(([t]) => t < 300_000 || t > 600_000)
    const got = drain(new PenaltyDedupIterator([rit(holey), rit(full)]))
    for (const [t, v] of got) assert.equal(v, t / 1000)
    for (let i = 1; i < got.length; i++) {
      assert.ok(got[i]![0] > got[i - 1]![0], 'timestamps strictly increase')
      assert.ok(got[i]![0] - got[i - 1]![0] <= 3 * 15_000, `gap at ${got[i]![0]}`)
    }
    assert.equal(got[got.length - 1]![0], 900_000)
  })

  it('merges N replicas with gaps in different places', () => {
    const mk = (holeFrom: number, holeTo: number): Array<[number, number]> => {
      const out: Array<[number, number]> = []
      for (let t = 0; t <= 1_200_000; t += 10_000) if (t < holeFrom || t > holeTo) out.push([t, t])
      return out
    }
    const reps = [mk(100_000, 400_000), mk(350_000, 700_000), mk(650_000, 1_000_000)]
    const got = drain(new PenaltyDedupIterator(reps.map(rit)))
    for (let i = 1; i < got.length; i++) assert.ok(got[i]![0] - got[i - 1]![0] <= 30_000)
    assert.equal(got[0]![0], 0)
    assert.equal(got[got.length - 1]![0], 1_200_000)
  })

  it('passes a single replica through, and stale markers keep their bits', () => {
    const s = staleNaN()
    const got = drain(new PenaltyDedupIterator([rit([[1, 1], [2, s], [3, 3]])]))
    assert.equal(got.length, 3)
    assert.ok(isStaleNaN(got[1]![1]))
  })

  it('seek walks with next: same samples as draining, and stays put when already there', () => {
    const d = new PenaltyDedupIterator([rit(A), rit(B)])
    assert.equal(d.seek(44_000), true)
    assert.equal(d.atT(), 45001)
    assert.equal(d.seek(45001), true)
    assert.equal(d.atT(), 45001)
    assert.equal(d.seek(65_002), true)
    assert.equal(d.atT(), 100000)
    assert.equal(d.seek(100_001), false)
    assert.equal(d.next(), false)
  })

  it('property: output is strictly increasing and each sample comes from a replica', () => {
    const replica = fc
      .uniqueArray(fc.integer({min: 0, max: 100_000}), {maxLength: 40})
      .map((ts) => ts.sort((a, b) => a - b).map((t): [number, number] => [t, t * 3 + 1]))
    fc.assert(
      fc.property(fc.array(replica, {minLength: 1, maxLength: 4}), (reps) => {
        const got = drain(new PenaltyDedupIterator(reps.map(rit)))
        const all = new Set(reps.flat().map(([t]) => t))
        for (let i = 0; i < got.length; i++) {
          assert.ok(all.has(got[i]![0]))
          assert.equal(got[i]![1], got[i]![0] * 3 + 1)
          if (i > 0) assert.ok(got[i]![0] > got[i - 1]![0])
        }
        // Nothing is lost before the first sample.
        if (all.size > 0) assert.equal(got[0]![0], Math.min(...all))
        else assert.equal(got.length, 0)
        // Seeking to any t gives the first output sample >= t.
        const t = got.length > 0 ? got[Math.floor(got.length / 2)]![0] - 1 : 5
        const s = new PenaltyDedupIterator(reps.map(rit))
        const want = got.find(([x]) => x >= t)
        assert.equal(s.seek(t), want !== undefined)
        if (want) assert.equal(s.atT(), want[0])
      }),
      {numRuns: 300},
    )
  })
})

describe('PenaltyDedupIterator with gap filling (penalty-fill)', () => {
  const fillIt = (reps: Array<Array<[number, number]>>) => new PenaltyDedupIterator(reps.map(rit), {fill: true})

  it('replicas with identical timestamps dedup to exactly the complete data, holes anywhere', () => {
    const full: Array<[number, number]> = []
    for (let t = 0; t <= 900_000; t += 15_000) full.push([t, t / 1000])
    const holeA = full.filter(([t]) => t < 300_000 || t > 420_000)
    const holeB = full.filter(([t]) => t < 600_000 || t > 700_000)
    assert.deepEqual(drain(fillIt([holeA, holeB])), full)
    assert.deepEqual(drain(fillIt([holeA, full])), full)
    // Thanos's penalty loses up to two scrapes at each switch on the same data.
    assert.ok(drain(new PenaltyDedupIterator([rit(holeA), rit(holeB)])).length < full.length)
  })

  it('staggered replicas: stays on one, takes over right after a hole, never doubles the rate', () => {
    const a: Array<[number, number]> = []
    const b: Array<[number, number]> = []
    for (let t = 0; t <= 900_000; t += 15_000) {
      if (t < 300_000 || t > 420_000) a.push([t, t])
      b.push([t + 3_000, t + 3_000])
    }
    const got = drain(fillIt([a, b]))
    for (let i = 1; i < got.length; i++) {
      const d = got[i]![0] - got[i - 1]![0]
      assert.ok(d >= 7_500 && d <= 18_000, `spacing ${d} at ${got[i]![0]}`)
    }
    // A until its hole, then B from its first scrape more than half an interval later.
    assert.deepEqual(got.filter(([t]) => t >= 285_000 && t <= 318_000), [[285_000, 285_000], [303_000, 303_000], [318_000, 318_000]])
  })

  it('upstream regression data: takes A back as soon as B ends', () => {
    const A: Array<[number, number]> = [[10000, 8], [20000, 9], [50001, 10], [60000, 11], [70000, 12], [80000, 13], [90000, 14], [100000, 15]]
    const B: Array<[number, number]> = [[10001, 8], [45001, 8.5], [55001, 9.5], [65001, 10.5]]
    assert.deepEqual(drain(fillIt([A, B])).map((s) => s[0]), [10000, 20000, 45001, 55001, 65001, 80000, 90000, 100000])
  })

  it('property: strictly increasing, every sample from a replica; identical copies give the copy', () => {
    const replica = fc
      .uniqueArray(fc.integer({min: 0, max: 100_000}), {maxLength: 40})
      .map((ts) => ts.sort((x, y) => x - y).map((t): [number, number] => [t, t * 3 + 1]))
    fc.assert(
      fc.property(fc.array(replica, {minLength: 1, maxLength: 4}), (reps) => {
        const got = drain(fillIt(reps))
        const all = new Set(reps.flat().map(([t]) => t))
        for (let i = 0; i < got.length; i++) {
          assert.ok(all.has(got[i]![0]))
          if (i > 0) assert.ok(got[i]![0] > got[i - 1]![0])
        }
        if (reps[0]!.length > 0) assert.deepEqual(drain(fillIt([reps[0]!, reps[0]!, reps[0]!])), reps[0])
      }),
      {numRuns: 300},
    )
  })
})
