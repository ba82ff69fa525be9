/**
 * planDownsampling: the block selection of Thanos's downsampleBucket on hand-made metas
 * (sources already covered, spans below 40h / 10d, no-downsample marks, unknown resolutions).
 */
import assert from 'node:assert/strict'
import {emptyThanosMeta, type BlockMeta} from '../../../src/core/block/meta.js'
import {planDownsampling} from '../../../src/core/downsample/plan.js'
import {RES_1H, RES_5M} from '../../../src/core/downsample/windows.js'
import {BadDataError} from '../../../src/core/errors.js'

const HOUR = 3_600_000

function meta(ulid: string, resolution: number, spanHours: number, sources: string[]): BlockMeta {
  return {ulid, minTime: 0, maxTime: spanHours * HOUR, stats: {}, compaction: {level: 1, sources}, version: 1, thanos: {...emptyThanosMeta(), downsample: {resolution}}}
}

const ids = (n: number): string => `01H0000000000000000000000${n}`

describe('downsample/plan', () => {
  it('raw blocks of 40h or more to 5m, unless a 5m block covers all their sources', () => {
    const jobs = planDownsampling([
      meta(ids(3), 0, 48, [ids(1), ids(2)]),
      meta(ids(4), 0, 39.9, [ids(4)]),
      meta(ids(5), 0, 40, [ids(5)]),
      meta(ids(6), 0, 48, [ids(6), ids(7)]),
      meta(ids(8), RES_5M, 48, [ids(6)]),
    ])
    // ids(6): its 5m block lacks source ids(7), so it is downsampled again.
    assert.deepEqual(
      jobs.map((j) => [j.meta.ulid, j.resolution]),
      [
        [ids(3), RES_5M],
        [ids(5), RES_5M],
        [ids(6), RES_5M],
      ],
    )
  })

  it('5m blocks of 10 days or more to 1h; 1h blocks never', () => {
    const jobs = planDownsampling([
      meta(ids(1), RES_5M, 240, [ids(7)]),
      meta(ids(2), RES_5M, 239, [ids(8)]),
      meta(ids(3), RES_5M, 300, [ids(9)]),
      meta(ids(4), RES_1H, 300, [ids(9)]),
      meta(ids(5), RES_1H, 3000, [ids(5)]),
    ])
    assert.deepEqual(
      jobs.map((j) => [j.meta.ulid, j.resolution]),
      [[ids(1), RES_1H]],
    )
  })

  it('leaves out no-downsample blocks, which then do not count as done either', () => {
    const jobs = planDownsampling([meta(ids(1), 0, 48, [ids(1)]), meta(ids(2), 0, 48, [ids(2)]), meta(ids(3), RES_5M, 48, [ids(2)])], new Set([ids(1), ids(3)]))
    assert.deepEqual(
      jobs.map((j) => j.meta.ulid),
      [ids(2)],
    )
  })

  it('refuses a resolution that is not raw, 5m or 1h', () => {
    assert.throws(() => planDownsampling([meta(ids(1), 60_000, 48, [ids(1)])]), BadDataError)
  })
})
