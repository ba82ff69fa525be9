import assert from 'node:assert/strict'
import {InvalidRegexError} from '../../../src/core/errors.js'
import {compileRe2} from '../../../src/core/labels/re2.js'
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

  it('matchers treat a missing label as the empty string', function () {
    assert.ok(new Matcher(MatchType.EQ, 'x', '').matchesLabels([{name: 'a', value: '1'}]))
    assert.ok(new Matcher(MatchType.RE, 'x', '.*').matchesLabels([]))
    assert.ok(!new Matcher(MatchType.RE, 'x', '.+').matchesLabels([]))
  })
})
