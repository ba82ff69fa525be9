/**
 * What a replica merge did, for people: which replica served which stretch of a merged series,
 * where the merge switched, and where no replica had data at all ("explain", issue 18).
 *
 * The merges (penalty-iterator.ts, penalty-blocks.ts, chain-iterator.ts) take an optional
 * SpanRecorder and, only when given one, report every sample they emit (`emitted`) and every
 * replica sample that exists in the window (`seen`, emitted or skipped by the penalty). The
 * normal path passes none and pays one untaken branch per emitted sample. finish() derives
 * the rest, so both paths give the same answer as long as they report the same samples.
 *
 * Definitions (all times in ms, all restricted to the window [mint, maxt]):
 * - span: a maximal run of consecutive emitted samples from one replica with no hole inside;
 *   `from`/`to` are its first and last sample, `samples` how many it holds. Between two spans
 *   there is either a hole or the stretch the penalty skipped at a switch (up to about three
 *   scrape intervals with the penalty algorithm, as upstream `pkg/dedup/iter.go`);
 * - interval: the series' typical scrape interval, the median distance between consecutive
 *   samples of the same replica (0 when no replica has two samples in the window);
 * - hole: a stretch longer than the tolerance, 2.5 × interval, in which NO replica has a
 *   sample (skipped samples count as data: the penalty dropping them is not a hole). 2.5 so
 *   that one scrape missed by everyone (a distance of about 2 intervals plus jitter) is not
 *   reported, two in a row are. `from`/`to` are the samples on either side. Only interior
 *   stretches count: a series that starts or ends inside the window has no hole there;
 * - switch: the first sample of a span whose replica differs from the previous span's.
 */

export interface ReplicaSpan {
  /** The merge input's index, or the identity given to finish(). */
  replica: number
  from: number
  to: number
  samples: number
}

export interface DataHole {
  /** Last sample (of any replica) before the hole. */
  from: number
  /** First sample (of any replica) after it. */
  to: number
}

export interface ReplicaSwitch {
  /** First sample of the new replica. */
  at: number
  /** Index in `spans` of the span before and of the one starting at `at`. */
  fromSpan: number
  toSpan: number
}

export interface MergeSpans {
  spans: ReplicaSpan[]
  holes: DataHole[]
  switches: ReplicaSwitch[]
  /** Typical scrape interval (ms), 0 when unknown. */
  interval: number
  /** Holes are longer than this (ms): HOLE_TOLERANCE_INTERVALS × interval. */
  tolerance: number
}

/** A hole is a stretch without any sample longer than this many scrape intervals. */
export const HOLE_TOLERANCE_INTERVALS = 2.5

/** Maps a merge input and a sample time to the identity the spans are reported by. */
export type IdentityOf = (replica: number, t: number) => number

export class SpanRecorder {
  private et: Float64Array = new Float64Array(256)
  private er: Int32Array = new Int32Array(256)
  private en = 0
  /** Seen sample times per replica, each in time order (so finish() merges instead of sorting). */
  private readonly st: Float64Array[]
  private readonly sn: Int32Array

  constructor(
    replicas: number,
    readonly mint: number,
    readonly maxt: number,
  ) {
    this.st = Array.from({length: replicas}, () => new Float64Array(64))
    this.sn = new Int32Array(replicas)
  }

  /** A sample the merge emitted, from input `replica`; calls come in time order. */
  emitted(replica: number, t: number): void {
    if (t < this.mint || t > this.maxt) return
    if (this.en === this.et.length) {
      this.et = grow(this.et)
      this.er = growInt(this.er)
    }
    this.et[this.en] = t
    this.er[this.en++] = replica
  }

  /** A sample that exists in input `replica`; each once, in time order per replica. */
  seen(replica: number, t: number): void {
    if (t < this.mint || t > this.maxt) return
    let a = this.st[replica]!
    const n = this.sn[replica]!
    if (n === a.length) this.st[replica] = a = grow(a)
    a[n] = t
    this.sn[replica] = n + 1
  }

