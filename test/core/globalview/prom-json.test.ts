import assert from 'node:assert/strict'
import {errorKind} from '../../../src/core/errors.js'
import {extendLabels, jsonLabels, jsonNumber, jsonString, parseGoFloat} from '../../../src/core/globalview/prom-json.js'
import {labelsFromRecord, labelsToRecord} from '../../../src/core/labels/labels.js'

describe('globalview prom-json', () => {
  it('external labels win and sort in; with any, empty values go (labels.Builder); without, labels stay as they are', () => {
    const ext = labelsFromRecord({cluster: 'c1', replica: 'r0'})
    assert.deepEqual(extendLabels(labelsFromRecord({job: 'a', cluster: 'mine'}), ext), labelsFromRecord({cluster: 'c1', job: 'a', replica: 'r0'}))
    assert.deepEqual(extendLabels(labelsFromRecord({a: '', b: 'x'}), ext).map((l) => l.name), ['b', 'cluster', 'replica'])
    const own = labelsFromRecord({a: '', b: 'x'})
    assert.equal(extendLabels(own, []), own)
    assert.deepEqual(extendLabels([], ext), ext)
  })

  it('label objects become sorted labels; missing or null fields are zero values; wrong types fail as internal errors', () => {
    assert.deepEqual(labelsToRecord(jsonLabels({z: '1', a: '2'}, 'x')), {a: '2', z: '1'})
    assert.deepEqual(jsonLabels({z: '1', a: '2'}, 'x').map((l) => l.name), ['a', 'z'])
    assert.deepEqual(jsonLabels(undefined, 'x'), [])
    assert.equal(jsonString({}, 'k', 'x'), '')
    assert.equal(jsonNumber({k: null}, 'k', 'x'), 0)
    for (const f of [() => jsonLabels({a: 1}, 'rule.labels'), () => jsonLabels([], 'rule.labels'), () => jsonString({k: 1}, 'k', 'rule'), () => jsonNumber({k: '1'}, 'k', 'rule')]) {
      assert.throws(f, (e) => errorKind(e) === 'internal')
    }
  })

  it('sample values as Go strconv.ParseFloat reads them', () => {
    assert.equal(parseGoFloat('1', 'v'), 1)
    assert.equal(parseGoFloat('2.5e-3', 'v'), 0.0025)
    assert.equal(parseGoFloat('+Inf', 'v'), Infinity)
    assert.equal(parseGoFloat('-Inf', 'v'), -Infinity)
    assert.equal(parseGoFloat('inf', 'v'), Infinity)
    assert.ok(Number.isNaN(parseGoFloat('NaN', 'v')))
    assert.equal(parseGoFloat('-0', 'v'), -0)
    for (const bad of ['', ' 1', '0x', 'abc', '1e']) assert.throws(() => parseGoFloat(bad, 'exemplar.value'), /exemplar\.value/)
  })
})
