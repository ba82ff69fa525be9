/**
 * `thanosts query` over sidecars and a store gateway at once, the same data reachable twice: a
 * real Prometheus 2.42 HA pair (cluster us1, replicas 0 and 1) with six hours backfilled, each
 * behind our sidecar, and the same blocks in a bucket behind our store gateway (all of replica
 * 0's, the first three hours of replica 1's), as after the sidecars shipped them. Each replica
 * misses a different stretch. What a query must answer comes from the input series:
 * - without dedup, each replica's series once, holding exactly that replica's samples: nothing
 *   twice although the sidecar and the bucket both hold it (Thanos drops equal chunks from
 *   several stores, pkg/store/proxy_merge.go, and merges overlapping ones, pkg/dedup);
 * - deduplicated, one series per target, strictly increasing samples, each one of a replica's,
 *   no hole wider than the penalty skip at a replica switch; the same answer as our querier
 *   over the sidecars alone (and the real `thanos query`'s over all three as over the sidecars).
 */
import assert from 'node:assert/strict'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {nopLogger} from '../../../src/core/log.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../../src/core/query/querier.js'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import {runStoreGateway, type RunningStoreGateway} from '../../../src/core/storegateway/store-gateway.js'
import {uploadBackfilled} from '../../helpers/bucket-blocks.js'
import {samples, type SeriesSpec} from '../../helpers/openmetrics.js'
import {startThanosQuery, type ThanosQueryHandle} from '../../helpers/peers.js'
import {startPrometheusSet, type PrometheusHandle} from '../../helpers/prometheus.js'
import {startSidecar} from '../../helpers/sidecar.js'
import {storeGatewayConfig} from '../../helpers/store-gateway.js'

const T0 = Date.UTC(2024, 8, 2, 0, 0, 7)
const STEP = 15_000
const N = 6 * 240 // six hours
/** The slots each replica misses: replica 0 for 30 minutes, replica 1 for 15 (inside its shipped part). */
const GAPS: Record<'0' | '1', [number, number]> = {'0': [400, 520], '1': [300, 360]}
/** Replica 1's blocks in the bucket hold its first three hours only: an overlapping part. */
const SHIPPED_1 = 720
const EVAL = T0 + N * STEP
const RANGE = '7h'

function value(job: string, i: number): number {
  return job === 'api' ? 100 + Math.sin(i / 20) * 10 : i * 3
}

function replicaSeries(replica: '0' | '1', upTo = N): SeriesSpec[] {
  const [g0, g1] = GAPS[replica]
  return ['api', 'web'].map((job) => ({
    metric: 'hapair_load',
    type: 'gauge' as const,
    labels: {job},
    samples: samples(T0, STEP, upTo, (i) => (i >= g0 && i < g1 ? undefined : value(job, i))),
  }))
}

/** Input samples of one replica and job, [t seconds, value text] as the API writes them. */
function expectedOf(replica: '0' | '1', job: string): [number, string][] {
  return replicaSeries(replica)
    .find((s) => s.labels!.job === job)!
    .samples.map(([t, v]) => [t / 1000, String(v)])
}

interface Matrix {
  status: string
  data: {resultType: string; result: {metric: Record<string, string>; values: [number, string][]}[]}
}

async function rangeSelect(base: string, dedup: boolean): Promise<Matrix['data']['result']> {
  const r = await fetch(`${base}/api/v1/query?${new URLSearchParams({query: `hapair_load[${RANGE}]`, time: String(EVAL / 1000), dedup: String(dedup)})}`)
  const body = (await r.json()) as Matrix
  assert.equal(r.status, 200, JSON.stringify(body))
  assert.equal(body.data.resultType, 'matrix')
  return [...body.data.result].sort((a, b) => JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)))
}