  /** Every sample of input `replica` at once (the bulk path has them in an array). */
  seenAll(replica: number, ts: Float64Array): void {
    let lo = 0
    while (lo < ts.length && ts[lo]! < this.mint) lo++
    let hi = ts.length
    while (hi > lo && ts[hi - 1]! > this.maxt) hi--
    const n = this.sn[replica]!
    let a = this.st[replica]!
    if (n + hi - lo > a.length) {
      const b = new Float64Array(Math.max(2 * a.length, n + hi - lo))
      b.set(a.subarray(0, n))
      this.st[replica] = a = b
    }
    a.set(ts.subarray(lo, hi), n)
    this.sn[replica] = n + hi - lo
  }

  /** The spans, by merge input or, with `identify`, by the identity it gives each sample. */
  finish(identify?: IdentityOf): MergeSpans {
    const seen = this.st.map((a, i) => a.subarray(0, this.sn[i]!))
    const interval = typicalInterval(seen)
    const tolerance = HOLE_TOLERANCE_INTERVALS * interval
    const holes = interval > 0 ? findHoles(seen, tolerance) : []
    const spans: ReplicaSpan[] = []
    const switches: ReplicaSwitch[] = []
    let h = 0
    let cur: ReplicaSpan | undefined
    for (let i = 0; i < this.en; i++) {
      const t = this.et[i]!
      const id = identify ? identify(this.er[i]!, t) : this.er[i]!
      let split = cur === undefined || cur.replica !== id
      // a hole between the previous emitted sample and this one ends the span
      while (h < holes.length && holes[h]!.to <= t) {
        if (cur !== undefined && holes[h]!.from >= cur.to) split = true
        h++
      }
      if (!split) {
        cur!.to = t
        cur!.samples++
        continue
      }
      if (cur !== undefined && cur.replica !== id) switches.push({at: t, fromSpan: spans.length - 1, toSpan: spans.length})
      cur = {replica: id, from: t, to: t, samples: 1}
      spans.push(cur)
    }
    return {spans, holes, switches, interval, tolerance}
  }
}

/** The median distance between consecutive samples of the same replica (0 when there is none). */
function typicalInterval(seen: readonly Float64Array[]): number {
  let n = 0
  for (const ts of seen) n += Math.max(0, ts.length - 1)
  const d = new Float64Array(n)
  let k = 0
  for (const ts of seen) for (let i = 1; i < ts.length; i++) if (ts[i]! > ts[i - 1]!) d[k++] = ts[i]! - ts[i - 1]!
  return k === 0 ? 0 : select(d.subarray(0, k), k >> 1)
}

/** The k-th smallest value (quickselect, in place; O(n) where sorting would be O(n log n)). */
function select(a: Float64Array, k: number): number {
  let lo = 0
  let hi = a.length - 1
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!
    let i = lo
    let j = hi
    while (i <= j) {
      while (a[i]! < pivot) i++
      while (a[j]! > pivot) j--
      if (i <= j) {
        const x = a[i]!
        a[i++] = a[j]!
        a[j--] = x
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return a[k]!
  }
  return a[k]!
}

/** Stretches longer than `tolerance` without a sample of any replica (a merge of the sorted lists). */
function findHoles(seen: readonly Float64Array[], tolerance: number): DataHole[] {
  const out: DataHole[] = []
  const idx = new Int32Array(seen.length)
  let last = Number.NaN
  for (;;) {
    let best = -1
    let bestT = Number.POSITIVE_INFINITY
    for (let r = 0; r < seen.length; r++) {
      const j = idx[r]!
      if (j < seen[r]!.length && seen[r]![j]! < bestT) {
        bestT = seen[r]![j]!
        best = r
      }
    }
    if (best < 0) return out
    idx[best]!++
    if (bestT - last > tolerance) out.push({from: last, to: bestT})
    last = bestT
  }
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2)
  b.set(a)
  return b
}

function growInt(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length * 2)
  b.set(a)
  return b
}
