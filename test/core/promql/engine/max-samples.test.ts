import assert from 'node:assert/strict'
import {labelsFromRecord, type Labels} from '../../../../src/core/labels/labels.js'
import {BadDataError, ExecutionError, TimeoutError} from '../../../../src/core/errors.js'
import {BlockIterator} from '../../../../src/core/promql/block-iterator.js'
import {Engine} from '../../../../src/core/promql/engine/engine.js'
import {MemoryQueryable} from '../../../../src/core/promql/memory-queryable.js'
import type {Querier, Queryable, SampleIterator, Series} from '../../../../src/core/promql/queryable.js'

const TOO_MANY = 'query processing would load too many samples into memory in query execution'

function isTooMany(e: unknown): boolean {
  return e instanceof ExecutionError && e.message === TOO_MANY
}

/** n series x{s="k"} with a sample every `step` ms from 0 for `count` samples. */
function dense(n: number, count: number, step: number): MemoryQueryable {
  const q = new MemoryQueryable()
  for (let k = 0; k < n; k++) {
    q.add(
      labelsFromRecord({__name__: 'x', s: String(k)}),
      Float64Array.from({length: count}, (_, i) => i * step),
      Float64Array.from({length: count}, (_, i) => i),
    )
  }
  return q
}

/** One series whose iterator counts how many samples were pulled from it. */
class CountingQueryable implements Queryable {
  pulled = 0
  constructor(
    private readonly labels: Labels,
    private readonly ts: Float64Array,
  ) {}

  querier(): Querier {
    const self = this
    const series: Series = {
      labels: this.labels,
      iterator(): SampleIterator {
        const inner = new BlockIterator(self.ts, self.ts)
        return {
          next: () => {
            self.pulled++
            return inner.next()
          },
          seek: (t) => inner.seek(t),
          atT: () => inner.atT(),
          at: () => inner.at(),
        }
      },
    }
    return {
      select: async () => ({series: [series], warnings: []}),
      labelNames: async () => ({names: [], warnings: []}),
      labelValues: async () => ({values: [], warnings: []}),
    }
  }
}

