/**
 * The PromQL engine features `--enable-feature` turns on, by Prometheus's names
 * (cmd/prometheus/main.go setFeatureListOptions). Values are comma separated and repeatable;
 * names this engine does not know are left alone, as Thanos's querier does (cmd/thanos/query.go).
 */
export interface EngineFeatures {
  /** promql-per-step-stats */
  enablePerStepStats: boolean
  /** promql-delayed-name-removal */
  enableDelayedNameRemoval: boolean
}

export function parseEngineFeatures(values: readonly string[]): EngineFeatures {
  const names = new Set(values.flatMap((v) => v.split(',')).map((f) => f.trim()))
  return {enablePerStepStats: names.has('promql-per-step-stats'), enableDelayedNameRemoval: names.has('promql-delayed-name-removal')}
}
