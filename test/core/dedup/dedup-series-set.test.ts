import assert from 'node:assert/strict'
import fc from 'fast-check'
import {STALE_NAN} from '../../../src/core/chunkenc/value.js'
import {iteratorToBlock} from '../../../src/core/promql/block-iterator.js'
import type {SampleBlock} from '../../../src/core/promql/queryable.js'
import {labelsFromRecord, type Labels} from '../../../src/core/labels/labels.js'
import {DedupSeries, dedupSeriesSet, stripReplicaLabels} from '../../../src/core/dedup/dedup-series-set.js'
import {splitOverlapping} from '../../../src/core/dedup/overlap-split.js'
import {ArraySeries, drain, series} from './fixtures.js'

const L = (r: Record<string, string>): Labels => labelsFromRecord(r)

describe('dedupSeriesSet', () => {
  it('groups equal label sets and merges them (upstream "Single dedup label")', () => {
    const input = [
      series(L({a: '1', c: '3'}), [[10000, 1], [20000, 2]]),
      series(L({a: '1', c: '3'}), [[60000, 3], [70000, 4]]),
      series(L({a: '1', c: '3'}), [[200000, 5], [210000, 6]]),
      series(L({a: '1', c: '3'}), [[10000, 1], [20000, 2]]),
      series(L({a: '1', c: '3', d: '4'}), [[10000, 1], [20000, 2]]),
      series(L({a: '1', c: '4'}), [[10000, 1], [20000, 2]]),
      series(L({a: '2', c: '3'}), [[10000, 1], [20000, 2]]),
      series(L({a: '2', c: '3'}), [[60000, 3], [70000, 4]]),
    ]
    const out = dedupSeriesSet(input)
    assert.deepEqual(out.map((s) => s.labels), [L({a: '1', c: '3'}), L({a: '1', c: '3', d: '4'}), L({a: '1', c: '4'}), L({a: '2', c: '3'})])
    assert.deepEqual(drain(out[0]!.iterator()), [[10000, 1], [20000, 2], [60000, 3], [70000, 4], [200000, 5], [210000, 6]])
    assert.deepEqual(drain(out[3]!.iterator()), [[10000, 1], [20000, 2], [60000, 3], [70000, 4]])
    // A group of one is passed through as is.
    assert.equal(out[1], input[4])
    assert.ok(out[0] instanceof DedupSeries)
    // iterator() can be called again and starts over.
    assert.equal(drain(out[0]!.iterator()).length, 6)
  })

  it('uses the counter-aware merge only for counter functions', () => {
    const mk = () => [
      series(L({a: '1'}), [[0, 100], [15_000, 110]]),
      series(L({a: '1'}), [[3_000, 50], [48_000, 90]]),
    ]
    const plain = drain(dedupSeriesSet(mk(), {func: 'max_over_time'})[0]!.iterator())
    const counter = drain(dedupSeriesSet(mk(), {func: 'rate'})[0]!.iterator())
    assert.deepEqual(plain, [[0, 100], [15_000, 110], [48_000, 90]])
    assert.deepEqual(counter, [[0, 100], [15_000, 110], [48_000, 110]])
  })

  it('stripReplicaLabels removes the labels and re-sorts stably', () => {
    const items = [
      new ArraySeries(L({a: '1', replica: '0'}), [1], [1]),
      new ArraySeries(L({a: '2', replica: '0'}), [1], [2]),
      new ArraySeries(L({a: '1', replica: '1'}), [1], [3]),
      new ArraySeries(L({a: '0'}), [1], [4]),
    ]
    const out = stripReplicaLabels(items, new Set(['replica']), (s, ls) => new ArraySeries(ls, s.ts, s.vs))
    assert.deepEqual(out.map((s) => [s.labels, s.vs[0]]), [[L({a: '0'}), 4], [L({a: '1'}), 1], [L({a: '1'}), 3], [L({a: '2'}), 2]])
    assert.equal(out[0], items[3], 'unchanged items are reused')
  })
})

/** An array series that also offers the engine's bulk path, as ChunkSeries does. */
class BulkArraySeries extends ArraySeries {
  samples(mint: number, maxt: number): SampleBlock {
    return iteratorToBlock(this.iterator(), mint, maxt, this.ts.length)
  }
}

