/**
 * A SampleIterator over samples already in typed arrays: the memory queryable's series, and
 * replicas decoded in bulk before a dedup merge walks them (each next() is an index bump,
 * where walking XOR chunks sample by sample decodes bits on every call).
 */
import {isStaleNaN} from '../chunkenc/value.js'
import type {FloatHistogram} from '../histogram/float-histogram.js'
import type {SampleBlock, SampleIterator} from './queryable.js'

export class BlockIterator implements SampleIterator {
  protected i = -1

  constructor(
    private readonly ts: Float64Array,
    private readonly vs: Float64Array,
    /** Stale flags out of band; without them staleness is read from the value bits. */
    private readonly stale?: Uint8Array,
  ) {}

  next(): boolean {
    return ++this.i < this.ts.length
  }

  seek(t: number): boolean {
    if (this.i < 0) this.i = 0
    const ts = this.ts
    while (this.i < ts.length && ts[this.i]! < t) this.i++
    return this.i < ts.length
  }

  atT(): number {
    return this.ts[this.i]!
  }

  at(): number {
    return this.vs[this.i]!
  }

  atStale(): boolean {
    return this.stale ? this.stale[this.i] === 1 : isStaleNaN(this.vs[this.i]!)
  }
}

/**
 * A BlockIterator whose samples carry start timestamps. A subclass rather than an optional
 * array in BlockIterator, so that `atST` exists only where there are STs (see SampleIterator).
 */
export class StBlockIterator extends BlockIterator {
  constructor(
    ts: Float64Array,
    vs: Float64Array,
    stale: Uint8Array | undefined,
    private readonly st: Float64Array,
  ) {
    super(ts, vs, stale)
  }

  atST(): number {
    return this.st[this.i]!
  }
}

/**
 * A BlockIterator over a block with native histograms (SampleBlock.hs), start timestamps
 * optional: only series that hold histograms get the atHistogram side channel.
 */
export class HistBlockIterator extends BlockIterator {
  declare atST?: () => number

  constructor(
    ts: Float64Array,
    vs: Float64Array,
    stale: Uint8Array | undefined,
    private readonly hs: readonly (FloatHistogram | undefined)[],
    st?: Float64Array,
  ) {
    super(ts, vs, stale)
    if (st) this.atST = () => st[this.i]!
  }

  atHistogram(): FloatHistogram | undefined {
    return this.hs[this.i]
  }
}

/** The iterator for a block: histograms and start timestamps only when the block has them. */
export function blockIterator(b: {ts: Float64Array; vs: Float64Array; stale?: Uint8Array; st?: Float64Array; hs?: readonly (FloatHistogram | undefined)[]}): BlockIterator {
  if (b.hs) return new HistBlockIterator(b.ts, b.vs, b.stale, b.hs, b.st)
  return b.st ? new StBlockIterator(b.ts, b.vs, b.stale, b.st) : new BlockIterator(b.ts, b.vs, b.stale)
}

/**
 * Walks an iterator from mint to maxt into typed arrays (`cap` is a first size; they grow).
 * With `limit`, stops once it holds limit + 1 samples: a caller that may hold no more than
 * `limit` sees the excess without the arrays growing further.
 */
export function iteratorToBlock(it: SampleIterator, mint: number, maxt: number, cap: number, limit = Infinity): SampleBlock {
  let ts = new Float64Array(Math.max(Math.min(cap, limit + 1), 1))
  let vs = new Float64Array(ts.length)
  let stale = new Uint8Array(ts.length)
  // start timestamps only when the iterator has them (decided once, not per sample)
  let st = it.atST ? new Float64Array(ts.length) : undefined
  // histograms: the side array is made at the first histogram sample, not before
  const withHist = it.atHistogram !== undefined
  let hs: (FloatHistogram | undefined)[] | undefined
  let n = 0
  if (it.seek(mint)) {
    do {
      const t = it.atT()
      if (t > maxt || n > limit) break
      if (n === ts.length) {
        ts = grow(ts, new Float64Array(n * 2))
        vs = grow(vs, new Float64Array(n * 2))
        stale = grow(stale, new Uint8Array(n * 2))
        if (st) st = grow(st, new Float64Array(n * 2))
      }
      ts[n] = t
      vs[n] = it.at()
      stale[n] = (it.atStale ? it.atStale() : isStaleNaN(it.at())) ? 1 : 0
      if (st) st[n] = it.atST!()
      if (withHist) {
        const h = it.atHistogram!()
        if (h !== undefined) (hs ??= [])[n] = h
      }
      n++
    } while (it.next())
  }
  const block: SampleBlock = {ts: ts.subarray(0, n), vs: vs.subarray(0, n), stale: stale.subarray(0, n)}
  if (st) block.st = st.subarray(0, n)
  if (hs) {
    hs.length = n
    block.hs = hs
  }
  return block
}

function grow<A extends Float64Array | Uint8Array>(from: A, to: A): A {
  to.set(from)
  return to
}
