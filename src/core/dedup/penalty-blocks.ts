/**
 * The penalty merge (penalty-iterator.ts, and counter-iterator.ts's counter adjustment) over
 * replicas already decoded into typed arrays: the engine's bulk path. The choices are the
 * iterators', rule for rule (the property test in dedup-series-set.test.ts holds the two
 * against each other); what changes is the cost. Walking the iterators took several virtual
 * calls per sample and replica, which made the merge the querier's largest cost for
 * deduplicated long ranges; here each step is index arithmetic on the arrays.
 */
import type {FloatHistogram} from '../histogram/float-histogram.js'
import type {SampleBlock} from '../promql/queryable.js'
import {afterSwitch} from './histogram-hint.js'
import {INITIAL_PENALTY_MS} from './penalty-iterator.js'
import type {SpanRecorder} from './spans.js'

export interface PenaltyBlockOptions {
  /** `penalty-fill` (see PenaltyOptions.fill). */
  fill: boolean
  /** Counter-aware output (CounterDedupIterator): replica switches never fake a reset. */
  counter: boolean
  /** Explain (spans.ts), off by default: the same reports as the iterator's recorder. */
  recorder?: SpanRecorder
}

/**
 * Merges the replicas from their first samples and returns the merged samples in [mint, maxt]
 * (the merge's state before mint shapes what comes after, as with a walked iterator).
 */
export function mergePenaltyBlocks(blocks: readonly SampleBlock[], opts: PenaltyBlockOptions, mint: number, maxt: number): SampleBlock {
  let cap = 0
  for (const b of blocks) cap += b.ts.length
  const out: SampleBlock = {ts: new Float64Array(cap), vs: new Float64Array(cap), stale: new Uint8Array(cap)}
  const rec = opts.recorder
  // Every replica sample in the arrays is passed or emitted by the loop: report them up front.
  if (rec) for (let i = 0; i < blocks.length; i++) rec.seenAll(i, blocks[i]!.ts)
  // native histograms: a side array only when some replica has one (histogram-hint.ts)
  if (blocks.some((b) => b.hs !== undefined)) out.hs = []
  const m = mergeInto(blocks, opts.fill, opts.counter, mint, maxt, out, rec)
  const res: SampleBlock = {ts: out.ts.subarray(0, m), vs: out.vs.subarray(0, m), stale: out.stale.subarray(0, m)}
  if (out.hs) {
    out.hs.length = m
    res.hs = out.hs
  }
  return res
}

// The loop alone, returning how many samples it wrote: V8 optimises it while it runs (on-stack
// replacement), and code first reached after the loop (building the result) would throw that
// away on every call, leaving each merge to run mostly unoptimised.
function mergeInto(blocks: readonly SampleBlock[], fill: boolean, counter: boolean, mint: number, maxt: number, out: SampleBlock, rec: SpanRecorder | undefined): number {
  const n = blocks.length
  const tsOf = blocks.map((b) => b.ts)
  const vsOf = blocks.map((b) => b.vs)
  const outTs = out.ts
  const outVs = out.vs
  const outStale = out.stale
  const outHs: (FloatHistogram | undefined)[] | undefined = out.hs
  let m = 0

  const idx = new Int32Array(n) // each replica's current sample
  const penalty = new Float64Array(n)
  // Counter state per replica (CounterReplicaCursor): the last non-NaN value before the
  // current sample, and the latest time the replica's own series went down.
  const prev = new Float64Array(n).fill(Number.NaN)
  const lastDropT = new Float64Array(n).fill(Number.NEGATIVE_INFINITY)
  const offsets = new Float64Array(n)
  let lastOut = Number.NaN
  let lastOutT = Number.NEGATIVE_INFINITY

  let lastT = Number.NEGATIVE_INFINITY
  let gap = 0
  let cur = -1
  for (;;) {
    let best = -1
    let bestT = Number.POSITIVE_INFINITY
    for (let i = 0; i < n; i++) {
      const ts = tsOf[i]!
      const vs = vsOf[i]!
      let j = idx[i]!
      if (j >= ts.length) continue
      const target = lastT + 1 + penalty[i]!
      while (j < ts.length && ts[j]! < target) {
        // stepping past sample j onto j + 1, as CounterReplicaCursor.next() does
        const v = vs[j]!
        if (v === v) prev[i] = v
        j++
        if (j < ts.length && vs[j]! < prev[i]!) lastDropT[i] = ts[j]!
      }
      idx[i] = j
      if (j >= ts.length) continue
      if (ts[j]! < bestT) {
        bestT = ts[j]!
        best = i
      }
    }
    if (best < 0) break
    if (fill && gap > 0 && cur >= 0) {
      const c = tsOf[cur]!
      const j = idx[cur]!
      if (j < c.length && c[j]! <= lastT + 2 * gap) {
        best = cur
        bestT = c[j]!
      }
    }
    const known = lastT !== Number.NEGATIVE_INFINITY
    if (known) gap = bestT - lastT
    const pen = !known ? INITIAL_PENALTY_MS : fill ? Math.floor(gap / 2) : 2 * gap
    for (let i = 0; i < n; i++) penalty[i] = i === best ? 0 : pen
    const switched = cur >= 0 && cur !== best
    cur = best
    lastT = bestT
    if (bestT > maxt) break
    if (rec !== undefined) rec.emitted(best, bestT)

    const b = blocks[best]!
    const j = idx[best]!
    const raw = b.vs[j]!
    let value = raw
    let stale = b.stale[j]!
    if (counter && raw === raw) {
      // CounterDedupIterator.chose: a reset of the replica's own series since the last output
      // is real; a switch to a lower replica holds the level instead of faking a reset.
      if (lastDropT[best]! > lastOutT) {
        offsets[best] = 0
        value = raw
      } else {
        value = raw + offsets[best]!
        if (value < lastOut) {
          offsets[best] = lastOut - raw
          value = lastOut
        }
      }
      lastOut = value
      lastOutT = bestT
      stale = 0
    }
    if (bestT >= mint) {
      outTs[m] = bestT
      outVs[m] = value
      outStale[m] = stale
      if (outHs !== undefined) outHs[m] = afterSwitch(b.hs?.[j], switched)
      m++
    }
  }
  return m
}
