/**
 * globalview/: the rest of Thanos's global view besides series: the Rules, Targets, Metadata
 * and Exemplars APIs (thanos-io/thanos pkg/rules, pkg/targets, pkg/metadata, pkg/exemplars).
 * This folder owns their messages (this file), the conversion of a Prometheus's HTTP API
 * answers into them with external labels added as Thanos does (rules.ts, targets.ts,
 * metadata.ts, exemplars.ts, with prom-time.ts for RFC 3339 times), the filters Thanos
 * applies to rules (rules.ts), and their protobuf coding (globalview-wire.ts).
 * The sidecar serves them (sidecar/prometheus-globalview.ts over storeapi/globalview-grpc-server.ts).
 *
 * The querier's side: fanout.ts asks every endpoint that announces an API (with exemplar
 * routing in exemplars-route.ts) and is what the querier serves over gRPC; global-view.ts
 * filters and merges the answers as Thanos's querier does (rules-dedup.ts, targets-dedup.ts,
 * exemplars-dedup.ts, metadata-merge.ts) for the HTTP API (api/globalview-api.ts).
 *
 * The messages are plain objects named as the .proto fields (proto/thanos/{rules,targets,
 * metadata,exemplars}), upstream's mixed case included, so protobufjs reflection codes them
 * as they are: these are cold paths, a hand-written codec would buy nothing.
 * int64 fields are numbers: times in ms and Timestamp seconds are far inside 2^53.
 */
import type {Labels} from '../labels/labels.js'

/** google.protobuf.Timestamp. */
export interface PbTimestamp {
  seconds: number
  nanos: number
}

/** thanos.ZLabelSet: on the wire, a message of repeated Label. */
export interface PbLabelSet {
  labels: Labels
}

/** thanos.PartialResponseStrategy. */
export const PartialResponseStrategy = {WARN: 0, ABORT: 1} as const

// ---------------------------------------------------------------------------------------------
// thanos.Rules (pkg/rules/rulespb/rpc.proto)

/** RulesRequest.Type; the lower-cased names are Prometheus's `type` parameter. */
export const RulesRequestType = {ALL: 0, ALERT: 1, RECORD: 2} as const

export interface RulesRequest {
  type: number
  partial_response_strategy: number
  matcher_string: string[]
  rule_name: string[]
  rule_group: string[]
  file: string[]
}

/** AlertState: Prometheus's rules.AlertState plus UNKNOWN = 0. */
export const AlertState = {UNKNOWN: 0, INACTIVE: 1, PENDING: 2, FIRING: 3} as const

export interface AlertInstance {
  labels: PbLabelSet
  annotations: PbLabelSet
  state: number
  /** Absent when Prometheus gives no activeAt. */
  active_at?: PbTimestamp
  value: string
  PartialResponseStrategy: number
}

export interface Alert {
  state: number
  name: string
  query: string
  duration_seconds: number
  labels: PbLabelSet
  annotations: PbLabelSet
  alerts: AlertInstance[]
  health: string
  last_error: string
  evaluation_duration_seconds: number
  last_evaluation: PbTimestamp
  keep_firing_for_seconds: number
}

export interface RecordingRule {
  name: string
  query: string
  labels: PbLabelSet
  health: string
  last_error: string
  evaluation_duration_seconds: number
  last_evaluation: PbTimestamp
}

/** The Rule oneof. */
export type Rule = {recording: RecordingRule; alert?: undefined} | {alert: Alert; recording?: undefined}

export interface RuleGroup {
  name: string
  file: string
  rules: Rule[]
  interval: number
  evaluation_duration_seconds: number
  last_evaluation: PbTimestamp
  limit: number
  PartialResponseStrategy: number
}

/** RulesResponse: a group or a warning. */
export type RulesFrame = {group: RuleGroup} | {warning: string}

// ---------------------------------------------------------------------------------------------
// thanos.Targets (pkg/targets/targetspb/rpc.proto)

/** TargetsRequest.State; the lower-cased names are Prometheus's `state` parameter. */
export const TargetsRequestState = {ANY: 0, ACTIVE: 1, DROPPED: 2} as const

export interface TargetsRequest {
  state: number
  partial_response_strategy: number
}

/** TargetHealth; the lower-cased names are Prometheus's `health` values. */
export const TargetHealth = {DOWN: 0, UP: 1, UNKNOWN: 2} as const

export interface ActiveTarget {
  discoveredLabels: PbLabelSet
  labels: PbLabelSet
  scrapePool: string
  scrapeUrl: string
  globalUrl: string
  lastError: string
  lastScrape: PbTimestamp
  lastScrapeDuration: number
  health: number
}

export interface DroppedTarget {
  discoveredLabels: PbLabelSet
}

export interface TargetDiscovery {
  activeTargets: ActiveTarget[]
  droppedTargets: DroppedTarget[]
}

/** TargetsResponse: the targets or a warning. */
export type TargetsFrame = {targets: TargetDiscovery} | {warning: string}

// ---------------------------------------------------------------------------------------------
// thanos.Metadata (pkg/metadata/metadatapb/rpc.proto)

export interface MetricMetadataRequest {
  metric: string
  /** Negative: no limit; 0 returns nothing (as Prometheus's `limit`). */
  limit: number
  partial_response_strategy: number
}

export interface Meta {
  type: string
  help: string
  unit: string
}

export interface MetricMetadata {
  /** Metric family → its distinct metadata (a protobuf map). */
  metadata: Record<string, {metas: Meta[]}>
}

/** MetricMetadataResponse: the metadata or a warning. */
export type MetadataFrame = {metadata: MetricMetadata} | {warning: string}

// ---------------------------------------------------------------------------------------------
// thanos.Exemplars (pkg/exemplars/exemplarspb/rpc.proto)

export interface ExemplarsRequest {
  query: string
  /** ms */
  start: number
  /** ms */
  end: number
  partial_response_strategy: number
}

export interface Exemplar {
  labels: PbLabelSet
  value: number
  /** ms */
  ts: number
}

export interface ExemplarData {
  seriesLabels: PbLabelSet
  exemplars: Exemplar[]
}

/** ExemplarsResponse: one series' exemplars or a warning. */
export type ExemplarsFrame = {data: ExemplarData} | {warning: string}
