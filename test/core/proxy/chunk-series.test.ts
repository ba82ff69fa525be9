import assert from 'node:assert/strict'
import fc from 'fast-check'
import {labelsFromRecord} from '../../../src/core/labels/labels.js'
import {BoundedChunksIterator, ChunkSeries, type RawChunk} from '../../../src/core/proxy/chunk-series.js'
import {decodeXorChunk, decodeXorInto} from '../../../src/core/chunkenc/xor-decoder.js'
import {encodeXorChunk} from '../chunkenc/reference-xor-encoder.js'
import {encodeXorChunks} from '../../../src/core/chunkenc/xor-encoder.js'
import {STALE_NAN} from '../../../src/core/chunkenc/value.js'
import {PenaltyDedupIterator} from '../../../src/core/dedup/penalty-iterator.js'
import {CounterDedupIterator} from '../../../src/core/dedup/counter-iterator.js'
import {ChainDedupIterator} from '../../../src/core/dedup/chain-iterator.js'

function drain(it: {next(): boolean; atT(): number; at(): number}): Array<[number, number]> {
  const out: Array<[number, number]> = []
  while (it.next()) out.push([it.atT(), it.at()])
  return out
}

function mk(samples: Array<[number, number]>): RawChunk {
  return {minTime: samples[0]![0], maxTime: samples[samples.length - 1]![0], data: encodeXorChunk(samples.map((s) => s[0]), samples.map((s) => s[1]))}
}

describe('XOR chunk decoding', () => {
  it('round-trips timestamps and values, including large jumps, negatives, NaN payloads and infinities', () => {
    const sample = fc.tuple(fc.integer({min: 1, max: 10_000_000}), fc.oneof(fc.double(), fc.integer().map((x) => x * 1.0), fc.constant(Number.NaN)))
    fc.assert(
      fc.property(fc.integer({min: -1e12, max: 2e12}), fc.array(sample, {minLength: 1, maxLength: 200}), (t0, steps) => {
        const ts: number[] = []
        const vs: number[] = []
        let t = t0
        for (const [dt, v] of steps) {
          ts.push(t)
          vs.push(v)
          t += dt
        }
        const got = drain(decodeXorChunk(encodeXorChunk(ts, vs)))
        assert.deepEqual(got.map((s) => s[0]), ts)
        for (let i = 0; i < vs.length; i++) assert.ok(Object.is(got[i]![1], vs[i]) || (Number.isNaN(got[i]![1]) && Number.isNaN(vs[i]!)))
      }),
      {numRuns: 300},
    )
  })

  it('the bulk decoder (decodeXorInto) reads every bucket and value shape exactly as the iterator', () => {
    // dt from 1 ms to 10^10 ms reaches every delta-of-delta bucket (14/17/20/64 bits), values
    // mix integers, doubles, NaN, stale markers and repeats (the "same value" bit).
    const value = fc.oneof(fc.double(), fc.integer().map((x) => x * 1.0), fc.constant(Number.NaN), fc.constant(STALE_NAN), fc.constant(1))
    const dt = fc.oneof(fc.integer({min: 1, max: 20}), fc.integer({min: 1, max: 200_000}), fc.integer({min: 1, max: 10_000_000_000}))
    fc.assert(
      fc.property(fc.integer({min: -1e12, max: 2e12}), fc.array(fc.tuple(dt, value), {minLength: 1, maxLength: 200}), fc.integer({min: -1e12, max: 3e12}), fc.integer({min: 0, max: 3e12}), (t0, steps, qmin, qlen) => {
        const tsIn: number[] = []
        const vsIn: number[] = []
        let t = t0
        for (const [d, v] of steps) {
          tsIn.push(t)
          vsIn.push(v)
          t += d
        }
        const data = encodeXorChunk(tsIn, vsIn)
        const cap = tsIn.length
        const ts = new Float64Array(cap)
        const vs = new Float64Array(cap)
        const st = new Uint8Array(cap)
        const r = decodeXorInto(data, ts, vs, st, 0, qmin, qmin + qlen)
        const n = r < 0 ? ~r : r
        const it = decodeXorChunk(data)
        const want: Array<[number, number, boolean]> = []
        let past = false
        while (it.next()) {
          if (it.atT() < qmin) continue
          if (it.atT() > qmin + qlen) {
            past = true
            break
          }
          want.push([it.atT(), it.at(), it.atStale()])
        }
        assert.equal(r < 0, past)
        assert.equal(n, want.length)
        for (let i = 0; i < n; i++) {
          assert.equal(ts[i], want[i]![0])
          assert.equal(st[i] === 1, want[i]![2])
          assert.ok(Object.is(vs[i], want[i]![1]) || (Number.isNaN(vs[i]!) && Number.isNaN(want[i]![1])))
        }
      }),
      {numRuns: 500},
    )
  })

  it('the bulk decoder rejects truncated chunks and bad varints with a clear error', () => {
    const data = encodeXorChunk([1, 2, 3, 4], [1.5, 2.25, 1e300, -7])
    const buf = () => [new Float64Array(8), new Float64Array(8), new Uint8Array(8)] as const
    assert.throws(() => decodeXorInto(data.subarray(0, data.length - 3), ...buf(), 0, 0, 10), /XOR chunk ends early/)
    assert.throws(() => decodeXorInto(Uint8Array.from([0, 1, ...new Array(12).fill(0xff)]), ...buf(), 0, 0, 10), /malformed varint/)
    assert.throws(() => decodeXorInto(Uint8Array.from([0]), ...buf(), 0, 0, 10), /shorter than its header/)
  })

  it('seek stays put when the current sample qualifies', () => {
    const it = decodeXorChunk(encodeXorChunk([10, 20, 30], [1, 2, 3]))
    assert.equal(it.seek(15), true)
    assert.equal(it.atT(), 20)
    assert.equal(it.seek(20), true)
    assert.equal(it.atT(), 20)
    assert.equal(it.seek(31), false)
  })

  it('rejects truncated data with a clear error', () => {
    const data = encodeXorChunk([1, 2, 3, 4], [1.5, 2.25, 1e300, -7])
    const it = decodeXorChunk(data.subarray(0, data.length - 3))
    assert.throws(() => drain(it), /XOR chunk ends early/)
  })
})

