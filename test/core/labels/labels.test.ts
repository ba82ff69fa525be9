import assert from 'node:assert/strict'
import fc from 'fast-check'
import {compareLabels, compareStrings} from '../../../src/core/labels/labels.js'

const sign = (x: number): number => (x < 0 ? -1 : x > 0 ? 1 : 0)
/** Go's order: the UTF-8 bytes. */
const goOrder = (a: string, b: string): number => sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))

describe('label order', function () {
  it('compares strings as Go does (UTF-8 bytes), also where UTF-16 order differs', function () {
    // U+FF21 (fullwidth A) is below U+1F600 (an emoji) in code points, above it in UTF-16 units.
    assert.equal(compareStrings('\uFF21', '\u{1F600}'), -1)
    assert.equal('\uFF21' < '\u{1F600}', false, 'JS order differs here')
    assert.equal(compareStrings('a\u{10000}', 'a\uE000'), 1)
    assert.equal(compareStrings('ab', 'abc'), -1)
    assert.equal(compareStrings('', ''), 0)
    const chars = fc.constantFrom('a', 'z', '\u00e9', '\uD7FF', '\uE000', '\uFFFF', '\u{10000}', '\u{1F600}', '\u{10FFFF}')
    const str = fc.oneof(fc.string({unit: 'grapheme', maxLength: 6}), fc.array(chars, {maxLength: 5}).map((xs) => xs.join('')))
    fc.assert(
      fc.property(str, str, (a, b) => {
        assert.equal(compareStrings(a, b), goOrder(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`)
      }),
      {numRuns: 5000},
    )
  })

  it('orders label sets pairwise by name, then value, then length, as labels.Compare', function () {
    const l = (...kv: string[]) => kv.reduce<{name: string; value: string}[]>((out, x, i) => (i % 2 ? [...out.slice(0, -1), {name: out.at(-1)!.name, value: x}] : [...out, {name: x, value: ''}]), [])
    assert.ok(compareLabels(l('a', '1'), l('a', '2')) < 0)
    assert.ok(compareLabels(l('a', '1'), l('b', '0')) < 0)
    assert.ok(compareLabels(l('a', '1'), l('a', '1', 'b', '1')) < 0)
    assert.ok(compareLabels(l('a', '\uFF21'), l('a', '\u{1F600}')) < 0, 'values in byte order')
    assert.equal(compareLabels(l('a', '1'), l('a', '1')), 0)
  })
})
