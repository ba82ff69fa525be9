import assert from 'node:assert/strict'
import fc from 'fast-check'
import {decodeUtf8Escaped, isWellFormedUtf16, lex} from '../../../../src/core/promql/parser/lexer.js'

function stringValue(literal: string): string {
  const t = lex(literal).find((x) => x.kind === 'STRING')
  assert.ok(t, `no string token in ${literal}`)
  return t.value!
}

describe('PromQL string literals (Go strconv.Unquote semantics)', function () {
  it('treats \\x and octal escapes as bytes that form UTF-8 together', function () {
    assert.equal(stringValue('"\\xc3\\xa9"'), 'é')
    assert.equal(stringValue('"\\303\\251"'), 'é')
    assert.equal(stringValue('"caf\\xc3\\xa9 ok"'), 'café ok')
    assert.equal(stringValue('"\\u00e9\\U0001F600"'), 'é😀')
    assert.equal(stringValue('"😀\\x41"'), '😀A')
  })

  it('keeps bytes that are not UTF-8 apart as lone surrogates, so the string is not valid text', function () {
    const v = stringValue('"\\xff"')
    assert.equal(v, '\udcff')
    assert.equal(isWellFormedUtf16(v), false)
    assert.equal(isWellFormedUtf16(stringValue('"a\\xc3b"')), false)
    assert.equal(isWellFormedUtf16(stringValue('"\\xc3\\xa9"')), true)
    // overlong encoding of '/' and an encoded surrogate are invalid in Go too
    assert.equal(isWellFormedUtf16(decodeUtf8Escaped([0xc0, 0xaf])), false)
    assert.equal(isWellFormedUtf16(decodeUtf8Escaped([0xed, 0xa0, 0x80])), false)
  })

  it('decodes valid UTF-8 exactly as the platform decoder does', function () {
    fc.assert(
      fc.property(fc.string({unit: 'grapheme'}), (s) => {
        const bytes = [...new TextEncoder().encode(s)]
        assert.equal(decodeUtf8Escaped(bytes), new TextDecoder('utf-8', {fatal: true}).decode(Uint8Array.from(bytes)))
      }),
    )
  })

  it('marks exactly the byte strings the platform decoder rejects as invalid', function () {
    fc.assert(
      fc.property(fc.uint8Array({maxLength: 12}), (b) => {
        let valid = true
        try {
          new TextDecoder('utf-8', {fatal: true}).decode(b)
        } catch {
          valid = false
        }
        assert.equal(isWellFormedUtf16(decodeUtf8Escaped([...b])), valid)
      }),
    )
  })
})
