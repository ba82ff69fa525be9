import assert from 'node:assert/strict'
import {labelsFromRecord} from '../../../../src/core/labels/labels.js'
import type {Matcher} from '../../../../src/core/labels/matcher.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'
import type {Querier, Queryable, SelectHints, SeriesSet} from '../../../../src/core/promql/queryable.js'

/**
 * A queryable with store-like latency: every select answers after `delayMs`, and the log says
 * what was asked and how many selects were in flight when it started.
 */
class SlowQueryable implements Queryable {
  readonly log: {matchers: string; hints: SelectHints; inFlight: number}[] = []
  private inFlight = 0
  constructor(
    private readonly inner: Queryable,
    private readonly delayMs: number,
  ) {}
  querier(mint: number, maxt: number): Querier {
    const q = this.inner.querier(mint, maxt)
    return {
      select: async (matchers: readonly Matcher[], hints: SelectHints, signal?: AbortSignal): Promise<SeriesSet> => {
        this.log.push({matchers: matchers.map((m) => m.toString()).join(','), hints, inFlight: ++this.inFlight})
        try {
          await new Promise((r) => setTimeout(r, this.delayMs))
          return await q.select(matchers, hints, signal)
        } finally {
          this.inFlight--
        }
      },
      labelNames: (m, h, s) => q.labelNames(m, h, s),
      labelValues: (n, m, h, s) => q.labelValues(n, m, h, s),
    }
  }
}

function data(): MemoryQueryable {
  const q = new MemoryQueryable()
  const ts = Array.from({length: 200}, (_, i) => i * 15_000)
  for (const name of ['a', 'b', 'c']) for (const inst of ['x', 'y']) q.add(labelsFromRecord({__name__: name, inst}), ts, ts.map((t, i) => i * (name === 'a' ? 2 : 3) + (inst === 'x' ? 0 : 1)))
  return q
}

describe('engine: selections start together (prefetch)', () => {
  const engine = new Engine({timeout: 10_000})
  const T = 2_900_000

  for (const [expr, selects] of [
    ['a / b', 2],
    ['rate(a[5m]) / on (inst) b offset 1m + c @ 1000', 3],
    ['sum by (inst) (rate((a[2m]))) > bool 0', 1],
    ['histogram_quantile(0.9, rate(b[5m])) or absent(c)', 2],
  ] as const) {
    it(`${expr}: every selector is selected once, all before the first answer, with the same answer as without latency`, async () => {
      const slow = new SlowQueryable(data(), 30)
      const got = await engine.rangeQuery(slow, expr, T - 600_000, T, 60_000)
      const want = await engine.rangeQuery(data(), expr, T - 600_000, T, 60_000)
      assert.deepEqual(got.value, want.value)
      assert.equal(slow.log.length, selects, JSON.stringify(slow.log))
      assert.equal(Math.max(...slow.log.map((l) => l.inFlight)), selects, 'all selections were in flight at once')
    })
  }

  it('passes the range function on as a hint, also through parentheses', async () => {
    const slow = new SlowQueryable(data(), 1)
    await engine.instantQuery(slow, 'increase((a[5m])) + max_over_time(b[10m])', T)
    assert.deepEqual(slow.log.map((l) => [l.hints.func, l.hints.range]).sort(), [['increase', 300_000], ['max_over_time', 600_000]])
  })

  it('leaves selectors under a subquery to evaluation (other evaluation times): still one select each', async () => {
    const slow = new SlowQueryable(data(), 5)
    const got = await engine.instantQuery(slow, 'max_over_time(rate(a[2m])[10m:1m]) + b', T)
    const want = await engine.instantQuery(data(), 'max_over_time(rate(a[2m])[10m:1m]) + b', T)
    assert.deepEqual(got.value, want.value)
    assert.equal(slow.log.length, 2)
  })

  it('a failing selection fails the query, and one evaluation never reached rejects nothing unhandled', async () => {
    const failing: Queryable = {
      querier: () => ({
        select: async (m) => {
          if (m.some((x) => x.value === 'b')) throw new Error('store b failed')
          return {series: [], warnings: []}
        },
        labelNames: async () => ({names: [], warnings: []}),
        labelValues: async () => ({values: [], warnings: []}),
      }),
    }
    let unhandled: unknown
    const onUnhandled = (e: unknown): void => {
      unhandled = e
    }
    process.on('unhandledRejection', onUnhandled)
    try {
      await assert.rejects(engine.instantQuery(failing, 'b + a', T), /store b failed/)
      // `a` was prefetched but evaluation stopped at `b`; and vice versa here:
      await assert.rejects(engine.instantQuery(failing, 'a + b', T), /store b failed/)
      await new Promise((r) => setTimeout(r, 20))
      assert.equal(unhandled, undefined)
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})
