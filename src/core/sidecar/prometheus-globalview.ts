/**
 * The sidecar's Rules, Targets, Metadata and Exemplars APIs over its Prometheus's HTTP API, as
 * Thanos's sidecar serves them (pkg/rules, pkg/targets, pkg/metadata, pkg/exemplars
 * prometheus.go): each request is one Prometheus API call, its answer converted by
 * globalview/ with the external labels the heartbeat last read. The request's partial
 * response strategy does not apply to one Prometheus; Prometheus's own warnings are passed on
 * as warning frames (Thanos drops them).
 */
import {exemplarDataFromPrometheus} from '../globalview/exemplars.js'
import type {ExemplarsFrame, ExemplarsRequest, MetadataFrame, MetricMetadataRequest, RulesFrame, RulesRequest, TargetsFrame, TargetsRequest} from '../globalview/messages.js'
import {metadataLimitParam, metricMetadataFromPrometheus} from '../globalview/metadata.js'
import {filterRuleGroups, ruleGroupsFromPrometheus, ruleMatcherSets, rulesTypeParam} from '../globalview/rules.js'
import {targetDiscoveryFromPrometheus, targetsStateParam} from '../globalview/targets.js'
import type {PrometheusClient} from '../prometheus/prometheus-client.js'
import type {GlobalViewApiImpl} from '../storeapi/globalview-grpc-server.js'
import type {SidecarState} from './prometheus-store.js'

const warningFrames = (warnings: readonly string[]): {warning: string}[] => warnings.map((warning) => ({warning}))

export class PrometheusGlobalView implements GlobalViewApiImpl {
  constructor(
    private readonly prom: PrometheusClient,
    private readonly state: SidecarState,
  ) {}

  async rules(req: RulesRequest, signal: AbortSignal): Promise<RulesFrame[]> {
    // Parsed first: a bad matcher fails without asking Prometheus.
    const matcherSets = ruleMatcherSets(req)
    const answer = await this.prom.rules(rulesTypeParam(req.type), signal)
    const groups = filterRuleGroups(ruleGroupsFromPrometheus(answer.data, this.state.externalLabels), req, matcherSets)
    return [...warningFrames(answer.warnings), ...groups.map((group) => ({group}))]
  }

  async targets(req: TargetsRequest, signal: AbortSignal): Promise<TargetsFrame[]> {
    const answer = await this.prom.targets(targetsStateParam(req.state), signal)
    return [...warningFrames(answer.warnings), {targets: targetDiscoveryFromPrometheus(answer.data, this.state.externalLabels)}]
  }

  async metricMetadata(req: MetricMetadataRequest, signal: AbortSignal): Promise<MetadataFrame[]> {
    const answer = await this.prom.metricMetadata(req.metric, metadataLimitParam(req.limit), signal)
    return [...warningFrames(answer.warnings), {metadata: metricMetadataFromPrometheus(answer.data)}]
  }

  async exemplars(req: ExemplarsRequest, signal: AbortSignal): Promise<ExemplarsFrame[]> {
    const answer = await this.prom.queryExemplars(req.query, req.start, req.end, signal)
    const series = exemplarDataFromPrometheus(answer.data, this.state.externalLabels)
    return [...warningFrames(answer.warnings), ...series.map((data) => ({data}))]
  }
}
