/**
 * The demo on a bucket it is given (`--objstore.config-file`, here real S3: SeaweedFS): it works
 * under a prefix of its own inside the configured one, the history's blocks land there and the
 * store gateway answers from them, and stopping removes exactly what the demo put in the bucket.
 */
import assert from 'node:assert/strict'
import {startDemo, type RunningDemo} from '../../../src/core/demo/demo.js'
import {nopLogger} from '../../../src/core/log.js'
import type {Bucket} from '../../../src/core/objstore/bucket.js'
import {bucketFromConfig} from '../../../src/core/objstore/config.js'
import {PROMETHEUS_BIN, PROMTOOL_BIN} from '../../helpers/prometheus.js'
import {startSeaweedS3, type SeaweedS3} from '../../helpers/s3.js'

async function keys(b: Bucket, dir = ''): Promise<string[]> {
  const out: string[] = []
  for await (const k of b.iter(dir, {recursive: true})) out.push(k)
  return out.sort()
}

describe('demo: on a configured S3 bucket', function () {
  this.timeout(180_000)
  let s3: SeaweedS3
  let root: Bucket
  let demo: RunningDemo | undefined

  before(async function () {
    s3 = await startSeaweedS3()
    root = bucketFromConfig(s3.objstoreYaml())
    // someone else's object in the same bucket, under the same configured prefix
    await root.upload('team/other/keep.txt', Buffer.from('not the demo\'s'))
    const portBase = 20000 + Math.floor(Math.random() * 20000)
    demo = await startDemo({
      prometheusBinary: PROMETHEUS_BIN,
      promtoolBinary: PROMTOOL_BIN,
      portBase,
      scrapeInterval: '1s',
      objstoreConfig: s3.objstoreYaml({prefix: 'team'}),
      historyDays: 1,
      logger: nopLogger,
    })
  })

  after(async function () {
    await demo?.stop()
    await root?.close()
    await s3?.stop()
  })

  it('the history goes under a prefix of the demo\'s own, and the store gateway answers from it', async function () {
    const m = /prefix (team\/thanosts-demo-[^)]+)\)/.exec(demo!.bucket.description)
    assert.ok(m, demo!.bucket.description)
    assert.match(demo!.bucket.description, /^S3 /)
    const metas = (await keys(root, `${m[1]}/`)).filter((k) => k.endsWith('/meta.json'))
    assert.equal(metas.length, demo!.history!.blocks)
    assert.ok(demo!.history!.blocks >= 3 * 12, `${demo!.history!.blocks} blocks for a day of 3 replicas`)
    const time = String((demo!.history!.to - 2 * 3_600_000) / 1000)
    const r = (await (await fetch(`http://127.0.0.1:${demo!.queryHttp}/api/v1/query?${new URLSearchParams({query: 'count_over_time(up{cluster="eu1", job="prometheus"}[1h])', time})}`)).json()) as {
      data: {result: {metric: Record<string, string>; value: [number, string]}[]}
    }
    assert.equal(r.data.result.length, 3, JSON.stringify(r.data))
    for (const s of r.data.result) assert.equal(s.value[1], '120', s.metric.instance)
  })

  it('stopping removes what the demo put in the bucket, and nothing else', async function () {
    const prefix = /prefix (team\/thanosts-demo-[^)]+)\)/.exec(demo!.bucket.description)![1]!
    await demo!.stop()
    demo = undefined
    assert.deepEqual(await keys(root, `${prefix}/`), [])
    assert.deepEqual(await keys(root, 'team/other/'), ['team/other/keep.txt'])
  })
})
