import assert from 'node:assert/strict'
import fc from 'fast-check'
import {STALE_NAN} from '../../../src/core/chunkenc/value.js'
import {ChainDedupIterator} from '../../../src/core/dedup/chain-iterator.js'
import {CounterDedupIterator} from '../../../src/core/dedup/counter-iterator.js'
import {DedupSeries, explainSeries} from '../../../src/core/dedup/dedup-series-set.js'
import {PenaltyDedupIterator} from '../../../src/core/dedup/penalty-iterator.js'
import {HOLE_TOLERANCE_INTERVALS, type MergeSpans} from '../../../src/core/dedup/spans.js'
import {labelsFromRecord} from '../../../src/core/labels/labels.js'
import {iteratorToBlock} from '../../../src/core/promql/block-iterator.js'
import type {SampleBlock} from '../../../src/core/promql/queryable.js'
import {ArrayIterator, ArraySeries} from './fixtures.js'

const L = labelsFromRecord({a: '1'})

/** An array series that also offers the engine's bulk path, as ChunkSeries does. */
class BulkArraySeries extends ArraySeries {
  samples(mint: number, maxt: number): SampleBlock {
    return iteratorToBlock(this.iterator(), mint, maxt, this.ts.length)
  }
}

type Algorithm = 'penalty' | 'chain' | 'penalty-fill'

/** Every 15 s from `offset` to `end`, except where `drop(t)`. */
function scrapes(offset: number, end: number, drop: (t: number) => boolean = () => false): {ts: number[]; vs: number[]} {
  const ts: number[] = []
  for (let t = offset; t <= end; t += 15_000) if (!drop(t)) ts.push(t)
  return {ts, vs: ts.map((t) => t / 1000)}
}

function dedup(reps: {ts: number[]; vs: number[]}[], bulk: boolean, counter = false, algorithm: Algorithm = 'penalty'): DedupSeries {
  return new DedupSeries(L, reps.map((r) => (bulk ? new BulkArraySeries(L, r.ts, r.vs) : new ArraySeries(L, r.ts, r.vs))), counter, algorithm)
}

/**
 * The spans as the definitions in spans.ts describe them, derived without the recorder: the
 * merged iterator walked with replica() after each sample, holes from the union of every
 * replica's timestamps.
 */
function reference(reps: {ts: number[]; vs: number[]}[], counter: boolean, algorithm: Algorithm, mint: number, maxt: number): MergeSpans {
  const its = reps.map((r) => new ArrayIterator(r.ts, r.vs))
  const m = algorithm === 'chain' ? new ChainDedupIterator(its) : counter ? new CounterDedupIterator(its, {fill: algorithm === 'penalty-fill'}) : new PenaltyDedupIterator(its, {fill: algorithm === 'penalty-fill'})
  const emitted: [number, number][] = []
  while (m.next() && m.atT() <= maxt) if (m.atT() >= mint) emitted.push([m.atT(), m.replica()])
  const inWindow = reps.map((r) => r.ts.filter((t) => t >= mint && t <= maxt))
  const deltas = inWindow.flatMap((ts) => ts.slice(1).map((t, i) => t - ts[i]!)).filter((d) => d > 0).sort((a, b) => a - b)
  const interval = deltas.length ? deltas[deltas.length >> 1]! : 0
  const tolerance = HOLE_TOLERANCE_INTERVALS * interval
  const all = inWindow.flat().sort((a, b) => a - b)
  const holes = interval > 0 ? all.slice(1).flatMap((t, i) => (t - all[i]! > tolerance ? [{from: all[i]!, to: t}] : [])) : []
  const out: MergeSpans = {spans: [], holes, switches: [], interval, tolerance}
  for (const [t, r] of emitted) {
    const last = out.spans[out.spans.length - 1]
    const holeBefore = last !== undefined && holes.some((h) => h.from >= last.to && h.to <= t)
    if (last && last.replica === r && !holeBefore) {
      last.to = t
      last.samples++
      continue
    }
    if (last && last.replica !== r) out.switches.push({at: t, fromSpan: out.spans.length - 1, toSpan: out.spans.length})
    out.spans.push({replica: r, from: t, to: t, samples: 1})
  }
  return out
}

