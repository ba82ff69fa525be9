/**
 * Annotations where the differential test against Prometheus 3 (test/interop/annotations.test.ts)
 * cannot reach: start-time overlaps (a backfilled Prometheus stores no start times), a query given
 * parsed without its text, positions past multi-byte characters and newlines. Over the engine and
 * an in-memory queryable with data the test builds; what it expects is derived from that data.
 */
import assert from 'node:assert/strict'
import {labelsFromRecord} from '../../../../src/core/labels/labels.js'
import {Annotations, goQuote, startPosInput, invalidQuantileWarning} from '../../../../src/core/promql/engine/annotations.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'
import {parseExpr} from '../../../../src/core/promql/parser/parser.js'

const MIN = 60_000

describe('promql/engine annotations', () => {
  const engine = new Engine()
  const q = new MemoryQueryable()
  // a counter every minute from 0 to 20m whose start time, from 10m on, lies 2m back: before
  // the previous sample, an overlap at every sample from there
  const ts = Array.from({length: 21}, (_, i) => i * MIN)
  const overlapFrom = 10 * MIN
  q.add(
    labelsFromRecord({__name__: 'jobs_total', kind: 'overlap'}),
    ts,
    ts.map((t) => t / 1000),
    undefined,
    ts.map((t) => (t >= overlapFrom ? t - 2 * MIN : 1)),
  )
  q.add(labelsFromRecord({__name__: 'temp', room: 'a'}), ts, ts.map((_, i) => 20 + (i % 3)))

  it('counts start-time overlaps per window, printing "(N occurrences)" past one', async () => {
    const query = 'rate(jobs_total[3m])'
    const start = 12 * MIN
    const end = 20 * MIN
    const step = MIN
    const res = await engine.rangeQuery(q, query, start, end, step)
    // windows (t-3m, t] whose consecutive samples include one with an overlapping start time
    let windows = 0
    for (let t = start; t <= end; t += step) {
      const inWindow = ts.filter((x) => x > t - 3 * MIN && x <= t)
      if (inWindow.slice(1).some((x) => x >= overlapFrom)) windows++
    }
    assert.ok(windows > 1)
    assert.deepEqual(res.warnings, [`PromQL warning: sample has start time that overlaps with previous sample timestamp for metric "jobs_total" (${windows} occurrences) (1:6)`])
    const one = await engine.instantQuery(q, query, 12 * MIN)
    assert.deepEqual(one.warnings, ['PromQL warning: sample has start time that overlaps with previous sample timestamp for metric "jobs_total" (1:6)'])
    // the unformatted text, as promqltest compares it, has neither count nor position
    assert.deepEqual(
      res.annotations?.map((a) => a.text),
      ['PromQL warning: sample has start time that overlaps with previous sample timestamp for metric "jobs_total"'],
    )
  })

  it('without the query text, prints no position (as Prometheus with an empty query)', async () => {
    const expr = parseExpr('quantile(2, temp)')
    const bare = await engine.instantQuery(q, expr, 5 * MIN)
    assert.deepEqual(bare.warnings, ['PromQL warning: quantile value should be between 0 and 1, got 2'])
    const withText = await engine.instantQuery(q, expr, 5 * MIN, {query: 'quantile(2, temp)'})
    assert.deepEqual(withText.warnings, ['PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)'])
  })

  it('positions count lines and UTF-8 bytes of the line, as posrange.StartPosInput', async () => {
    const query = 'sum(temp{room!="ü€"}) +\n  quantile(3, temp)'
    const res = await engine.instantQuery(q, query, 5 * MIN)
    assert.deepEqual(res.warnings, ['PromQL warning: quantile value should be between 0 and 1, got 3 (2:12)'])
    const line = 'x{a="€"} + quantile(2, y)'
    const col = Buffer.byteLength(line.slice(0, line.indexOf('2')), 'utf8') + 1
    assert.equal(startPosInput(line, {start: line.indexOf('2'), end: line.indexOf('2') + 1}), `1:${col}`)
    assert.equal(startPosInput(line, {start: line.length + 1, end: line.length + 1}), 'invalid position')
    assert.equal(startPosInput('', {start: 0, end: 0}), 'unknown position')
  })

  it('is a set by text: a repeat replaces the first, and the cap counts what it leaves out', () => {
    const a = new Annotations()
    a.add(invalidQuantileWarning(2, {start: 0, end: 1}))
    a.add(invalidQuantileWarning(2, {start: 5, end: 6}))
    assert.equal(a.size, 1)
    assert.deepEqual(a.strings('abcdefg').warnings, ['PromQL warning: quantile value should be between 0 and 1, got 2 (1:6)'])
    for (let k = 3; k < 15; k++) a.add(invalidQuantileWarning(k, {start: 0, end: 1}))
    const {warnings} = a.strings('q', 10)
    assert.equal(warnings.length, 11)
    assert.equal(warnings[10], `${a.size - 10} more warning annotations omitted`)
    assert.equal(a.strings('q', 0).warnings.length, a.size)
  })

  it("quotes as Go's %q: \\a, \\v and DEL escaped Go's way", () => {
    assert.equal(goQuote('a"b\\c\n\t'), '"a\\"b\\\\c\\n\\t"')
    assert.equal(goQuote('\x07\x0b\x7f\x01'), '"\\a\\v\\x7f\\x01"')
    assert.equal(goQuote('äöü'), '"äöü"')
  })
})