describe('ChunkSeries', () => {
  const c1 = mk([[0, 0], [10, 1], [20, 2], [30, 3]])
  const c2 = mk([[40, 4], [50, 5], [60, 6]])
  const c3 = mk([[70, 7], [80, 8]])
  const ls = labelsFromRecord({a: '1'})

  it('walks chunks in order and bounds to [mint, maxt]', () => {
    assert.deepEqual(drain(new ChunkSeries(ls, [c1, c2, c3], 10, 70, decodeXorChunk).iterator()), [[10, 1], [20, 2], [30, 3], [40, 4], [50, 5], [60, 6], [70, 7]])
    assert.deepEqual(drain(new ChunkSeries(ls, [c1, c2, c3], 35, 45, decodeXorChunk).iterator()), [[40, 4]])
    assert.deepEqual(drain(new ChunkSeries(ls, [c1, c2, c3], 81, 100, decodeXorChunk).iterator()), [])
  })

  it('skips overlapping samples of later chunks (strictly increasing output)', () => {
    const over = mk([[25, 99], [35, 3.5], [45, 99]])
    assert.deepEqual(drain(new BoundedChunksIterator([c1, over, c2], 0, 100, decodeXorChunk)), [[0, 0], [10, 1], [20, 2], [30, 3], [35, 3.5], [45, 99], [50, 5], [60, 6]])
  })

  it('samples(), the engine bulk path, gives exactly what the iterator gives, overlaps and stale markers included', () => {
    const chunkSpec = fc.tuple(fc.integer({min: 0, max: 500}), fc.array(fc.tuple(fc.integer({min: 1, max: 40}), fc.oneof(fc.double({noNaN: true}), fc.constant(STALE_NAN))), {minLength: 1, maxLength: 30}))
    fc.assert(
      fc.property(fc.array(chunkSpec, {minLength: 0, maxLength: 5}), fc.integer({min: -10, max: 800}), fc.integer({min: 0, max: 900}), fc.integer({min: -10, max: 800}), fc.integer({min: 0, max: 900}), (specs, smin, slen, qmin, qlen) => {
        const chunks = specs
          .map(([t0, steps]) => {
            const ts: number[] = []
            const vs: number[] = []
            let t = t0
            for (const [dt, v] of steps) {
              ts.push(t)
              vs.push(v)
              t += dt
            }
            return {minTime: ts[0]!, maxTime: ts[ts.length - 1]!, data: encodeXorChunk(ts, vs)}
          })
          .sort((a, b) => a.minTime - b.minTime || a.maxTime - b.maxTime)
        const series = new ChunkSeries(ls, chunks, smin, smin + slen, decodeXorChunk)
        const it = series.iterator()
        const want: Array<[number, boolean]> = []
        if (it.seek(qmin)) {
          do {
            if (it.atT() > qmin + qlen) break
            want.push([it.atT(), it.atStale!()])
          } while (it.next())
        }
        const b = series.samples(qmin, qmin + qlen)
        assert.deepEqual([...b.ts].map((t, i) => [t, b.stale[i] === 1]), want)
        // values: same bits as the iterator's (stale markers compared above by flag)
        const it2 = series.iterator()
        for (let i = 0; i < b.ts.length; i++) {
          assert.ok(it2.seek(b.ts[i]!))
          if (!b.stale[i]) assert.ok(Object.is(it2.at(), b.vs[i]))
        }
      }),
      {numRuns: 300},
    )
  })

  it('never decodes chunks outside the range, and seek skips whole chunks', () => {
    let decoded = 0
    const counting = (d: Uint8Array) => {
      decoded++
      return decodeXorChunk(d)
    }
    const it = new ChunkSeries(ls, [c1, c2, c3], 45, 1000, counting).iterator()
    assert.equal(it.next(), true)
    assert.equal(it.atT(), 50)
    assert.equal(decoded, 1)
    assert.equal(it.seek(75), true)
    assert.equal(it.atT(), 80)
    assert.equal(decoded, 2)
    assert.equal(it.seek(80), true)
    assert.equal(it.next(), false)
  })
})

describe('stale markers through chunk series and dedup (raw-bit atStale)', () => {
  it('a stale marker in a chunk is reported by every wrapper: bounded chunks, penalty, counter and chain dedup', () => {
    const ls = labelsFromRecord({a: '1'})
    const a = encodeXorChunks([0, 15_000, 30_000], [1, 2, STALE_NAN])
    const b = encodeXorChunks([3_000, 90_000], [1, 5])
    const sa = new ChunkSeries(ls, a, 0, 1e9, decodeXorChunk)
    const sb = new ChunkSeries(ls, b, 0, 1e9, decodeXorChunk)
    const mk = [
      () => sa.iterator(),
      () => new PenaltyDedupIterator([sa.iterator(), sb.iterator()]),
      () => new CounterDedupIterator([sa.iterator(), sb.iterator()]),
      () => new ChainDedupIterator([sa.iterator(), sb.iterator()]),
    ]
    for (const f of mk) {
      const it = f()
      const seen: Array<[number, boolean]> = []
      while (it.next()) seen.push([it.atT(), it.atStale!()])
      assert.deepEqual(seen.filter(([, st]) => st).map(([t]) => t), [30_000], f.toString())
      assert.ok(seen.some(([t, st]) => t === 15_000 && !st))
    }
  })
})
