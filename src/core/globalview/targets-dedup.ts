/**
 * The querier's merge of scrape targets from many endpoints, as Thanos's (pkg/targets/
 * targets.go dedupTargets; the orderings of pkg/targets/targetspb/custom.go):
 *
 * - active targets are sorted by scrape URL, scrape pool, discovered labels and labels, with
 *   the replica labels still in them; then the replica labels are removed and neighbours that
 *   have become equal are one target: the one whose health sorts first (down, up, unknown),
 *   then the one scraped last; on a tie the first;
 * - dropped targets likewise by their discovered labels, keeping the first.
 *
 * Sorting before the replica labels are removed is Thanos's order, and so is its consequence:
 * two replicas' copies of a target end up apart, and stay two, when another target sorts
 * between them because of a label that follows the replica label (the same target seen with
 * two values of `zone`, say). Sorts are stable, as Go's for short lists.
 */
import {compareLabels, compareStrings, withoutLabels} from '../labels/labels.js'
import type {ActiveTarget, DroppedTarget, TargetDiscovery} from './messages.js'
import {compareTimestamps} from './rules-dedup.js'

// Go's string order (UTF-8 bytes), as the sort.Slice calls this follows.
const cmpStrings = compareStrings

export function compareActiveTargets(a: ActiveTarget, b: ActiveTarget): number {
  return (
    cmpStrings(a.scrapeUrl, b.scrapeUrl) ||
    cmpStrings(a.scrapePool, b.scrapePool) ||
    compareLabels(a.discoveredLabels.labels, b.discoveredLabels.labels) ||
    compareLabels(a.labels.labels, b.labels.labels)
  )
}

/** Thanos's ActiveTarget.CompareState: lower health number first (DOWN = 0), then the later scrape. */
function compareTargetState(a: ActiveTarget, b: ActiveTarget): number {
  return a.health - b.health || -compareTimestamps(a.lastScrape, b.lastScrape)
}

export function dedupActiveTargets(targets: readonly ActiveTarget[], replicaLabels: ReadonlySet<string>): ActiveTarget[] {
  const sorted = [...targets].sort(compareActiveTargets)
  const out: ActiveTarget[] = []
  for (const t of sorted) {
    const s: ActiveTarget = {
      ...t,
      discoveredLabels: {labels: withoutLabels(t.discoveredLabels.labels, replicaLabels)},
      labels: {labels: withoutLabels(t.labels.labels, replicaLabels)},
    }
    const last = out[out.length - 1]
    if (last === undefined || compareActiveTargets(last, s) !== 0) out.push(s)
    else if (compareTargetState(last, s) > 0) out[out.length - 1] = s
  }
  return out
}

export function dedupDroppedTargets(targets: readonly DroppedTarget[], replicaLabels: ReadonlySet<string>): DroppedTarget[] {
  const sorted = [...targets].sort((a, b) => compareLabels(a.discoveredLabels.labels, b.discoveredLabels.labels))
  const out: DroppedTarget[] = []
  for (const t of sorted) {
    const s: DroppedTarget = {discoveredLabels: {labels: withoutLabels(t.discoveredLabels.labels, replicaLabels)}}
    const last = out[out.length - 1]
    if (last === undefined || compareLabels(last.discoveredLabels.labels, s.discoveredLabels.labels) !== 0) out.push(s)
  }
  return out
}

/** The targets of every endpoint as one discovery, deduplicated along the replica labels. */
export function mergeTargets(parts: readonly TargetDiscovery[], replicaLabels: readonly string[]): TargetDiscovery {
  const replica = new Set(replicaLabels)
  return {
    activeTargets: dedupActiveTargets(
      parts.flatMap((p) => p.activeTargets),
      replica,
    ),
    droppedTargets: dedupDroppedTargets(
      parts.flatMap((p) => p.droppedTargets),
      replica,
    ),
  }
}
