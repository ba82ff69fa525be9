/**
 * Which blocks the store selects, against the real Thanos as the oracle: `thanos tools bucket ls`
 * runs the same meta filters (label sharding by --selector.relabel-config, --min-time/--max-time,
 * deletion marks with --exclude-delete at delay 0) over a bucket of meta.json files with many
 * external label sets; our meta fetcher with our filters must keep exactly the blocks it lists.
 */
import assert from 'node:assert/strict'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {DELETION_MARK_FILENAME, writeMarker} from '../../../src/core/block/markers.js'
import {emptyThanosMeta, writeMeta, type BlockMeta} from '../../../src/core/block/meta.js'
import {newUlid} from '../../../src/core/block/ulid.js'
import {nopLogger} from '../../../src/core/log.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {ignoreDeletionMarkFilter, labelShardedFilter, timePartitionFilter} from '../../../src/core/storegateway/filters.js'
import {MetaFetcher} from '../../../src/core/storegateway/meta-fetcher.js'
import {parseSelectorRelabelConfig, selectorKeeps} from '../../../src/core/storegateway/selector-relabel.js'
import {parseTimeOrDuration} from '../../../src/core/storegateway/time-or-duration.js'
import {thanosListMetas} from '../block/fixtures.js'
import {peer} from '../../helpers/peers.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2024, 0, 1, 12)

describe('store gateway block selection vs thanos tools bucket ls', function () {
  this.timeout(120_000)
  let dir: string
  let bucket: FilesystemBucket
  let thanos: string
  const ids: string[] = []

  before(async () => {
    thanos = peer('thanos').path
    dir = await mkdtemp(path.join(tmpdir(), 'thanosts-sg-select-'))
    bucket = new FilesystemBucket({directory: dir})
    // 48 blocks: 4 clusters x 6 tenants x 2 time ranges; every fifth one marked for deletion.
    let k = 0
    for (const cluster of ['a', 'b', 'c', 'd']) {
      for (let t = 0; t < 6; t++) {
        for (const start of [T0, T0 + 2 * HOUR]) {
          const ulid = newUlid(start + k * 1000)
          const m: BlockMeta = {
            ulid,
            minTime: start,
            maxTime: start + 2 * HOUR,
            stats: {numSamples: 10, numSeries: 1, numChunks: 1},
            compaction: {level: 1, sources: [ulid]},
            version: 1,
            thanos: {...emptyThanosMeta(), labels: {cluster, tenant: `t${t}`, replica: String(k % 2)}, source: 'sidecar'},
          }
          await writeMeta(bucket, m)
          if (k % 5 === 0) await writeMarker(bucket, DELETION_MARK_FILENAME, {id: ulid, version: 1, deletion_time: Math.floor(Date.now() / 1000) - 60})
          ids.push(ulid)
          k++
        }
      }
    }
  })

  after(() => rm(dir, {recursive: true, force: true}))

  const CASES: {name: string; yaml: string; args?: string[]}[] = [
    {name: 'hashmod shard 0 of 3 on tenant', yaml: '- action: hashmod\n  source_labels: [tenant]\n  modulus: 3\n  target_label: shard\n- action: keep\n  source_labels: [shard]\n  regex: "0"\n'},
    {name: 'hashmod on two labels joined by a custom separator', yaml: '- action: hashmod\n  source_labels: [cluster, tenant]\n  separator: /\n  modulus: 4\n  target_label: s\n- action: drop\n  source_labels: [s]\n  regex: "0|3"\n'},
    {name: 'hashmod of the block ID', yaml: '- action: hashmod\n  source_labels: [__block_id]\n  modulus: 2\n  target_label: half\n- action: keep\n  source_labels: [half]\n  regex: "0"\n'},
    {name: 'drop by regex, keep by regex', yaml: '- action: drop\n  source_labels: [cluster]\n  regex: b|c\n- action: keep\n  source_labels: [tenant, replica]\n  regex: "t[0-3];1"\n'},
    {name: 'a missing label is empty', yaml: '- action: keep\n  source_labels: [nope, cluster]\n  regex: ";a"\n'},
    {name: 'no rules, a time range', yaml: '', args: ['--min-time=2024-01-01T14:00:00.001Z', '--max-time=2024-01-01T15:00:00Z']},
    {name: 'rules, a time range and deletion marks', yaml: '- action: keep\n  source_labels: [cluster]\n  regex: a|d\n', args: ['--min-time=2024-01-01T13:00:00Z', '--exclude-delete']},
  ]

  for (const c of CASES) {
    it(c.name, async () => {
      const args = [...(c.yaml ? [`--selector.relabel-config=${c.yaml}`] : []), ...(c.args ?? [])]
      const want = [...(await thanosListMetas(thanos, dir, args)).keys()].sort()
      const arg = (name: string): string | undefined => c.args?.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)
      const filters = [
        labelShardedFilter(parseSelectorRelabelConfig(c.yaml)),
        timePartitionFilter(parseTimeOrDuration(arg('min-time') ?? '0000-01-01T00:00:00Z'), parseTimeOrDuration(arg('max-time') ?? '9999-12-31T23:59:59Z')),
        ...(c.args?.includes('--exclude-delete') ? [ignoreDeletionMarkFilter(bucket, 0, 4, nopLogger)] : []),
      ]
      const r = await new MetaFetcher(bucket, {concurrency: 8, filters, logger: nopLogger}).fetch(new AbortController().signal)
      const got = [...r.metas.keys()].sort()
      assert.deepEqual(got, want)
      assert.ok(got.length > 0 && got.length < ids.length, `the case selects some blocks (${got.length} of ${ids.length})`)
    })
  }

  it('refuses actions a selector does not support and broken rules, naming them', () => {
    assert.throws(() => parseSelectorRelabelConfig('- action: replace\n  source_labels: [a]\n  target_label: b\n'), /unsupported relabel action: replace/)
    assert.throws(() => parseSelectorRelabelConfig('- source_labels: [a]\n'), /unsupported relabel action: replace/)
    assert.throws(() => parseSelectorRelabelConfig('- action: hashmod\n  source_labels: [a]\n  target_label: b\n'), /requires non-zero modulus/)
    assert.throws(() => parseSelectorRelabelConfig('- action: keep\n  regex: "(unclosed"\n'), /\[0\]\.regex/)
    assert.throws(() => parseSelectorRelabelConfig('- action: keep\n  sourcelabels: [a]\n'), /\[0\]\.sourcelabels: unknown key/)
    assert.throws(() => parseSelectorRelabelConfig('action: keep\n'), /want a list/)
    assert.deepEqual(parseSelectorRelabelConfig(''), [])
    assert.equal(selectorKeeps(parseSelectorRelabelConfig('- action: DROP\n  source_labels: [x]\n  regex: "1"\n'), {x: '1'}), false, 'actions are case-insensitive, as Prometheus')
  })
})
