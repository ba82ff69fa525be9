/**
 * The bench's agreement check: it must catch real differences (values, timestamps, series) and
 * accept what only differs by external labels or float noise below 1e-9.
 */
import assert from 'node:assert/strict'
import {compareResponses, type ApiResponse, type ApiSeries} from '../../bench/compare.js'

const EXT = new Set(['cluster', 'replica'])
const matrix = (result: ApiSeries[]): ApiResponse => ({status: 'success', data: {resultType: 'matrix', result}})
const vector = (result: ApiSeries[]): ApiResponse => ({status: 'success', data: {resultType: 'vector', result}})

describe('bench compareResponses', () => {
  const ref = matrix([
    {metric: {__name__: 'up', job: 'a'}, values: [[1, '1'], [2, 'NaN'], [3, '+Inf']]},
    {metric: {__name__: 'up', job: 'b'}, values: [[1, '0.1']]},
  ])

  it('agrees modulo external labels, series order and float noise', () => {
    const got = matrix([
      {metric: {__name__: 'up', job: 'b', cluster: 'bench'}, values: [[1, String(0.1 * (1 + 1e-12))]]},
      {metric: {job: 'a', __name__: 'up', cluster: 'bench', replica: '0'}, values: [[1, '1'], [2, 'NaN'], [3, '+Inf']]},
    ])
    assert.equal(compareResponses(ref, got, EXT), undefined)
  })

  it('reports a value, a timestamp, a missing point, a missing and an extra series', () => {
    const base = (): ApiSeries[] => JSON.parse(JSON.stringify((ref.data!.result as ApiSeries[]))) as ApiSeries[]
    let s = base()
    s[1]!.values![0]![1] = '0.1000001'
    assert.match(compareResponses(ref, matrix(s), EXT)!, /"job","b".*0\.1000001, want 0\.1/)
    s = base()
    s[0]!.values![2]![1] = '-Inf'
    assert.match(compareResponses(ref, matrix(s), EXT)!, /-Inf, want \+Inf/)
    s = base()
    s[0]!.values![1]![0] = 2.5
    assert.match(compareResponses(ref, matrix(s), EXT)!, /point 1 at t=2\.5, want t=2/)
    s = base()
    s[0]!.values!.pop()
    assert.match(compareResponses(ref, matrix(s), EXT)!, /2 points, want 3 \(missing from t=3\)/)
    assert.match(compareResponses(ref, matrix(base().slice(0, 1)), EXT)!, /missing series .*"job","b"/)
    assert.match(compareResponses(ref, matrix([...base(), {metric: {job: 'c'}, values: []}]), EXT)!, /extra series .*"job","c"/)
  })

  it('reports failures, type mismatches and series that collide without external labels', () => {
    assert.match(compareResponses(ref, {status: 'error', errorType: 'execution', error: 'boom'}, EXT)!, /failed: execution: boom/)
    assert.match(compareResponses(ref, vector([]), EXT)!, /resultType vector, want matrix/)
    const twoReplicas = matrix([...(ref.data!.result as ApiSeries[]).map((x) => ({...x, metric: {...x.metric, replica: '0'}})), {metric: {__name__: 'up', job: 'b', replica: '1'}, values: [[1, '0.1']]}])
    assert.match(compareResponses(ref, twoReplicas, EXT)!, /1 series collide/)
  })

  it('compares instant vectors and scalars', () => {
    const v = vector([{metric: {job: 'a'}, value: [10, '5']}])
    assert.equal(compareResponses(v, vector([{metric: {job: 'a', cluster: 'x'}, value: [10, '5']}]), EXT), undefined)
    assert.match(compareResponses(v, vector([{metric: {job: 'a'}, value: [10, '6']}]), EXT)!, /6, want 5/)
    const sc = (t: number, x: string): ApiResponse => ({status: 'success', data: {resultType: 'scalar', result: [t, x]}})
    assert.equal(compareResponses(sc(1, '2'), sc(1, '2'), EXT), undefined)
    assert.match(compareResponses(sc(1, '2'), sc(1, '3'), EXT)!, /scalar 3@1, want 2@1/)
  })
})
