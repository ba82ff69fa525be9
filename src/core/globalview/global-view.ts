/**
 * The querier's global view of rules, alerts, targets, metadata and exemplars: the fan-out's
 * frames, filtered and merged as Thanos's querier does before its HTTP API answers
 * (pkg/rules/rules.go, pkg/targets/targets.go, pkg/metadata/metadata.go,
 * pkg/exemplars/exemplars.go, the GRPCClients with dedup):
 *
 * - rules: Thanos's rule filters (matchers, then group, file, rule name) on every group,
 *   since an endpoint may not apply them (Thanos's sidecar leaves them to the querier), then
 *   groups merged and rules deduplicated along the replica labels (rules-dedup.ts);
 * - targets: deduplicated along the replica labels (targets-dedup.ts);
 * - metadata: merged under the limit (metadata-merge.ts);
 * - exemplars: deduplicated along the replica labels (exemplars-dedup.ts).
 *
 * Warnings are kept once each, in the order they arose (Thanos keeps them once each too, in
 * a map). `replicaLabels` is per request: the querier's --query.replica-label, or none for
 * dedup=false, or the request's replicaLabels[].
 */
import type {GlobalViewCaller} from './fanout.js'
import {mergeExemplars} from './exemplars-dedup.js'
import type {ExemplarData, ExemplarsRequest, MetricMetadataRequest, RuleGroup, RulesRequest, TargetDiscovery, TargetsRequest} from './messages.js'
import {mergeMetadata, type MetadataMap} from './metadata-merge.js'
import {filterRuleGroups, ruleMatcherSets} from './rules.js'
import {mergeRuleGroups} from './rules-dedup.js'
import {mergeTargets} from './targets-dedup.js'

export interface Warned<T> {
  data: T
  warnings: string[]
}

/** Items and warnings of one fan-out's frames. */
function split<F extends object, T>(frames: readonly F[], item: (f: F) => T | undefined): Warned<T[]> {
  const warnings = new Set<string>()
  const data: T[] = []
  for (const f of frames) {
    const w = (f as {warning?: unknown}).warning
    if (typeof w === 'string') warnings.add(w)
    else {
      const it = item(f)
      if (it !== undefined) data.push(it)
    }
  }
  return {data, warnings: [...warnings]}
}

export class GlobalView {
  constructor(private readonly fanout: GlobalViewCaller) {}

  async rules(req: RulesRequest, replicaLabels: readonly string[], signal: AbortSignal): Promise<Warned<RuleGroup[]>> {
    // parsed first: a bad matcher fails without asking anyone
    const matcherSets = ruleMatcherSets(req)
    const r = split(await this.fanout.rules(req, signal), (f) => ('group' in f ? f.group : undefined))
    return {data: mergeRuleGroups(filterRuleGroups(r.data, req, matcherSets), replicaLabels), warnings: r.warnings}
  }

  async targets(req: TargetsRequest, replicaLabels: readonly string[], signal: AbortSignal): Promise<Warned<TargetDiscovery>> {
    const r = split(await this.fanout.targets(req, signal), (f) => ('targets' in f ? f.targets : undefined))
    return {data: mergeTargets(r.data, replicaLabels), warnings: r.warnings}
  }

  async metricMetadata(req: MetricMetadataRequest, limitPerMetric: number, signal: AbortSignal): Promise<Warned<MetadataMap>> {
    const r = split(await this.fanout.metricMetadata(req, signal), (f) => ('metadata' in f ? f.metadata : undefined))
    return {data: mergeMetadata(r.data, req.limit, limitPerMetric), warnings: r.warnings}
  }

  async exemplars(req: ExemplarsRequest, replicaLabels: readonly string[], signal: AbortSignal): Promise<Warned<ExemplarData[]>> {
    const r = split(await this.fanout.exemplars(req, signal), (f) => ('data' in f ? f.data : undefined))
    return {data: mergeExemplars(r.data, replicaLabels), warnings: r.warnings}
  }
}