describe('DedupSeries.samples (bulk path)', () => {
  // Replicas scrape every 15 s at their own offset with random gaps (outages) and counter resets.
  const replica = fc
    .record({offset: fc.integer({min: 0, max: 14_999}), keep: fc.array(fc.boolean(), {minLength: 0, maxLength: 80}), resetAt: fc.integer({min: 0, max: 100})})
    .map(({offset, keep, resetAt}) => {
      const ts: number[] = []
      const vs: number[] = []
      keep.forEach((k, i) => {
        if (!k) return
        ts.push(offset + i * 15_000)
        // a stale marker or a NaN now and then: emitted raw, never part of the counter state
        vs.push(i % 17 === 5 ? STALE_NAN : i % 23 === 7 ? Number.NaN : i < resetAt ? 1000 + i * 7 : (i - resetAt) * 3)
      })
      return {ts, vs}
    })

  it('equals walking the merged iterator, for every algorithm, window and replica shape', () => {
    fc.assert(
      fc.property(
        fc.array(replica, {minLength: 2, maxLength: 3}),
        fc.constantFrom('penalty', 'chain', 'penalty-fill' as const),
        fc.boolean(),
        fc.integer({min: -20_000, max: 1_300_000}),
        fc.integer({min: 0, max: 1_300_000}),
        (reps, algorithm, counter, mint, width) => {
          const maxt = mint + width
          const s = new DedupSeries(L({a: '1'}), reps.map((r) => new BulkArraySeries(L({a: '1'}), r.ts, r.vs)), counter, algorithm as 'penalty' | 'chain' | 'penalty-fill')
          const bulk = s.samples(mint, maxt)
          const walked = iteratorToBlock(s.iterator(), mint, maxt, 1)
          assert.deepEqual([...bulk.ts], [...walked.ts])
          assert.deepEqual([...bulk.vs], [...walked.vs])
          assert.deepEqual([...bulk.stale], [...walked.stale])
        },
      ),
      {numRuns: 1000},
    )
  })

  it('falls back to the iterator when a replica has no bulk path', () => {
    const s = new DedupSeries(L({a: '1'}), [new ArraySeries(L({a: '1'}), [0, 15_000], [1, 2]), new BulkArraySeries(L({a: '1'}), [30_000], [3])], false, 'chain')
    assert.deepEqual([...s.samples(0, 30_000).ts], [0, 15_000, 30_000])
  })
})

describe('splitOverlapping', () => {
  const c = (minTime: number, maxTime: number) => ({minTime, maxTime})
  // Cases of upstream TestOverlapSplitSet.
  it('keeps non-overlapping chunks together', () => {
    assert.deepEqual(splitOverlapping([c(0, 20), c(21, 100), c(110, 300)]), [[c(0, 20), c(21, 100), c(110, 300)]])
    assert.deepEqual(splitOverlapping([c(50, 55), c(56, 100)]), [[c(50, 55), c(56, 100)]])
    assert.deepEqual(splitOverlapping([]), [[]])
  })
  it('splits two and four overlapping replicas, first fit', () => {
    assert.deepEqual(splitOverlapping([c(0, 20), c(0, 30), c(21, 50), c(31, 60), c(100, 160)]), [
      [c(0, 20), c(21, 50), c(100, 160)],
      [c(0, 30), c(31, 60)],
    ])
    assert.deepEqual(splitOverlapping([c(50, 55), c(55, 100)]), [[c(50, 55)], [c(55, 100)]])
    assert.deepEqual(
      splitOverlapping([c(0, 20), c(0, 30), c(1, 15), c(2, 36), c(16, 200), c(21, 50), c(31, 60), c(100, 160)]),
      [[c(0, 20), c(21, 50), c(100, 160)], [c(0, 30), c(31, 60)], [c(1, 15), c(16, 200)], [c(2, 36)]],
    )
  })
  it('sorts unsorted input by min then max time', () => {
    assert.deepEqual(splitOverlapping([c(21, 50), c(0, 30), c(0, 20)]), [[c(0, 20), c(21, 50)], [c(0, 30)]])
  })
})

describe('ChainDedupIterator (--deduplication.func=chain)', () => {
  it('fills every gap exactly when replicas share timestamps; duplicates once, first replica wins', () => {
    const full: Array<[number, number]> = []
    for (let t = 0; t <= 600_000; t += 15_000) full.push([t, t])
    const holey = full.filter(([t]) => t < 200_000 || t > 400_000).map(([t, v]): [number, number] => [t, v + 0.5])
    const out = dedupSeriesSet([series(L({a: '1'}), holey), series(L({a: '1'}), full)], {algorithm: 'chain'})
    const got = drain(out[0]!.iterator())
    assert.deepEqual(got.map((s) => s[0]), full.map((s) => s[0]))
    for (const [t, v] of got) assert.equal(v, t < 200_000 || t > 400_000 ? t + 0.5 : t)
    const it = out[0]!.iterator()
    assert.equal(it.seek(300_001), true)
    assert.equal(it.atT(), 315_000)
    assert.equal(it.seek(315_000), true)
  })
})
