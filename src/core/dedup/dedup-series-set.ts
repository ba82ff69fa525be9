/**
 * dedup/: replica-aware merging of series (Thanos `pkg/dedup`).
 *
 * Input: series sorted by labels with the replica labels already removed (the stores honour
 * `without_replica_labels`, or the proxy strips them and re-sorts), so all replicas of one
 * logical series are adjacent with equal label sets. Each group becomes one series whose
 * iterator is a streaming penalty merge of the replicas' iterators (counter-aware when the
 * enclosing function reads counters). A group of one passes through untouched.
 *
 * Files: penalty-iterator.ts (the algorithm), counter-iterator.ts (counter variant),
 * chain-iterator.ts (`--deduplication.func=chain`),
 * overlap-split.ts (chunk lists into non-overlapping virtual replicas), spans.ts (what a merge
 * did, for explain=true), this file (grouping).
 */
import {compareLabels, labelsEqual, withoutLabels, type Labels} from '../labels/labels.js'
import {blockIterator, iteratorToBlock} from '../promql/block-iterator.js'
import type {SampleBlock, SampleIterator, Series} from '../promql/queryable.js'
import {ChainDedupIterator} from './chain-iterator.js'
import {CounterDedupIterator, isCounterFunc} from './counter-iterator.js'
import {mergePenaltyBlocks} from './penalty-blocks.js'
import {PenaltyDedupIterator} from './penalty-iterator.js'
import {SpanRecorder, type IdentityOf, type MergeSpans} from './spans.js'

/** One logical series built from several replicas; iterating never materialises samples. */
export class DedupSeries implements Series {
  constructor(
    readonly labels: Labels,
    readonly replicas: readonly Series[],
    readonly counter: boolean,
    readonly algorithm: DedupAlgorithm = 'penalty',
  ) {}

  iterator(): SampleIterator {
    return this.merge(this.replicas.map((r) => r.iterator()))
  }

  private merge(its: SampleIterator[], recorder?: SpanRecorder): SampleIterator {
    if (this.algorithm === 'chain') return new ChainDedupIterator(its, recorder)
    const opts = {fill: this.algorithm === 'penalty-fill', recorder}
    return this.counter ? new CounterDedupIterator(its, opts) : new PenaltyDedupIterator(its, opts)
  }

  /**
   * Explain: runs the merge over [mint, maxt] once more with a SpanRecorder (spans.ts) and
   * returns which replica (merge input) served which stretch, the switches and the holes. The
   * same path as samples(): the bulk merge when every replica offers it, else the iterators.
   * Spans are reported by input index, or by what `identify` maps (input, time) to.
   */
  explain(mint: number, maxt: number, identify?: IdentityOf): MergeSpans {
    const rec = new SpanRecorder(this.replicas.length, mint, maxt)
    if (this.algorithm !== 'chain' && this.replicas.every((r) => r.samples)) {
      const blocks = this.replicas.map((r) => r.samples!(Number.NEGATIVE_INFINITY, maxt))
      mergePenaltyBlocks(blocks, {fill: this.algorithm === 'penalty-fill', counter: this.counter, recorder: rec}, mint, maxt)
    } else {
      const it = this.merge(this.replicas.map((r) => r.iterator()), rec)
      while (it.next()) if (it.atT() > maxt) break
    }
    return rec.finish(identify)
  }

  /**
   * The engine's bulk path: each replica is decoded in bulk up to maxt from its start (the
   * merge's choices depend on the history before mint, exactly as when the iterator is walked
   * from the start and seeked), then merged over the arrays: the penalty merges by
   * penalty-blocks.ts, the chain merge through its iterator over array iterators.
   */
  samples(mint: number, maxt: number): SampleBlock {
    if (!this.replicas.every((r) => r.samples)) return iteratorToBlock(this.iterator(), mint, maxt, 64)
    const blocks = this.replicas.map((r) => r.samples!(Number.NEGATIVE_INFINITY, maxt))
    if (this.algorithm !== 'chain') return mergePenaltyBlocks(blocks, {fill: this.algorithm === 'penalty-fill', counter: this.counter}, mint, maxt)
    let cap = 0
    for (const b of blocks) cap += b.ts.length
    return iteratorToBlock(this.merge(blocks.map((b) => blockIterator(b))), mint, maxt, cap)
  }
}

/**
 * Explain for any selected series: a DedupSeries reports its merge; any other series (one
 * replica, or dedup off) is one input that serves all of its samples, with its holes.
 */
export function explainSeries(s: Series, mint: number, maxt: number, identify?: IdentityOf): MergeSpans {
  if (s instanceof DedupSeries) return s.explain(mint, maxt, identify)
  const rec = new SpanRecorder(1, mint, maxt)
  if (s.samples) {
    const b = s.samples(mint, maxt)
    rec.seenAll(0, b.ts)
    for (let i = 0; i < b.ts.length; i++) rec.emitted(0, b.ts[i]!)
  } else {
    const it = s.iterator()
    if (it.seek(mint)) {
      do {
        const t = it.atT()
        if (t > maxt) break
        rec.seen(0, t)
        rec.emitted(0, t)
      } while (it.next())
    }
  }
  return rec.finish(identify)
}

/**
 * `--deduplication.func`: 'penalty' (Thanos default, bit-for-bit its choices), 'chain'
 * (Thanos), 'penalty-fill' (ours: penalty stickiness without the lost scrapes at a switch).
 */
export type DedupAlgorithm = 'penalty' | 'chain' | 'penalty-fill'

export interface DedupOptions {
  /** SelectHints.func: counter functions switch on the counter-aware merge (penalty only). */
  func?: string
  algorithm?: DedupAlgorithm
}

/**
 * Groups adjacent series with equal labels and merges each group. Input must be sorted by
 * labels (equal sets adjacent); the output is sorted and has unique label sets.
 */
export function dedupSeriesSet(series: readonly Series[], opts: DedupOptions = {}): Series[] {
  const counter = isCounterFunc(opts.func)
  const out: Series[] = []
  let i = 0
  while (i < series.length) {
    const first = series[i]!
    let j = i + 1
    while (j < series.length && labelsEqual(series[j]!.labels, first.labels)) j++
    out.push(j - i === 1 ? first : new DedupSeries(first.labels, series.slice(i, j), counter, opts.algorithm))
    i = j
  }
  return out
}

/**
 * For stores that cannot strip replica labels themselves (no `supports_without_replica_labels`
 * in Info): removes the labels and re-sorts, stable so a store's own order among equal sets is
 * kept (upstream `sortWithoutLabels`). Returns new objects only for items whose labels change.
 */
export function stripReplicaLabels<T extends {labels: Labels}>(
  items: readonly T[],
  replicaLabels: ReadonlySet<string>,
  withLabels: (item: T, labels: Labels) => T,
): T[] {
  if (replicaLabels.size === 0) return items.slice()
  const out = items.map((it) => {
    const ls = withoutLabels(it.labels, replicaLabels)
    return ls === it.labels ? it : withLabels(it, ls)
  })
  // Array.prototype.sort is stable (ES2019).
  return out.sort((a, b) => compareLabels(a.labels, b.labels))
}
