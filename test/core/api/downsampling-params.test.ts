/** max_source_resolution and the dynamic lookback delta (api/downsampling-params.ts), as pkg/api/query/v1.go and cmd/thanos/query.go. */
import assert from 'node:assert/strict'
import {dynamicLookbackDelta, parseMaxSourceResolution} from '../../../src/core/api/downsampling-params.js'

describe('max_source_resolution', () => {
  it('durations, raw and auto; absent is raw unless auto-downsampling', () => {
    assert.equal(parseMaxSourceResolution('5m', 60_000, false), 300_000)
    assert.equal(parseMaxSourceResolution('1h', 60_000, false), 3_600_000)
    assert.equal(parseMaxSourceResolution('300', 60_000, false), 300_000)
    assert.equal(parseMaxSourceResolution('0s', 60_000, true), 0)
    assert.equal(parseMaxSourceResolution('raw', 60_000, true), 0)
    assert.equal(parseMaxSourceResolution('auto', 60_000, false), 60_000)
    assert.equal(parseMaxSourceResolution(null, 60_000, false), 0)
    assert.equal(parseMaxSourceResolution('', 60_000, false), 0)
    assert.equal(parseMaxSourceResolution(null, 60_000, true), 60_000)
  })

  it('malformed or negative values are bad data', () => {
    assert.throws(() => parseMaxSourceResolution('5x', 0, false), (e: Error & {kind?: string}) => e.kind === 'bad_data' && /'max_source_resolution' parameter/.test(e.message))
    assert.throws(() => parseMaxSourceResolution('-300', 0, false), /negative 'max_source_resolution' is not accepted/)
  })

  it('dynamic lookback delta: widened to the coarsest resolution the query may read', () => {
    assert.equal(dynamicLookbackDelta(300_000, 0), 300_000)
    assert.equal(dynamicLookbackDelta(300_000, 300_000), 300_000)
    assert.equal(dynamicLookbackDelta(300_000, 3_600_000), 3_600_000)
    assert.equal(dynamicLookbackDelta(60_000, 300_000), 300_000)
    assert.equal(dynamicLookbackDelta(60_000, 200_000), 300_000)
    assert.equal(dynamicLookbackDelta(7_200_000, 3_600_000), 7_200_000)
  })
})
