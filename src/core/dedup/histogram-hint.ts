/**
 * Native histogram samples across a replica switch. A histogram's counter-reset hint is
 * relative to the sample before it in the same chunk (NotCounterReset inside a counter chunk,
 * chunkenc histogram_meta.go counterResetHint), so after a switch it describes the other
 * replica's history: NotCounterReset from replica B could hide a reset relative to replica
 * A's sample that was emitted just before. As Prometheus's chain merge does for the same reason
 * (storage/merge.go chainSampleIterator.AtHistogram), the hint of the first sample after a
 * switch becomes Unknown, which makes PromQL detect resets from the values; gauge histograms
 * keep theirs (it says which flavor they are, not what happened before). Thanos's penalty
 * iterator (pkg/dedup/iter.go) passes hints unchanged.
 */
import {CounterResetHint} from '../histogram/schema.js'
import type {FloatHistogram} from '../histogram/float-histogram.js'

/** `h` as emitted: a copy with an Unknown hint when it comes right after a replica switch. */
export function afterSwitch(h: FloatHistogram | undefined, switched: boolean): FloatHistogram | undefined {
  if (h === undefined || !switched) return h
  const hint = h.counterResetHint
  if (hint === CounterResetHint.Unknown || hint === CounterResetHint.Gauge) return h
  const c = h.copy()
  c.counterResetHint = CounterResetHint.Unknown
  return c
}
