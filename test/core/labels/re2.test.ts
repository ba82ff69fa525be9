import assert from 'node:assert/strict'
import {InvalidRegexError} from '../../../src/core/errors.js'
import {compileRe2} from '../../../src/core/labels/re2.js'
import {UNICODE_VERSION} from '../../../src/core/labels/unicode-tables.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'

describe('RE2 regexes for label matchers', function () {
  it('are fully anchored and let . match newlines, as Prometheus', function () {
    assert.ok(compileRe2('a.c').test('a\nc'))
    assert.ok(!compileRe2('b').test('abc'))
    assert.ok(compileRe2('a|b').test('b'))
    assert.ok(!compileRe2('a|b').test('ab'))
  })

  it('translate RE2-only syntax: flags, case-insensitive groups, POSIX classes, \\Q..\\E, named groups, \\z', function () {
    const cases: [string, string, boolean][] = [
      ['(?i)foo', 'FoO', true],
      ['(?i:PRO).*', 'production', true],
      ['.*((?i)DUC).*', 'proDUCtion', true],
      ['a(?i:b)c', 'aBC', false],
      ['[[:digit:]]+', '123', true],
      ['[[:upper:][:digit:]]+', 'A1', true],
      ['\\Qa.b\\E', 'a.b', true],
      ['\\Qa.b\\E', 'axb', false],
      ['(?P<n>x)y', 'xy', true],
      ['(?<n>x)y', 'xy', true],
      ['(?P<1>x)(?P<1>y)', 'xy', true],
      ['(?U)a+', 'aaa', true],
      ['(?m)^b$', 'b', true],
      ['a{,2}', 'a{,2}', true],
      ['abc\\z', 'abc', true],
      ['(?i)[a-c]+', 'ABC', true],
    ]
    for (const [re, v, want] of cases) assert.equal(compileRe2(re).test(v), want, `${re} ~ ${v}`)
  })

  it('reject what RE2 rejects (backreferences, lookarounds) with a bad_data error', function () {
    for (const re of ['(a)\\1', 'a(?=b)', 'a(?!b)', '(?<=a)b', '(', '[a', 'a**']) {
      assert.throws(() => new Matcher(MatchType.RE, 'l', re), (e: unknown) => e instanceof InvalidRegexError && e.kind === 'bad_data', re)
    }
  })

  it('use the Unicode tables of the Go Prometheus is built with, not Node\'s', function () {
    // U+10D50 is a Garay letter, new in Unicode 16: Node 20 (Unicode 17) calls it a letter,
    // Go 1.26's unicode package (Unicode 15.0.0) an unassigned code point.
    assert.equal(UNICODE_VERSION, '15.0.0')
    assert.ok(/^\p{L}$/u.test('\u{10d50}'))
    assert.ok(!compileRe2('\\pL').test('\u{10d50}'))
    assert.ok(compileRe2('\\p{Cn}').test('\u{10d50}'))
  })

  it('fold case by Go\'s SimpleFold orbits, and keep \\s \\w \\b ASCII', function () {
    assert.ok(compileRe2('(?i)k').test('\u212a')) // KELVIN SIGN
    assert.ok(compileRe2('(?i)[r-t]').test('ſ')) // LONG S
    assert.ok(!compileRe2('(?i)\\W').test('ſ')) // folded, then negated
    assert.ok(!compileRe2('\\s').test('\v'))
    assert.ok(compileRe2('[[:space:]]').test('\v'))
    assert.ok(!compileRe2('\\w').test('é'))
    assert.ok(!compileRe2('é\\b').test('é')) // é is no word character to \b
  })

  it('report errors with Go\'s messages', function () {
    const cases: [string, string][] = [
      ['a**', 'invalid nested repetition operator: `**`'],
      ['x{1001}', 'invalid repeat count: `{1001}`'],
      ['(a{100}){11}', 'invalid repeat count: `{11}`'],
      ['(?<=a)b', 'invalid named capture: `(?<=a)b`'],
      ['a(?=b)', 'invalid or unsupported Perl syntax: `(?=`'],
      ['\\p{Assigned}', 'invalid character class range: `\\p{Assigned}`'],
      ['[z-a]', 'invalid character class range: `z-a`'],
      ['\\8', 'invalid escape sequence: `\\8`'],
      ['a)', 'unexpected ): `a)`'],
      ['(a', 'missing closing ): `(a`'],
      ['\\', 'trailing backslash at end of expression: ``'],
    ]
    for (const [re, msg] of cases) assert.throws(() => compileRe2(re), {message: `error parsing regexp: ${msg}`}, re)
  })

  it('matchers treat a missing label as the empty string', function () {
    assert.ok(new Matcher(MatchType.EQ, 'x', '').matchesLabels([{name: 'a', value: '1'}]))
    assert.ok(new Matcher(MatchType.RE, 'x', '.*').matchesLabels([]))
    assert.ok(!new Matcher(MatchType.RE, 'x', '.+').matchesLabels([]))
  })
})
