/**
 * The bench data set generator: deterministic, and shaped like real exporters (counters only
 * go down at a restart, histogram buckets are cumulative and +Inf equals _count).
 */
import assert from 'node:assert/strict'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {datasetHash, nativeSeriesOf, SMOKE_DATASET, writeOpenMetrics} from '../../bench/dataset.js'
import {NATIVE_HISTOGRAM_NAME} from '../../bench/native-histograms.js'

describe('bench data set', () => {
  let dir: string
  let text: string
  const END = Date.UTC(2026, 0, 1, 12)
  const p = {...SMOKE_DATASET, hours: 2}

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'thanosts-bench-data-'))
    writeOpenMetrics(path.join(dir, 'a.om'), p, END)
    text = await readFile(path.join(dir, 'a.om'), 'utf8')
  })
  after(() => rm(dir, {recursive: true, force: true}))

  /** Series (by their full sample-line head) → [t, v] pairs. */
  function parse(): Map<string, [number, number][]> {
    const m = new Map<string, [number, number][]>()
    for (const l of text.split('\n')) {
      if (!l || l.startsWith('#')) continue
      const i = l.lastIndexOf(' ', l.lastIndexOf(' ') - 1)
      const [v, t] = l.slice(i + 1).split(' ')
      const head = l.slice(0, i)
      if (!m.has(head)) m.set(head, [])
      m.get(head)!.push([Number(t) * 1000, v === '+Inf' ? Infinity : Number(v)])
    }
    return m
  }

  it('is deterministic, and the cache key follows the parameters', async () => {
    writeOpenMetrics(path.join(dir, 'b.om'), p, END)
    assert.equal(await readFile(path.join(dir, 'b.om'), 'utf8'), text)
    assert.equal(datasetHash(p), datasetHash({...p}))
    assert.notEqual(datasetHash(p), datasetHash({...p, seed: p.seed + 1}))
    assert.ok(text.endsWith('# EOF\n'))
  })

  it('writes every series with one sample per scrape, off whole seconds, in time order', () => {
    const series = parse()
    const n = (p.hours * 3_600_000) / p.scrapeIntervalMs
    assert.ok(series.size > 50)
    for (const [head, pts] of series) {
      assert.equal(pts.length, n, head)
      for (let i = 1; i < pts.length; i++) assert.ok(pts[i]![0] > pts[i - 1]![0], head)
      for (const [t] of pts) assert.notEqual(t % 1000, 0, `${head} at ${t}: on a whole second`)
      assert.ok(pts[0]![0] >= END - p.hours * 3_600_000 && pts.at(-1)![0] < END, head)
    }
  })

  it('keeps histograms cumulative, with +Inf equal to _count', () => {
    const series = parse()
    const buckets = [...series.keys()].filter((k) => k.startsWith('http_request_duration_seconds_bucket'))
    assert.ok(buckets.length > 0)
    const groups = new Map<string, string[]>()
    for (const k of buckets) {
      const g = k.replace(/,le="[^"]*"/, '')
      groups.set(g, [...(groups.get(g) ?? []), k])
    }
    for (const [g, ks] of groups) {
      const le = (k: string): number => (k.includes('le="+Inf"') ? Infinity : Number(/le="([^"]+)"/.exec(k)![1]))
      ks.sort((a, b) => le(a) - le(b))
      const count = series.get(g.replace('_bucket', '_count'))!
      for (let i = 0; i < count.length; i++) {
        for (let b = 1; b < ks.length; b++) assert.ok(series.get(ks[b]!)![i]![1] >= series.get(ks[b - 1]!)![i]![1], `${g} at ${i}`)
        assert.equal(series.get(ks.at(-1)!)![i]![1], count[i]![1])
      }
    }
  })

  it('lets counters go down only when the instance restarts (all its counters at once)', () => {
    const resetsByInstance = new Map<string, Set<number>>()
    for (const [head, pts] of parse()) {
      if (!/_total\{|_bucket\{|_count\{/.test(head)) continue
      const inst = /instance="([^"]+)"/.exec(head)![1]!
      for (let i = 1; i < pts.length; i++) {
        if (pts[i]![1] < pts[i - 1]![1]) {
          const set = resetsByInstance.get(inst) ?? new Set<number>()
          set.add(i)
          resetsByInstance.set(inst, set)
        }
      }
    }
    for (const [inst, at] of resetsByInstance) assert.equal(at.size, 1, `${inst} resets at ${[...at].join(', ')}`)
  })

  it('native histograms: 16 counter series of schema 3, 20 to 40 buckets, count the buckets\' sum, one reset each', () => {
    const all = nativeSeriesOf(p, END)
    assert.deepEqual(JSON.stringify(all), JSON.stringify(nativeSeriesOf(p, END)), 'deterministic')
    assert.equal(all.length, 16)
    const n = (p.hours * 3_600_000) / p.scrapeIntervalMs
    for (const s of all) {
      const key = s.labels.map((l) => `${l.name}=${l.value}`).join(',')
      assert.equal(s.labels[0]!.value, NATIVE_HISTOGRAM_NAME)
      assert.equal(s.ts.length, n, key)
      assert.equal(s.hs.length, n, key)
      let resets = 0
      for (let i = 0; i < n; i++) {
        const h = s.hs[i]!
        assert.equal(h.schema, 3, key)
        assert.ok(h.positiveBuckets.length >= 20 && h.positiveBuckets.length <= 40, `${key}: ${h.positiveBuckets.length} buckets`)
        let abs = 0
        let total = 0
        for (const d of h.positiveBuckets) {
          abs += d
          assert.ok(abs >= 0, key)
          total += abs
        }
        assert.equal(total + h.zeroCount, h.count, `${key} at ${i}`)
        if (i > 0 && h.count < s.hs[i - 1]!.count) resets++
      }
      assert.equal(resets, 1, key)
    }
  })
})
