import assert from 'node:assert/strict'
import fc from 'fast-check'
import {sortLabels} from '../../../src/core/labels/labels.js'
import {queryValueToApiData, queryValueToJson} from '../../../src/core/api/value-json.js'
import type {QueryValue} from '../../../src/core/promql/engine/types.js'

describe('api: query results as JSON text', () => {
  // names a JS object keeps in insertion order (integer-like ones it moves first: see below)
  const labels = fc.uniqueArray(fc.record({name: fc.string({minLength: 1, maxLength: 8}).filter((n) => !/^(0|[1-9][0-9]*)$/.test(n)), value: fc.string({maxLength: 20, unit: 'grapheme'})}), {maxLength: 4, selector: (l) => l.name}).map((ls) => sortLabels(ls))
  const value = fc.oneof(fc.double(), fc.constantFrom(0, -0, 1e21, 1e-7, Infinity, -Infinity, Number.NaN))
  const time = fc.integer({min: -1e12, max: 4e12})

  it('writes exactly what JSON.stringify of the object form gives (matrix, vector, scalar, string)', () => {
    const matrix = fc.array(fc.record({labels, pts: fc.array(fc.tuple(time, value), {maxLength: 20})}), {maxLength: 5}).map(
      (ss): QueryValue => ({type: 'matrix', series: ss.map((s) => ({labels: s.labels, ts: Float64Array.from(s.pts, (p) => p[0]), vs: Float64Array.from(s.pts, (p) => p[1])}))}),
    )
    const vector = fc.array(fc.record({labels, t: time, v: value}), {maxLength: 5}).map((samples): QueryValue => ({type: 'vector', samples}))
    const scalar = fc.record({t: time, v: value}).map((x): QueryValue => ({type: 'scalar', ...x}))
    const str = fc.record({t: time, v: fc.string()}).map((x): QueryValue => ({type: 'string', ...x}))
    fc.assert(
      fc.property(fc.oneof(matrix, vector, scalar, str), (v) => {
        assert.equal(queryValueToJson(v), JSON.stringify(queryValueToApiData(v)))
      }),
      {numRuns: 300},
    )
  })

  it('keeps labels in their order, integer-like names too, as Prometheus (web/api/v1/json_codec.go marshalLabelsJSON)', () => {
    const ls = sortLabels([{name: '404', value: 'a'}, {name: '__name__', value: 'm'}, {name: '10', value: 'b'}, {name: 'job', value: 'j'}])
    const text = queryValueToJson({type: 'vector', samples: [{labels: ls, t: 1000, v: 1}]})
    assert.equal(text, '{"resultType":"vector","result":[{"metric":{"10":"b","404":"a","__name__":"m","job":"j"},"value":[1,"1"]}]}')
    const m = queryValueToJson({type: 'matrix', series: [{labels: [{name: 'a', value: 'x'}, {name: '7', value: 'y'}], ts: Float64Array.of(0), vs: Float64Array.of(2)}]})
    assert.equal(m, '{"resultType":"matrix","result":[{"metric":{"a":"x","7":"y"},"values":[[0,"2"]]}]}')
  })

  it('writes values as Prometheus\'s jsonutil.MarshalFloat: exponent form below 1e-6 and from 1e21, two exponent digits at least', () => {
    const text = (v: number) => queryValueToJson({type: 'vector', samples: [{labels: [], t: 0, v}]})
    const cases: [number, string][] = [
      [3.7734652460679854e-8, '3.7734652460679854e-08'],
      [1e-6, '0.000001'],
      [9.99e-7, '9.99e-07'],
      [-1.5e-300, '-1.5e-300'],
      [1e21, '1e+21'],
      [123456789012345680000, '123456789012345680000'],
      [0.1, '0.1'],
      [0, '0'],
      [Number.NaN, 'NaN'],
      [-Infinity, '-Inf'],
    ]
    for (const [v, want] of cases) assert.equal(text(v), `{"resultType":"vector","result":[{"metric":{},"value":[0,"${want}"]}]}`, String(v))
  })
})
