/** Block selection by resolution (storegateway/bucket-store.ts blocksFor), as Thanos's bucketBlockSet.getFor. */
import assert from 'node:assert/strict'
import type {BlockMeta} from '../../../src/core/block/meta.js'
import {blocksFor} from '../../../src/core/storegateway/bucket-store.js'

interface B {
  meta: BlockMeta
  name: string
}

function block(res: number, minTime: number, maxTime: number): B {
  return {name: `${res === 0 ? 'raw' : res === 300_000 ? '5m' : '1h'}@${minTime}`, meta: {minTime, maxTime, thanos: {downsample: {resolution: res}}} as unknown as BlockMeta}
}

describe('blocksFor (bucketBlockSet.getFor)', () => {
  const raw = [block(0, 0, 100), block(0, 100, 200), block(0, 200, 300), block(0, 300, 400)]
  const m5 = [block(300_000, 0, 200), block(300_000, 300, 400)]
  const h1 = [block(3_600_000, 100, 200)]
  const set = [h1, m5, raw]
  const names = (mint: number, maxt: number, res: number) => blocksFor(set, mint, maxt, res).map((b) => b.name)

  it('raw only at window 0 (or any window below 5m), time-overlapping blocks, maxTime exclusive', () => {
    assert.deepEqual(names(0, 399, 0), ['raw@0', 'raw@100', 'raw@200', 'raw@300'])
    assert.deepEqual(names(100, 199, 299_999), ['raw@100'])
    assert.deepEqual(names(200, 200, 0), ['raw@200'])
    assert.deepEqual(names(400, 500, 0), [])
  })

  it('the coarsest resolution not above the window, gaps filled with finer blocks', () => {
    assert.deepEqual(names(0, 399, 300_000), ['5m@0', 'raw@200', '5m@300'])
    assert.deepEqual(names(250, 399, 300_000), ['raw@200', '5m@300'])
    assert.deepEqual(names(0, 399, 3_600_000), ['5m@0', '1h@100', 'raw@200', '5m@300'])
    assert.deepEqual(names(150, 160, 3_600_000), ['1h@100'])
    assert.deepEqual(names(150, 160, 100_000_000), ['1h@100'])
  })

  it('an empty range selects nothing', () => {
    assert.deepEqual(names(10, 9, 3_600_000), [])
  })
})
