import assert from 'node:assert/strict'
import fc from 'fast-check'
import {intersectPostings, subtractPostings, unionPostings} from '../../../src/core/block/postings.js'
import {partitionRanges} from '../../../src/core/block/ranges.js'
import {regexSetMatches} from '../../../src/core/block/regex-set.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'

const list = fc.uniqueArray(fc.integer({min: 0, max: 400}), {maxLength: 120}).map((a) => Uint32Array.from(a.sort((x, y) => x - y)))

describe('postings set operations', () => {
  it('union, intersection and difference agree with sets', () => {
    fc.assert(
      fc.property(fc.array(list, {maxLength: 6}), list, (lists, b) => {
        const sets = lists.map((l) => new Set(l))
        const union = [...new Set(lists.flatMap((l) => [...l]))].sort((x, y) => x - y)
        assert.deepEqual([...unionPostings(lists)], union)
        const inter = lists.length === 0 ? [] : [...lists[0]!].filter((x) => sets.every((s) => s.has(x)))
        assert.deepEqual([...intersectPostings(lists)], inter)
        const bs = new Set(b)
        assert.deepEqual([...subtractPostings(Uint32Array.from(union), b)], union.filter((x) => !bs.has(x)))
      }),
    )
  })
})

describe('gap partitioning of byte ranges', () => {
  it('covers every range once and splits only at gaps larger than maxGap', () => {
    const ranges = fc.array(fc.tuple(fc.integer({min: 0, max: 10_000}), fc.integer({min: 1, max: 300})), {maxLength: 40}).map((a) => a.map(([s, l]) => ({start: s, end: s + l})).sort((x, y) => x.start - y.start))
    fc.assert(
      fc.property(ranges, fc.integer({min: 0, max: 500}), (rs, gap) => {
        const parts = partitionRanges(rs, gap)
        let next = 0
        for (const [k, p] of parts.entries()) {
          assert.equal(p.first, next)
          next = p.last + 1
          for (let i = p.first; i <= p.last; i++) assert.ok(rs[i]!.start >= p.start && rs[i]!.end <= p.end)
          if (k > 0) assert.ok(p.start - parts[k - 1]!.end > gap)
        }
        assert.equal(next, rs.length)
      }),
    )
  })
})

describe('regex set matches', () => {
  it('returns exactly the strings the regex matches, when it returns a set', () => {
    const atom = fc.constantFrom('a', 'b', 'ab', '', 'é', '\\.', '\\|', '.', 'x*', '[a]', '(?i)a', '\\d', 'a+', '\\\\')
    const regex = fc.array(atom, {minLength: 1, maxLength: 4}).chain((alts) => fc.constantFrom(alts.join('|'), `(${alts.join('|')})`, `(?:${alts.join('|')})`))
    const candidate = fc.constantFrom('a', 'b', 'ab', '', 'é', '.', '|', 'x', 'xx', 'A', '1', '\\', 'a|b', 'aa')
    let sets = 0
    fc.assert(
      fc.property(regex, fc.array(candidate, {maxLength: 8}), (re, cands) => {
        const set = regexSetMatches(re)
        if (!set) return
        sets++
        const m = new Matcher(MatchType.RE, 'x', re)
        for (const v of [...cands, ...set]) assert.equal(m.matches(v), set.includes(v), `${re} on ${JSON.stringify(v)}`)
      }),
    )
    assert.ok(sets > 10, 'the generator produced set-able regexes')
    assert.deepEqual(regexSetMatches('foo|bar'), ['foo', 'bar'])
    assert.equal(regexSetMatches('fo.'), undefined)
  })
})