async function waitStores(q: RunningQuerier, n: number): Promise<void> {
  const deadline = Date.now() + 30_000
  while (q.endpoints.storeRefs().length < n) {
    if (Date.now() > deadline) throw new Error(`querier sees ${q.endpoints.storeRefs().length} stores, want ${n}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('thanosts query over sidecars and a store gateway holding the same blocks', function () {
  this.timeout(180_000)
  let proms: PrometheusHandle[] = []
  let sidecars: RunningSidecar[] = []
  let gateway: RunningStoreGateway | undefined
  let both: RunningQuerier | undefined
  let sidecarsOnly: RunningQuerier | undefined
  let thanos: ThanosQueryHandle | undefined
  let thanosSidecarsOnly: ThanosQueryHandle | undefined
  let bucketDir = ''

  before(async function () {
    bucketDir = await mkdtemp(path.join(tmpdir(), 'thanosts-sc-sg-'))
    const bucket = new FilesystemBucket({directory: bucketDir})
    proms = await startPrometheusSet(
      (['0', '1'] as const).map((replica) => ({externalLabels: {cluster: 'us1', replica}, series: replicaSeries(replica)})),
    )
    await uploadBackfilled(bucket, {series: replicaSeries('0'), ext: {cluster: 'us1', replica: '0'}})
    await uploadBackfilled(bucket, {series: replicaSeries('1', SHIPPED_1), ext: {cluster: 'us1', replica: '1'}})
    sidecars = await Promise.all(proms.map((p) => startSidecar(p)))
    gateway = await runStoreGateway(storeGatewayConfig({bucket, syncIntervalMs: 900_000}))
    const endpoints = [...sidecars.map((s) => `127.0.0.1:${s.grpcPort}`), `127.0.0.1:${gateway.grpcPort}`]
    const cfg = {infoTimeoutMs: 2_000, replicaLabels: ['replica'], httpGracePeriodMs: 300, grpcGracePeriodMs: 300, flags: {'query.replica-label': 'replica'}}
    both = await runQuerier(querierConfig(endpoints, nopLogger, cfg))
    sidecarsOnly = await runQuerier(querierConfig(endpoints.slice(0, 2), nopLogger, cfg))
    await waitStores(both, 3)
    await waitStores(sidecarsOnly, 2)
    thanos = await startThanosQuery({endpoints, replicaLabels: ['replica']})
    thanosSidecarsOnly = await startThanosQuery({endpoints: endpoints.slice(0, 2), replicaLabels: ['replica']})
  })

  after(async function () {
    await thanos?.stop()
    await thanosSidecarsOnly?.stop()
    await both?.lifecycle.stop()
    await sidecarsOnly?.lifecycle.stop()
    await gateway?.lifecycle.stop()
    for (const s of sidecars) await s.lifecycle.stop()
    await Promise.all(proms.map((p) => p.stop()))
    if (bucketDir) await rm(bucketDir, {recursive: true, force: true})
  })

  const url = (q: RunningQuerier | undefined): string => `http://127.0.0.1:${q!.httpPort}`

  it('the store gateway serves both replicas from the bucket, next to the sidecars', async function () {
    const r = (await (await fetch(`${url(both)}/api/v1/stores`)).json()) as {data: Record<string, {name: string; labelSets: Record<string, string>[]; lastError: string | null}[]>}
    const store = r.data.store ?? []
    assert.equal(store.length, 1, JSON.stringify(r.data))
    assert.equal(store[0]!.name, `127.0.0.1:${gateway!.grpcPort}`)
    assert.equal(store[0]!.lastError, null)
    assert.deepEqual(store[0]!.labelSets.map((l) => l.replica).sort(), ['0', '1'])
    assert.equal((r.data.sidecar ?? []).length, 2)
  })

  it('without dedup: each replica once, exactly its own samples (nothing twice from sidecar and bucket)', async function () {
    const got = await rangeSelect(url(both), false)
    assert.deepEqual(
      got.map((s) => s.metric),
      ['api', 'web'].flatMap((job) => ['0', '1'].map((replica) => ({__name__: 'hapair_load', cluster: 'us1', job, replica}))),
    )
    for (const s of got) {
      const want = expectedOf(s.metric.replica as '0' | '1', s.metric.job!)
      assert.equal(s.values.length, want.length, `${JSON.stringify(s.metric)}: ${s.values.length} samples, the replica has ${want.length}`)
      assert.deepEqual(s.values, want, JSON.stringify(s.metric))
    }
    // the real Thanos querier over the same endpoints agrees
    assert.deepEqual(await rangeSelect(thanos!.url, false), got)
  })

  it('deduplicated: one series per target, no duplicate and no hole, the same as over the sidecars alone', async function () {
    const got = await rangeSelect(url(both), true)
    assert.deepEqual(
      got.map((s) => s.metric),
      ['api', 'web'].map((job) => ({__name__: 'hapair_load', cluster: 'us1', job})),
    )
    for (const s of got) {
      const job = s.metric.job!
      const union = new Map<number, string>([...expectedOf('0', job), ...expectedOf('1', job)])
      for (let i = 1; i < s.values.length; i++) {
        const [t, v] = s.values[i]!
        const prev = s.values[i - 1]![0]
        assert.ok(t > prev, `${job}: ${t} after ${prev}: a duplicated or unordered sample`)
        // at a replica switch Thanos's penalty skips up to two scrape intervals of the other (pkg/dedup/iter.go)
        assert.ok((t - prev) * 1000 <= 3 * STEP, `${job}: a hole from ${prev} to ${t}`)
        assert.equal(union.get(t), v, `${job}@${t}: ${v} is no replica's sample`)
      }
      assert.equal(s.values[0]![0], T0 / 1000)
      assert.equal(s.values.at(-1)![0], (T0 + (N - 1) * STEP) / 1000)
      // both replicas' gaps are served by the other
      for (const [g0, g1] of Object.values(GAPS)) {
        const inGap = s.values.filter(([t]) => t * 1000 >= T0 + g0 * STEP && t * 1000 < T0 + g1 * STEP)
        assert.ok(inGap.length >= g1 - g0 - 2, `${job}: ${inGap.length} samples over a gap of ${g1 - g0} slots`)
      }
    }
    // the store gateway's copy changes nothing: the same answer as over the sidecars alone, for
    // our querier and for the real one (whose penalty merge starts on the other replica when
    // both have a sample at the same time, so its answer differs from ours by a few samples at
    // the switches: compared with itself here)
    assert.deepEqual(await rangeSelect(url(sidecarsOnly), true), got, 'our querier over the sidecars alone')
    assert.deepEqual(await rangeSelect(thanos!.url, true), await rangeSelect(thanosSidecarsOnly!.url, true), 'thanos query: over all three endpoints as over the sidecars alone')
  })
})