describe('engine: max samples (--query.max-samples)', function () {
  it('refuses a[1y:1ms] (3e10 steps) at once, with Prometheus\'s error, before allocating for it', async () => {
    const engine = new Engine()
    const q = dense(1, 10, 15_000)
    for (const query of ['x[1y:1ms]', 'max_over_time(x[1y:1ms])', 'vector(1)[1y:1ms]']) {
      const t0 = performance.now()
      await assert.rejects(engine.instantQuery(q, query, 100_000), isTooMany, query)
      assert.ok(performance.now() - t0 < 1000, `${query} took ${performance.now() - t0} ms`)
    }
  })

  it('refuses a subquery whose points exceed max samples, as Prometheus counts them', async () => {
    const engine = new Engine({maxSamples: 1000})
    const q = dense(5, 1000, 1000)
    // 600 steps fit, but 5 dense series give 3000 points
    await assert.rejects(engine.instantQuery(q, 'max_over_time(x[10m:1s])', 1_000_000), isTooMany)
    // one such series (600 points, then its window of 600 beside them) does not either
    await assert.rejects(engine.instantQuery(dense(1, 1000, 1000), 'max_over_time(x[10m:1s])', 1_000_000), isTooMany)
    // 400 points and a window of 400 do (engine.go holds the subquery's points while the function reads them)
    const res = await engine.instantQuery(dense(1, 1000, 1000), 'max_over_time(x[400s:1s])', 1_000_000)
    assert.equal(res.value.type === 'vector' && res.value.samples.length, 1)
    assert.equal(res.stats?.samples.peakSamples, 801)
  })

  it('refuses a range query with more steps than it can allocate, before allocating them', async () => {
    const engine = new Engine({maxSamples: 1_000_000})
    const q = dense(1, 10, 15_000)
    await assert.rejects(engine.rangeQuery(q, 'x', 0, 1e12, 1), isTooMany)
    // and one whose series give too many points
    await assert.rejects(new Engine({maxSamples: 500}).rangeQuery(dense(3, 100, 15_000), 'x', 0, 1_500_000, 5_000), isTooMany)
  })

  it('evaluates a subquery of more steps than max samples over sparse data, as Prometheus answers it', async () => {
    // 8760 steps, but an hour of data: few steps find a sample
    const q = dense(3, 240, 15_000)
    const res = await new Engine({maxSamples: 100}).instantQuery(q, 'x[1y:1h]', 3_600_000)
    assert.equal(res.value.type === 'matrix' && res.value.series.length, 3)
    // two steps (0 and 1h) of each series find a sample
    assert.equal(res.stats?.samples.peakSamples, 6)
    // and a range query of more steps than max samples over nothing
    const empty = await new Engine({maxSamples: 100}).rangeQuery(q, 'nope', 0, 1_000_000, 1000)
    assert.deepEqual(empty.value, {type: 'matrix', series: []})
  })

  it('stops at the query timeout between series of a long evaluation, instead of blocking the process', async () => {
    // 2.6e6 subquery steps for each of 40 series: each takes a while; the timer cannot fire meanwhile
    const q = dense(40, 240, 15_000)
    await assert.rejects(new Engine({timeout: 20}).instantQuery(q, 'count_over_time(x[30d:1s])', 3_600_000), (e) => e instanceof TimeoutError)
  })

  it('refuses ranges beyond Go\'s durations at parse time, with Prometheus\'s errors', async () => {
    const engine = new Engine()
    const q = dense(1, 10, 15_000)
    for (const [query, message] of [
      ['rate(x[300y])', '1:8: parse error: duration out of range'],
      ['x[1e10]', '1:3: parse error: duration out of range'],
      ['x offset 293y', '1:10: parse error: duration out of range'],
      ['x[5m:0s]', '1:6: parse error: duration must be greater than 0'],
      ['x[0]', '1:3: parse error: duration must be greater than 0'],
    ]) {
      await assert.rejects(engine.instantQuery(q, query!, 100_000), (e) => e instanceof BadDataError && e.message === message, query)
    }
    // 292y still fits
    await engine.instantQuery(q, 'rate(x[292y])', 100_000)
  })

  it('stops decoding a range selector\'s series once it exceeds max samples', async () => {
    const ts = Float64Array.from({length: 100_000}, (_, i) => i * 1000)
    const q = new CountingQueryable(labelsFromRecord({__name__: 'y'}), ts)
    const engine = new Engine({maxSamples: 1000})
    await assert.rejects(engine.instantQuery(q, 'count_over_time(y[1y])', 100_000_000), isTooMany)
    assert.ok(q.pulled <= 1002, `pulled ${q.pulled} samples`)
  })

  // Unlike Prometheus, which holds one window at a time, a series' raw samples over the whole
  // query range are decoded at once (step-batched evaluation): what is checked is that one
  // series' samples fit beside what the query holds.
  it('counts raw samples only while their series is processed: a long rate() range query is no false refusal', async () => {
    // 20 series x 2000 samples = 40000 raw samples, 10x max samples; the result holds 20 x 51 points
    const q = dense(20, 2000, 15_000)
    const engine = new Engine({maxSamples: 4000})
    const res = await engine.rangeQuery(q, 'sum(rate(x[5m]))', 600_000, 30_000_000 - 600_000, 574_800)
    assert.equal(res.value.type, 'matrix')
    if (res.value.type === 'matrix') assert.equal(res.value.series[0]!.ts.length, 51)
    // a series whose 2000 samples in range alone exceed max samples is refused
    await assert.rejects(new Engine({maxSamples: 1500}).instantQuery(q, 'count_over_time(x[10h])', 30_000_000), isTooMany)
  })
})