describe('explain: spans of the replica merge', () => {
  it('replica 0 misses a stretch: it serves until then, replica 1 after the penalty, and no hole (replica 1 had data)', () => {
    const a = scrapes(0, 600_000, (t) => t > 195_000 && t < 405_000)
    const b = scrapes(5_000, 605_000)
    for (const bulk of [true, false]) {
      const got = dedup([a, b], bulk).explain(0, 610_000)
      // Derived by hand from the penalty rules: replica 0's last sample 195 s; replica 1 is held
      // 2 × 15 s behind it, so its first sample at or after 225.001 s is 230 s; replica 1 then
      // has no gap and keeps the output to its last sample.
      assert.deepEqual(got.spans, [
        {replica: 0, from: 0, to: 195_000, samples: 14},
        {replica: 1, from: 230_000, to: 605_000, samples: 26},
      ])
      assert.deepEqual(got.switches, [{at: 230_000, fromSpan: 0, toSpan: 1}])
      assert.deepEqual(got.holes, [])
      assert.equal(got.interval, 15_000)
      assert.equal(got.tolerance, 37_500)
    }
  })

  it('both replicas miss a stretch: a hole, and the span around it is split without a switch', () => {
    const drop = (t: number): boolean => t >= 300_000 && t < 400_000
    const a = scrapes(0, 600_000, drop)
    const b = scrapes(5_000, 605_000, drop)
    for (const bulk of [true, false]) {
      const got = dedup([a, b], bulk).explain(0, 600_000)
      // last sample before the hole: replica 1 at 290 s; first after: replica 0 at 405 s
      assert.deepEqual(got.holes, [{from: 290_000, to: 405_000}])
      assert.deepEqual(got.spans, [
        {replica: 0, from: 0, to: 285_000, samples: 20},
        {replica: 0, from: 405_000, to: 600_000, samples: 14},
      ])
      assert.deepEqual(got.switches, [])
    }
  })

  it('one scrape missed by every replica is not a hole, two in a row are', () => {
    const one = scrapes(0, 600_000, (t) => t === 150_000)
    assert.deepEqual(dedup([one, one], true).explain(0, 600_000).holes, [])
    const two = scrapes(0, 600_000, (t) => t === 150_000 || t === 165_000)
    assert.deepEqual(dedup([two, two], true).explain(0, 600_000).holes, [{from: 135_000, to: 180_000}])
  })

  it('only the window counts: spans, holes and the interval are cut to [mint, maxt]', () => {
    const a = scrapes(0, 600_000, (t) => t > 195_000 && t < 405_000)
    const b = scrapes(5_000, 605_000)
    const got = dedup([a, b], true).explain(300_000, 400_000)
    // the merge still starts at the first sample (its state before mint decides after it)
    assert.deepEqual(got.spans, [{replica: 1, from: 305_000, to: 395_000, samples: 7}])
  })

  it('identities: inputs mapped to one identity form one span; a change of identity inside an input splits it', () => {
    const a = scrapes(0, 600_000, (t) => t > 195_000 && t < 405_000)
    const b = scrapes(5_000, 605_000)
    const s = dedup([a, b], true)
    assert.deepEqual(s.explain(0, 610_000, () => 7).spans, [{replica: 7, from: 0, to: 605_000, samples: 40}])
    assert.deepEqual(s.explain(0, 610_000, () => 7).switches, [])
    const byHalf = s.explain(0, 610_000, (r, t) => r * 10 + (t < 400_000 ? 0 : 1))
    assert.deepEqual(byHalf.spans.map((x) => [x.replica, x.from, x.to]), [
      [0, 0, 195_000],
      [10, 230_000, 395_000],
      [11, 410_000, 605_000],
    ])
    assert.deepEqual(byHalf.switches.map((x) => x.at), [230_000, 410_000])
  })

  it('a series of one replica: one input serving everything, with its holes', () => {
    const a = scrapes(0, 600_000, (t) => t > 195_000 && t < 405_000)
    for (const s of [new ArraySeries(L, a.ts, a.vs), new BulkArraySeries(L, a.ts, a.vs)]) {
      const got = explainSeries(s, 0, 600_000)
      assert.deepEqual(got.spans, [
        {replica: 0, from: 0, to: 195_000, samples: 14},
        {replica: 0, from: 405_000, to: 600_000, samples: 14},
      ])
      assert.deepEqual(got.holes, [{from: 195_000, to: 405_000}])
    }
  })

  // Replicas scrape every 15 s at their own offset with random outages and counter resets.
  const replica = fc
    .record({offset: fc.integer({min: 0, max: 14_999}), keep: fc.array(fc.boolean(), {minLength: 0, maxLength: 80}), resetAt: fc.integer({min: 0, max: 100})})
    .map(({offset, keep, resetAt}) => {
      const ts: number[] = []
      const vs: number[] = []
      keep.forEach((k, i) => {
        if (!k) return
        ts.push(offset + i * 15_000)
        vs.push(i % 17 === 5 ? STALE_NAN : i < resetAt ? 1000 + i * 7 : (i - resetAt) * 3)
      })
      return {ts, vs}
    })

  it('property: the bulk path and the iterator path give the same spans, and both the definitions', () => {
    fc.assert(
      fc.property(
        fc.array(replica, {minLength: 1, maxLength: 3}),
        fc.constantFrom<Algorithm>('penalty', 'chain', 'penalty-fill'),
        fc.boolean(),
        fc.integer({min: -20_000, max: 1_300_000}),
        fc.integer({min: 0, max: 1_300_000}),
        (reps, algorithm, counter, mint, width) => {
          const maxt = mint + width
          const bulk = dedup(reps, true, counter, algorithm).explain(mint, maxt)
          const walked = dedup(reps, false, counter, algorithm).explain(mint, maxt)
          assert.deepEqual(bulk, walked)
          assert.deepEqual(bulk, reference(reps, counter, algorithm, mint, maxt))
          // the spans hold exactly the merged samples of the window, in order, without overlap
          const merged = dedup(reps, true, counter, algorithm).samples(mint, maxt)
          assert.equal(bulk.spans.reduce((n, s) => n + s.samples, 0), merged.ts.length)
          for (let i = 1; i < bulk.spans.length; i++) assert.ok(bulk.spans[i - 1]!.to < bulk.spans[i]!.from)
        },
      ),
      {numRuns: 1000},
    )
  })
})
