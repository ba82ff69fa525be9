/**
 * The store gateway over a real S3 (SeaweedFS) that goes down and comes back: a resync during the
 * outage fails, is counted and keeps the loaded blocks announced; queries fail with an error
 * naming what failed instead of crashing or hanging; once S3 is back the next sync serves a block
 * uploaded meanwhile, and queries answer again.
 */
import assert from 'node:assert/strict'
import {labelsToString} from '../../../src/core/labels/labels.js'
import {Matcher, MatchType} from '../../../src/core/labels/matcher.js'
import {createLogger} from '../../../src/core/log.js'
import type {Bucket} from '../../../src/core/objstore/bucket.js'
import {bucketFromConfig} from '../../../src/core/objstore/config.js'
import {StoreClient} from '../../../src/core/storeapi/store-client.js'
import {runStoreGateway, type RunningStoreGateway} from '../../../src/core/storegateway/store-gateway.js'
import {storeSamples, uploadBackfilled} from '../../helpers/bucket-blocks.js'
import {samples} from '../../helpers/openmetrics.js'
import {startSeaweedS3, type SeaweedS3} from '../../helpers/s3.js'
import {seaweedOutage, type SeaweedOutage} from '../../helpers/seaweed-restart.js'
import {storeGatewayConfig} from '../../helpers/store-gateway.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2024, 0, 1, 12)
const up = (job: string, start: number) => ({metric: 'up', labels: {job}, samples: samples(start, 60_000, 90, (i) => i)})

describe('store gateway through an S3 outage', function () {
  this.timeout(180_000)
  let s3: SeaweedS3
  let outage: SeaweedOutage
  let bucket: Bucket
  let gw: RunningStoreGateway
  let client: StoreClient
  const lines: string[] = []

  before(async function () {
    this.timeout(180_000)
    s3 = await startSeaweedS3()
    outage = seaweedOutage(s3)
    const yaml = s3.objstoreYaml({extra: {max_retries: 0}})
    bucket = bucketFromConfig(yaml)
    await uploadBackfilled(bucket, {series: [up('a', T0)], ext: {cluster: 'one'}})
    gw = await runStoreGateway(
      storeGatewayConfig({objstoreConfig: yaml, grpcGracePeriodMs: 200, httpGracePeriodMs: 200, blockSyncConcurrency: 2, blockMetaFetchConcurrency: 4, logger: createLogger({write: (l) => lines.push(l)})}),
    )
    client = new StoreClient(`127.0.0.1:${gw.grpcPort}`)
  })

  after(async function () {
    client?.close()
    await gw?.lifecycle.stop()
    await bucket?.close()
    await outage?.stop()
    await s3?.stop()
  })

  const series = async () => {
    const out = []
    for await (const f of client.series({minTime: T0, maxTime: T0 + 8 * HOUR, matchers: [new Matcher(MatchType.EQ, '__name__', 'up')], partialResponse: false}, new AbortController().signal)) if (f.series) out.push(f.series)
    return out
  }

  it('serves before the outage', async () => {
    const got = await series()
    assert.deepEqual(got.map((s) => labelsToString(s.labels)), ['up{cluster="one", job="a"}'])
    assert.equal(storeSamples(got[0]!).length, 90)
  })

  it('during the outage: the sync fails and is counted, Info keeps the blocks, a query fails cleanly', async () => {
    await outage.down()
    await assert.rejects(gw.sync())
    const text = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text()
    assert.match(text, /^thanos_blocks_meta_sync_failures_total [1-9]\d*$/m)
    assert.match(text, /^thanos_bucket_store_blocks_loaded 1$/m)
    assert.equal((await fetch(`http://127.0.0.1:${gw.httpPort}/-/ready`)).status, 200)
    const info = await client.info({timeoutMs: 5000})
    assert.deepEqual(info.labelSets.map(labelsToString), ['{cluster="one"}'])
    // The block's chunks were read before: this one needs new reads, which fail.
    await assert.rejects(
      (async () => {
        for await (const _ of client.series({minTime: T0, maxTime: T0 + 8 * HOUR, matchers: [new Matcher(MatchType.RE, 'job', 'a|b')], partialResponse: false}, new AbortController().signal)) void _
      })(),
      (e: unknown) => e instanceof Error && /code = UNAVAILABLE desc = .*[0-9A-Z]{26}/.test(e.message),
    )
  })

  it('after the outage: the next sync serves a block uploaded meanwhile, queries answer again', async () => {
    await outage.up()
    await uploadBackfilled(bucket, {series: [up('b', T0 + 4 * HOUR)], ext: {cluster: 'two'}})
    await gw.sync()
    const info = await client.info({timeoutMs: 5000})
    assert.deepEqual(info.labelSets.map(labelsToString).sort(), ['{cluster="one"}', '{cluster="two"}'])
    const got = await series()
    assert.deepEqual(got.map((s) => labelsToString(s.labels)), ['up{cluster="one", job="a"}', 'up{cluster="two", job="b"}'])
  })
})
