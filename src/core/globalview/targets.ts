/**
 * Targets: Prometheus's /api/v1/targets answer as a thanos.TargetDiscovery, as Thanos's
 * sidecar makes it (pkg/targets/prometheus.go): the external labels are added to the
 * discovered labels and the labels of active targets, and to the discovered labels of dropped
 * ones. Fields Prometheus has and the message has not (scrapeInterval, scrapeTimeout, a
 * dropped target's scrapePool, droppedTargetCounts) are left out, as upstream.
 */
import {BadDataError, ThanostsError} from '../errors.js'
import type {Labels} from '../labels/labels.js'
import {TargetHealth, TargetsRequestState, type ActiveTarget, type DroppedTarget, type TargetDiscovery} from './messages.js'
import {extendLabels, jsonArray, jsonLabels, jsonNumber, jsonObject, jsonString, labelSet} from './prom-json.js'
import {timestampFromRfc3339} from './prom-time.js'

/** Prometheus's `state` parameter for a request state: "active", "dropped", or none for ANY. */
export function targetsStateParam(state: number): string | undefined {
  if (state === TargetsRequestState.ACTIVE) return 'active'
  if (state === TargetsRequestState.DROPPED) return 'dropped'
  if (state === TargetsRequestState.ANY) return undefined
  throw new BadDataError(`unknown targets state ${state}`)
}

/** "up" → UP, as upstream's TargetHealth JSON (case-insensitive; empty or unknown fails). */
function targetHealth(v: unknown): number {
  if (v === undefined || v === null) return TargetHealth.DOWN
  const s = typeof v === 'string' ? v.toUpperCase() : ''
  if (!Object.hasOwn(TargetHealth, s)) throw new ThanostsError('internal', `target.health: unknown target health ${JSON.stringify(v)}`)
  return TargetHealth[s as keyof typeof TargetHealth]
}

/** The `data` of Prometheus's /api/v1/targets answer, external labels added. */
export function targetDiscoveryFromPrometheus(data: unknown, ext: Labels): TargetDiscovery {
  const o = jsonObject(data, 'targets')
  return {
    activeTargets: jsonArray(o.activeTargets, 'targets.activeTargets').map((v): ActiveTarget => {
      const t = jsonObject(v, 'activeTarget')
      return {
        discoveredLabels: labelSet(extendLabels(jsonLabels(t.discoveredLabels, 'activeTarget.discoveredLabels'), ext)),
        labels: labelSet(extendLabels(jsonLabels(t.labels, 'activeTarget.labels'), ext)),
        scrapePool: jsonString(t, 'scrapePool', 'activeTarget'),
        scrapeUrl: jsonString(t, 'scrapeUrl', 'activeTarget'),
        globalUrl: jsonString(t, 'globalUrl', 'activeTarget'),
        lastError: jsonString(t, 'lastError', 'activeTarget'),
        lastScrape: timestampFromRfc3339(t.lastScrape, 'activeTarget.lastScrape'),
        lastScrapeDuration: jsonNumber(t, 'lastScrapeDuration', 'activeTarget'),
        health: targetHealth(t.health),
      }
    }),
    droppedTargets: jsonArray(o.droppedTargets, 'targets.droppedTargets').map((v): DroppedTarget => {
      const t = jsonObject(v, 'droppedTarget')
      return {discoveredLabels: labelSet(extendLabels(jsonLabels(t.discoveredLabels, 'droppedTarget.discoveredLabels'), ext))}
    }),
  }
}
