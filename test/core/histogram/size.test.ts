import assert from 'node:assert/strict'
import {FloatHistogram} from '../../../src/core/histogram/float-histogram.js'
import {histogramBytes, histogramPointSize, histogramSampleSize} from '../../../src/core/histogram/size.js'

describe('histogram sizes (float_histogram.go Size, promql/value.go HPoint.size and Vector.TotalSamples)', () => {
  it('an empty histogram is the 168-byte struct: 11 samples as a point and as a step result', () => {
    const h = FloatHistogram.of({count: 1})
    assert.equal(histogramBytes(h), 168)
    assert.equal(histogramPointSize(h), 11)
    assert.equal(histogramSampleSize(h), 11)
  })

  it('8 bytes per span, bucket and custom bound; an odd number of them rounds the two sizes apart', () => {
    // 1 positive span of 2 buckets: 3 slots of 8 bytes
    const odd = FloatHistogram.of({positiveSpans: [0, 2], positiveBuckets: [1, 2]})
    assert.equal(histogramBytes(odd), 192)
    assert.equal(histogramPointSize(odd), 12)
    assert.equal(histogramSampleSize(odd), 13)
    const nhcb = FloatHistogram.of({schema: -53, positiveSpans: [0, 3], positiveBuckets: [1, 2, 3], customValues: [1, 2]})
    assert.equal(histogramBytes(nhcb), 168 + 8 * 6)
    assert.equal(histogramPointSize(nhcb), 14)
    assert.equal(histogramSampleSize(nhcb), 14)
  })
})
