/**
 * The planner and the overlap report on their own (pure functions over metas), with cases
 * worked out by hand from thanos pkg/compact/planner.go and prometheus tsdb/db.go
 * OverlappingBlocks. The CLI tests hold the same logic against the real thanos compact.
 */
import assert from 'node:assert/strict'
import {emptyThanosMeta, type BlockMeta} from '../../../src/core/block/meta.js'
import {newUlid} from '../../../src/core/block/ulid.js'
import {formatOverlaps, overlappingBlocks} from '../../../src/core/block/overlaps.js'
import {groupBlocks, groupOverlaps} from '../../../src/core/compact/group.js'
import {plan, splitByRange} from '../../../src/core/compact/planner.js'

let n = 0
function meta(minTime: number, maxTime: number, labels: Record<string, string> = {a: '1'}): BlockMeta {
  const ulid = newUlid(1_700_000_000_000 + n++)
  return {ulid, minTime, maxTime, stats: {numSeries: 1, numSamples: 10}, compaction: {level: 1, sources: [ulid]}, version: 1, thanos: {...emptyThanosMeta(), labels}}
}

const ranges = (ms: readonly BlockMeta[]): string[] => ms.map((m) => `${m.minTime}-${m.maxTime}`)
const R = [20, 60, 180, 540]

describe('compact planner', () => {
  it('nothing to plan for no block or one block', () => {
    assert.deepEqual(plan(R, []), [])
    assert.deepEqual(plan(R, [meta(0, 20)]), [])
  })

  it('three full blocks of a 60 range and a newer one: the three', () => {
    assert.deepEqual(ranges(plan(R, [meta(0, 20), meta(20, 40), meta(40, 60), meta(60, 80)])), ['0-20', '20-40', '40-60'])
  })

  it('the newest block is never part of a horizontal plan', () => {
    assert.deepEqual(plan(R, [meta(0, 20), meta(20, 40), meta(40, 60)]), [])
  })

  it('a range not yet full is merged only once a later block exists past it', () => {
    // [0,40) of the 60 range: maxt 40 is after the newest remaining block's start (20): wait.
    assert.deepEqual(plan(R, [meta(0, 20), meta(20, 40), meta(60, 80)]), [])
    // With a gap but a block of the next range before the newest: [0-20, 20-40] ends before 60.
    assert.deepEqual(ranges(plan(R, [meta(0, 20), meta(20, 40), meta(60, 80), meta(80, 100)])), ['0-20', '20-40'])
  })

  it('overlapping blocks come first, whatever the ranges', () => {
    assert.deepEqual(ranges(plan(R, [meta(0, 20), meta(20, 40), meta(40, 60), meta(50, 70), meta(65, 80), meta(100, 120)])), ['40-60', '50-70', '65-80'])
  })

  it('a no-compact block splits its range without leaving gaps', () => {
    const ms = [meta(0, 20), meta(20, 40), meta(40, 60), meta(60, 80)]
    assert.deepEqual(plan(R, ms, new Set([ms[0]!.ulid])).map((m) => m.ulid), [ms[1]!.ulid, ms[2]!.ulid])
    assert.deepEqual(plan(R, ms, new Set([ms[1]!.ulid])), [])
  })

  it('a block marked failed keeps its range out', () => {
    const ms = [meta(0, 20), meta(20, 40), meta(40, 60), meta(60, 80)]
    ms[1]!.compaction.failed = true
    assert.deepEqual(plan(R, ms), [])
  })

  it('splitByRange aligns to multiples of the range, negative times too, and drops blocks crossing a boundary', () => {
    assert.deepEqual(
      splitByRange([meta(-40, -30), meta(-30, -20), meta(-10, 10), meta(10, 20), meta(25, 30)], 20).map(ranges),
      [['-40--30', '-30--20'], ['10-20'], ['25-30']],
    )
  })

  it('groups by external labels and resolution, blocks by minTime', () => {
    const gs = groupBlocks([meta(20, 40, {a: '1'}), meta(0, 20, {a: '2'}), meta(0, 20, {a: '1'})])
    assert.deepEqual(
      gs.map((g) => [g.key, ranges(g.metasByMinTime)]),
      [
        ['0@a=1', ['0-20', '20-40']],
        ['0@a=2', ['0-20']],
      ],
    )
  })

  it('reports overlaps as tsdb.Overlaps: the shared range and every block of it', () => {
    const ms = [meta(0, 7_200_000), meta(3_600_000, 10_800_000), meta(20_000_000, 27_200_000)]
    const o = overlappingBlocks(ms)
    assert.equal(o.length, 1)
    assert.equal(
      formatOverlaps(o),
      `[mint: 3600000, maxt: 7200000, range: 1h0m0s, blocks: 2]: <ulid: ${ms[0]!.ulid}, mint: 0, maxt: 7200000, range: 2h0m0s>, <ulid: ${ms[1]!.ulid}, mint: 3600000, maxt: 10800000, range: 2h0m0s>`,
    )
    const [g] = groupBlocks(ms)
    assert.match(groupOverlaps(g!)!, /^overlaps found while gathering blocks\. \[mint: 3600000/)
    assert.equal(groupOverlaps(g!, undefined, [ms[1]!]), undefined)
  })
})
