/**
 * `thanosts compact` over real S3 (SeaweedFS): the same compaction as over a filesystem, with
 * S3's listing, ranged GETs, streamed uploads and deletes. The real `thanos tools bucket ls` sees
 * the compacted blocks, the inputs are gone after --delete-delay=0s, and a real `thanos store`
 * on the same S3 bucket serves every input sample.
 */
import assert from 'node:assert/strict'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {labelsToString} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {nopLogger} from '../../../src/core/log.js'
import type {Bucket} from '../../../src/core/objstore/bucket.js'
import {bucketFromConfig} from '../../../src/core/objstore/config.js'
import {StoreClient} from '../../../src/core/storeapi/store-client.js'
import {expectedSeries, storeSamples, uploadBackfilled, type UploadSpec} from '../../helpers/bucket-blocks.js'
import {samples} from '../../helpers/openmetrics.js'
import {freePort} from '../../helpers/ports.js'
import {startSeaweedS3, type SeaweedS3} from '../../helpers/s3.js'
import {runToEnd, startThanosStore, type RunResult, type ThanosStoreHandle} from '../../helpers/thanos-bucket.js'
import {thanosBucketLs} from '../objstore/thanos-ls.js'
import {BIN} from '../../helpers/cli.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2024, 0, 1)

describe('thanosts compact over SeaweedFS S3', function () {
  this.timeout(300_000)
  let s3: SeaweedS3
  let bucket: Bucket
  let root: string
  let ids: string[]
  let run: RunResult
  let store: ThanosStoreHandle | undefined
  const spec: UploadSpec = {
    series: [
      ...[0, 1, 2].map((s) => ({metric: 'g', labels: {s: String(s)}, samples: samples(T0, 30_000, (10 * HOUR) / 30_000, (i) => i * (s + 1))})),
      {metric: 'edge', samples: [1, 2, 3, 4, 5].map((k) => [T0 + k * 2 * HOUR - 1, k] as [number, number])},
    ],
    ext: {cluster: 's3'},
  }

  before(async () => {
    s3 = await startSeaweedS3()
    root = await mkdtemp(path.join(tmpdir(), 'thanosts-compact-s3-'))
    bucket = bucketFromConfig(s3.objstoreYaml(), {logger: nopLogger})
    ids = await uploadBackfilled(bucket, spec)
    run = await runToEnd('node', [BIN, 'compact', `--objstore.config=${s3.objstoreYaml()}`, `--data-dir=${path.join(root, 'data')}`, `--http-address=127.0.0.1:${await freePort()}`, '--consistency-delay=0s', '--downsampling.disable', '--delete-delay=0s'])
    store = await startThanosStore('', s3.objstoreYaml())
  })

  after(async () => {
    await store?.stop()
    await bucket?.close()
    await s3?.stop()
    await rm(root, {recursive: true, force: true})
  })

  it('compacts the first four 2h blocks into one 8h block and deletes them', async () => {
    assert.equal(run.code, 0, run.output)
    const ls = await thanosBucketLs(s3.objstoreYaml())
    assert.deepEqual(
      ls.map((b) => [b.minTime, b.maxTime, b.thanos.labels]).sort((a, b) => (a[0] as number) - (b[0] as number)),
      [
        [T0, T0 + 8 * HOUR, {cluster: 's3'}],
        [T0 + 8 * HOUR, T0 + 10 * HOUR, {cluster: 's3'}],
      ],
    )
    const left: string[] = []
    for await (const k of bucket.iter('')) left.push(k.replace(/\/$/, ''))
    assert.deepEqual(left.filter((k) => ids.includes(k)), [ids[4]])
    assert.equal(left.length, 2)
  })

  it('a real thanos store on the bucket serves every input sample', async () => {
    const c = new StoreClient(store!.grpcAddress)
    try {
      const got = new Map<string, [number, number][]>()
      for await (const f of c.series({minTime: 0, maxTime: 1e15, matchers: [new Matcher(MatchType.RE, '__name__', '.+')], partialResponse: false}, new AbortController().signal)) {
        if (f.series) got.set(labelsToString(f.series.labels), storeSamples(f.series).map((s) => [s.t, s.v]))
      }
      const want = expectedSeries([spec], [new Matcher(MatchType.RE, '__name__', '.+')], 0, 1e15)
      assert.deepEqual(got, new Map(want.map((e) => [labelsToString(e.labels), e.samples.map((s) => [s.t, s.v] as [number, number])])))
    } finally {
      c.close()
    }
  })
})
