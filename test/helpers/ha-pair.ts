/**
 * An HA pair of real Prometheus servers for the interop tests: replicas `0` and `1` of cluster
 * `us1` holding the same dashboard data (the benchmark's small data set: node-exporter and
 * HTTP-service series with realistic scrape offsets, counter resets and classic histograms),
 * plus `ha_gap_*` series that replica 0 misses for `GAP_MS` in the middle, as after an outage.
 *
 *   const pair = await startHaPair({version: 3})
 *   pair.proms[1].url   // the complete replica: Prometheus's own answers are the truth
 *   await pair.stop()
 */
import path from 'node:path'
import {ensureDataset, SMOKE_DATASET, type DatasetMeta} from '../../bench/dataset.js'
import {samples, type SeriesSpec} from './openmetrics.js'
import {startPrometheusSet, type PrometheusHandle} from './prometheus.js'

export const GAP_SCRAPE_MS = 15_000
/** Replica 0's outage: 40 minutes, ending an hour before the data ends. */
export const GAP_MS = 40 * 60_000
/** Gap series samples sit this far after each 15 s slot, away from window and step boundaries. */
export const GAP_OFFSET_MS = 4_321

export interface HaPair {
  readonly proms: PrometheusHandle[]
  readonly data: DatasetMeta
  /** [start, end) of replica 0's missing samples (ms). */
  readonly gap: readonly [number, number]
  stop(): Promise<void>
}

/** The series with a gap in replica 0: a counter per job and a gauge. */
export function gapSeries(replica: 0 | 1, startMs: number, endMs: number, gap: readonly [number, number]): SeriesSpec[] {
  const n = Math.floor((endMs - startMs) / GAP_SCRAPE_MS)
  const t0 = startMs + GAP_OFFSET_MS
  const missing = (t: number): boolean => replica === 0 && t >= gap[0] && t < gap[1]
  const out: SeriesSpec[] = []
  for (const [job, perScrape] of [
    ['api', 7],
    ['web', 3],
  ] as const) {
    out.push({metric: 'ha_gap_requests', type: 'counter', labels: {job}, samples: samples(t0, GAP_SCRAPE_MS, n, (i, t) => (missing(t) ? undefined : i * perScrape))})
  }
  out.push({metric: 'ha_gap_temperature', type: 'gauge', labels: {room: 'a'}, samples: samples(t0, GAP_SCRAPE_MS, n, (i, t) => (missing(t) ? undefined : 20 + (i % 13) / 4))})
  return out
}

export async function startHaPair(opts: {version: 2 | 3; cluster?: string; extraArgs?: string[]}): Promise<HaPair> {
  const data = await ensureDataset(path.resolve('.cache/bench'), SMOKE_DATASET)
  const gap: [number, number] = [data.endMs - 60 * 60_000 - GAP_MS, data.endMs - 60 * 60_000]
  // The gap series cover the last 6 hours: enough for 1 h and 6 h dashboard ranges.
  const gapStart = data.endMs - 6 * 3_600_000
  const proms = await startPrometheusSet(
    ([0, 1] as const).map((replica) => ({
      version: opts.version,
      externalLabels: {cluster: opts.cluster ?? 'us1', replica: String(replica)},
      blocksFrom: data.blocksDir,
      series: gapSeries(replica, gapStart, data.endMs, gap),
      extraArgs: opts.extraArgs,
    })),
  )
  return {proms, data, gap, stop: async () => void (await Promise.all(proms.map((p) => p.stop())))}
}
