/**
 * What `thanosts demo` prints once everything runs: where each part listens and commands to try,
 * among them queries over the bucket's history that only the store gateway can answer. The
 * demo test runs these commands as printed.
 */
import type {RunningDemo} from './demo.js'

/** RFC 3339 to the second, as query-once reads it. */
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

/** The query-once command lines printed under "Try". */
export interface DemoCommands {
  countByCluster: string
  noDedup: string
  liveRate: string
  /** Samples per series over 3 days: the history in the bucket, through the store gateway. */
  history?: string
  /** A rate over days: the daily wave of the history. */
  historyRate?: string
  /** us1/0's outage in the history, each replica on its own. */
  historyGap?: string
}

export function demoCommands(demo: RunningDemo): DemoCommands {
  const q = `--query.url http://127.0.0.1:${demo.queryHttp}`
  const stores = demo.replicas.map((r) => `--store 127.0.0.1:${r.sidecarGrpc}`).join(' ')
  const cmds: DemoCommands = {
    countByCluster: `thanosts query-once 'count by (cluster) (up)' ${q}`,
    noDedup: `thanosts query-once 'up{cluster="us1"}' ${stores} --no-dedup`,
    liveRate: `thanosts query-once 'sum by (cluster) (rate(prometheus_tsdb_head_samples_appended_total[1m]))' ${q} --start -10m --step 15s`,
  }
  const h = demo.history
  if (h) {
    const days = Math.round((h.to - h.from) / 86_400_000)
    cmds.history = `thanosts query-once 'count_over_time(up{cluster="us1", job="prometheus"}[${days}d])' ${q}`
    cmds.historyRate = `thanosts query-once 'sum by (cluster) (rate(prometheus_tsdb_head_samples_appended_total{job="prometheus"}[1h]))' ${q} --start -${days}d --step 2h`
    const g = h.gaps[0]
    if (g) {
      cmds.historyGap = `thanosts query-once 'count_over_time(up{cluster="us1", job="prometheus"}[30m])' ${q} --start ${iso(g.from - 3_600_000)} --end ${iso(g.to + 3_600_000)} --step 30m --no-dedup`
    }
  }
  return cmds
}

/** The lines printed after start-up. */
export function startupWalkthrough(demo: RunningDemo): string[] {
  const q = `http://127.0.0.1:${demo.queryHttp}`
  const c = demoCommands(demo)
  const lines = ['thanosts demo is running:']
  for (const r of demo.replicas) {
    lines.push(`  Prometheus ${r.name.padEnd(6)} http://127.0.0.1:${r.promPort}   external labels {cluster="${r.cluster}", replica="${r.replica}"}   sidecar StoreAPI 127.0.0.1:${r.sidecarGrpc}`)
  }
  lines.push(`  bucket ${demo.bucket.description}   (the sidecars ship their 2h blocks there)`)
  lines.push(`  store gateway over the bucket   StoreAPI 127.0.0.1:${demo.storeGrpc}   http://127.0.0.1:${demo.storeHttp}/metrics`)
  lines.push(`  querier over the sidecars and the store gateway (Prometheus API; Grafana data source)  ${q}     StoreAPI 127.0.0.1:${demo.queryGrpc}`)
  const h = demo.history
  if (h) {
    const g = h.gaps[0]
    lines.push(
      `  history in the bucket: ${h.blocks} blocks, ${iso(h.from)} to ${iso(h.to)}, older than anything Prometheus holds: the store gateway answers for it` +
        (g ? ` (${g.name} was down ${iso(g.from)} to ${iso(g.to)} in it)` : ''),
    )
  }
  lines.push('', 'Try (live data appears after the first scrapes):', `  ${c.countByCluster}`, `  ${c.noDedup}`, `  ${c.liveRate}`)
  if (c.history) {
    lines.push(`  ${c.history}`, `    (days of samples per target: the bucket's history through the store gateway, joined to the sidecars' live data)`)
  }
  if (c.historyRate) lines.push(`  ${c.historyRate}`, `    (a rate over days, from the bucket: busy days, quiet nights)`)
  if (c.historyGap) lines.push(`  ${c.historyGap}`, `    (without dedup: replica "0" has an old outage; deduplicated, replica "1" fills it)`)
  lines.push(`  thanosts demo --outage us1/0:2m   (another run: stop a replica and watch the deduplicated graph stay whole)`, 'Ctrl-C stops everything.')
  return lines
}
