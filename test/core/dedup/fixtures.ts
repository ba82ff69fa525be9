/**
 * Small array-backed series for dedup tests, and a reference implementation of Prometheus 3's
 * extrapolated rate (promql/functions.go extrapolatedRate: left-open window, counter resets,
 * zero-clamp and the 1.1×average extrapolation threshold) to check what dedup does to rate().
 */
import type {Labels} from '../../../src/core/labels/labels.js'
import type {SampleIterator, Series} from '../../../src/core/promql/queryable.js'

export class ArrayIterator implements SampleIterator {
  private i = -1
  constructor(
    private readonly ts: readonly number[],
    private readonly vs: readonly number[],
  ) {}
  next(): boolean {
    if (this.i < this.ts.length) this.i++
    return this.i < this.ts.length
  }
  seek(t: number): boolean {
    if (this.i < 0) this.i = 0
    while (this.i < this.ts.length && this.ts[this.i]! < t) this.i++
    return this.i < this.ts.length
  }
  atT(): number {
    return this.ts[this.i]!
  }
  at(): number {
    return this.vs[this.i]!
  }
}

export class ArraySeries implements Series {
  constructor(
    readonly labels: Labels,
    readonly ts: number[],
    readonly vs: number[],
  ) {}
  iterator(): SampleIterator {
    return new ArrayIterator(this.ts, this.vs)
  }
}

export function series(labels: Labels, samples: Array<[number, number]>): ArraySeries {
  return new ArraySeries(labels, samples.map((s) => s[0]), samples.map((s) => s[1]))
}

export function drain(it: SampleIterator): Array<[number, number]> {
  const out: Array<[number, number]> = []
  while (it.next()) out.push([it.atT(), it.at()])
  return out
}

const STALE_BITS = 0x7ff0000000000002n
export function staleNaN(): number {
  const dv = new DataView(new ArrayBuffer(8))
  dv.setBigUint64(0, STALE_BITS)
  return dv.getFloat64(0)
}
/** Stale marker check on the payload: V8 may set the quiet bit (0x0008...) when moving a NaN. */
export function isStaleNaN(v: number): boolean {
  const dv = new DataView(new ArrayBuffer(8))
  dv.setFloat64(0, v)
  return (dv.getBigUint64(0) & ~0x0008000000000000n) === STALE_BITS
}

/** Prometheus 3 rate()/increase() over (end-range, end]; undefined when fewer than 2 samples. */
export function promRate(samples: ReadonlyArray<[number, number]>, end: number, range: number, isRate = true): number | undefined {
  const start = end - range
  const w = samples.filter(([t, v]) => t > start && t <= end && !Number.isNaN(v))
  if (w.length < 2) return undefined
  const [firstT, firstV] = w[0]!
  const [lastT, lastV] = w[w.length - 1]!
  let result = lastV - firstV
  for (let i = 1; i < w.length; i++) if (w[i]![1] < w[i - 1]![1]) result += w[i - 1]![1]
  const sampled = (lastT - firstT) / 1000
  const avg = sampled / (w.length - 1)
  let toStart = (firstT - start) / 1000
  let toEnd = (end - lastT) / 1000
  if (result > 0 && firstV >= 0) {
    const toZero = sampled * (firstV / result)
    if (toZero < toStart) toStart = toZero
  }
  const threshold = avg * 1.1
  if (toStart >= threshold) toStart = avg / 2
  if (toEnd >= threshold) toEnd = avg / 2
  let factor = (sampled + toStart + toEnd) / sampled
  if (isRate) factor /= range / 1000
  return result * factor
}

/** Prometheus resets(): number of decreases, stale markers skipped. */
export function promResets(samples: ReadonlyArray<[number, number]>): number {
  const w = samples.filter(([, v]) => !Number.isNaN(v))
  let n = 0
  for (let i = 1; i < w.length; i++) if (w[i]![1] < w[i - 1]![1]) n++
  return n
}
