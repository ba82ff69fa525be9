/**
 * The meta filters' decisions (pkg/block/fetcher.go semantics) on meta.json files as Thanos
 * writes them: time partition bounds (inclusive), the consistency delay by upload time or ULID
 * time with the compactor's blocks exempt, duplicates of a compaction within one group only.
 */
import assert from 'node:assert/strict'
import {emptyThanosMeta, formatGoTime, formatMeta, parseMeta, type BlockMeta} from '../../../src/core/block/meta.js'
import {newUlid} from '../../../src/core/block/ulid.js'
import {nopLogger} from '../../../src/core/log.js'
import {consistencyDelayFilter, deduplicateFilter, timePartitionFilter} from '../../../src/core/storegateway/filters.js'
import type {MetaFilter, SyncedState} from '../../../src/core/storegateway/meta-fetcher.js'
import {parseTimeOrDuration} from '../../../src/core/storegateway/time-or-duration.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2024, 0, 1, 12)

/** A meta.json through Thanos's own text form and back, so the filters see what a bucket holds. */
function meta(o: {ulid?: string; minTime: number; maxTime: number; sources?: string[]; labels?: Record<string, string>; source?: string; uploadTime?: Date; resolution?: number}): BlockMeta {
  const ulid = o.ulid ?? newUlid(o.minTime)
  const thanos = {...emptyThanosMeta(), labels: o.labels ?? {cluster: 'a'}, source: o.source ?? 'sidecar', downsample: {resolution: o.resolution ?? 0}}
  if (o.uploadTime) thanos.upload_time = formatGoTime(o.uploadTime)
  const m: BlockMeta = {ulid, minTime: o.minTime, maxTime: o.maxTime, stats: {numSamples: 1}, compaction: {level: o.sources && o.sources.length > 1 ? 2 : 1, sources: o.sources ?? [ulid]}, version: 1, thanos}
  return parseMeta(formatMeta(m), ulid)
}

async function run(f: MetaFilter, metas: BlockMeta[]): Promise<{kept: string[]; counts: Partial<Record<SyncedState, number>>}> {
  const map = new Map(metas.map((m) => [m.ulid, m]))
  const counts: Partial<Record<SyncedState, number>> = {}
  await f.filter(map, (s) => (counts[s] = (counts[s] ?? 0) + 1), new AbortController().signal)
  return {kept: [...map.keys()].sort(), counts}
}

describe('store gateway meta filters', () => {
  it('time partition: blocks overlapping [min, max], bounds inclusive', async () => {
    const a = meta({minTime: T0, maxTime: T0 + 2 * HOUR})
    const b = meta({minTime: T0 + 2 * HOUR, maxTime: T0 + 4 * HOUR})
    const c = meta({minTime: T0 + 4 * HOUR, maxTime: T0 + 6 * HOUR})
    const f = timePartitionFilter(parseTimeOrDuration(new Date(T0 + 2 * HOUR).toISOString()), parseTimeOrDuration(new Date(T0 + 4 * HOUR).toISOString()))
    const r = await run(f, [a, b, c])
    assert.deepEqual(r.kept, [a.ulid, b.ulid, c.ulid].sort(), 'a ends at min, c starts at max: both kept (Thanos compares inclusively)')
    const g = await run(timePartitionFilter(parseTimeOrDuration(new Date(T0 + 2 * HOUR + 1).toISOString()), parseTimeOrDuration(new Date(T0 + 4 * HOUR - 1).toISOString())), [a, b, c])
    assert.deepEqual(g.kept, [b.ulid])
    assert.deepEqual(g.counts, {'time-excluded': 2})
  })

  it('consistency delay: by upload time, else by the ULID time; the compactor\'s blocks are exempt', async () => {
    const now = Date.now()
    const oldUpload = meta({minTime: T0, maxTime: T0 + HOUR, uploadTime: new Date(now - 2 * HOUR)})
    const freshUpload = meta({minTime: T0, maxTime: T0 + HOUR, uploadTime: new Date(now - 60_000)})
    const freshUlid = meta({ulid: newUlid(now - 60_000), minTime: T0, maxTime: T0 + HOUR})
    const oldUlid = meta({ulid: newUlid(now - 3 * HOUR), minTime: T0, maxTime: T0 + HOUR})
    const compacted = meta({minTime: T0, maxTime: T0 + HOUR, source: 'compactor', uploadTime: new Date(now - 1000)})
    const r = await run(consistencyDelayFilter(30 * 60_000, nopLogger), [oldUpload, freshUpload, freshUlid, oldUlid, compacted])
    assert.deepEqual(r.kept, [oldUpload.ulid, oldUlid.ulid, compacted.ulid].sort())
    assert.deepEqual(r.counts, {'too-fresh': 2})
    assert.equal((await run(consistencyDelayFilter(0, nopLogger), [freshUpload, freshUlid])).kept.length, 2, '0s delays nothing')
  })

  it('duplicates: blocks whose sources a compacted block of the same group covers', async () => {
    const a = meta({minTime: T0, maxTime: T0 + 2 * HOUR})
    const b = meta({minTime: T0 + 2 * HOUR, maxTime: T0 + 4 * HOUR})
    const c = meta({minTime: T0 + 4 * HOUR, maxTime: T0 + 6 * HOUR})
    const ab = meta({minTime: T0, maxTime: T0 + 4 * HOUR, sources: [a.ulid, b.ulid], source: 'compactor'})
    // The same sources in another group (other external labels, or downsampled) are not duplicates.
    const other = meta({ulid: a.ulid.slice(0, 25) + (a.ulid.endsWith('Z') ? 'Y' : 'Z'), minTime: T0, maxTime: T0 + 2 * HOUR, labels: {cluster: 'b'}, sources: [a.ulid]})
    const down = meta({minTime: T0, maxTime: T0 + 4 * HOUR, sources: [a.ulid, b.ulid], resolution: 300_000})
    const r = await run(deduplicateFilter(), [a, b, c, ab, other, down])
    assert.deepEqual(r.kept, [c.ulid, ab.ulid, other.ulid, down.ulid].sort())
    assert.deepEqual(r.counts, {duplicate: 2})
  })
})
