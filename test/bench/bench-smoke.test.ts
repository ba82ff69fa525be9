/**
 * `npm run bench -- --smoke` end to end: the harness builds its tiny data set in a temp cache,
 * starts two real Prometheus replicas, our sidecars and queriers as processes, runs every
 * dashboard query against all three targets, and stops everything (the compactor section has
 * its own test, compact-bench.test.ts). No timing assertions:
 * only that every query was measured, every answer agrees with Prometheus, and nothing is left.
 */
import assert from 'node:assert/strict'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {QUERIES} from '../../bench/queries.js'
import {TARGET_KEYS, type BenchResults} from '../../bench/results.js'
import {STORE_QUERY_IDS, STORE_SIDES} from '../../bench/store-bench.js'
import {pidAlive, startProcess, type ManagedProcess} from '../helpers/process.js'

const RUN_JS = fileURLToPath(new URL('../../bench/run.js', import.meta.url))

describe('bench harness (--smoke)', function () {
  this.timeout(240_000)
  let dir: string
  let results: BenchResults
  let markdown: string
  let bench: ManagedProcess | undefined

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'thanosts-bench-'))
    const out = path.join(dir, 'benchmarks.md')
    bench = startProcess('bench', process.execPath, [RUN_JS, '--smoke', '--no-compact', '--cache-dir', path.join(dir, 'cache'), '--json', path.join(dir, 'results.json'), '--out', out])
    const code = await bench.waitExit()
    assert.equal(code, 0, `bench exited ${code}:\n${bench.output()}`)
    results = JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')) as BenchResults
    markdown = await readFile(out, 'utf8')
  })

  after(async () => {
    // If the run hung, SIGTERM lets the bench stop its own Prometheus, sidecars and queriers
    // (a SIGKILL from the root hook would orphan them).
    await bench?.stop(30_000)
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  it('measures every query against Prometheus, Q1, Q2 and real Thanos T1, T2', () => {
    assert.deepEqual(
      results.queries.map((q) => q.id),
      QUERIES.map((q) => q.id),
    )
    for (const q of results.queries) {
      for (const t of TARGET_KEYS) {
        assert.ok(Number.isFinite(q.ms[t]) && q.ms[t] > 0, `${q.id}: ${t} median ${q.ms[t]}`)
        assert.equal(q.times[t].length, results.reps)
        // CPU deltas are read for every process while each target answers.
        assert.equal(Object.keys(q.cpuMs[t]).length, 10, `${q.id} ${t}`)
        assert.ok(Object.values(q.cpuMs[t]).every((ms) => Number.isFinite(ms) && ms >= 0))
      }
      assert.ok(q.series > 0, `${q.id}: Prometheus returned no series`)
    }
    const g = results.geomean
    for (const x of [g.vsProm.q1, g.vsProm.q2, g.vsProm.t1, g.vsProm.t2, g.q1VsT1, g.q2VsT2]) assert.ok(Number.isFinite(x) && x > 0)
  })

  it('gets the same answers from thanosts and Thanos as from Prometheus', () => {
    for (const q of results.queries) assert.deepEqual(q.diffs, {}, q.id)
  })

  it('streams the same samples through the sidecar as remote read, and reads peak RSS', () => {
    const t = results.throughput!
    assert.ok(t.samplesMatch, `sidecar ${t.sidecar.samples} samples / ${t.sidecar.series} series, thanos sidecar ${t.thanosSidecar?.samples} / ${t.thanosSidecar?.series}, remote read ${t.remoteRead.samples} / ${t.remoteRead.series}`)
    assert.equal(t.remoteRead.samples, results.dataset.samples)
    assert.ok(t.ratio > 0 && t.thanosRatio! > 0)
    assert.equal(results.memory.length, 10)
    for (const m of results.memory) assert.ok(m.peakAfterQueries > 0 && m.peakEnd >= m.peakAfterQueries, `${m.name}: ${m.peakAfterQueries} / ${m.peakEnd}`)
    assert.equal(results.targets.length, 9)
  })

  it('writes the markdown section between its markers', () => {
    const a = markdown.indexOf('<!-- bench:results:start -->')
    const b = markdown.indexOf('<!-- bench:results:end -->')
    assert.ok(a >= 0 && b > a)
    for (const q of QUERIES) assert.ok(markdown.slice(a, b).includes(q.expr.replace(/\|/g, '\\|')), q.id)
    assert.match(markdown, /^## History$/m)
  })

  it('serves the bucket from thanosts store and thanos store alike, each behind its querier', () => {
    const s = results.store!
    assert.ok(s, 'the store section ran')
    assert.deepEqual(s.queries.map((q) => q.id).sort(), [...STORE_QUERY_IDS].sort())
    for (const q of s.queries) {
      assert.equal(q.diff, undefined, `${q.id}: ${q.diff}`)
      assert.ok(q.series > 0, `${q.id}: no series`)
      for (const side of STORE_SIDES) {
        assert.ok(Number.isFinite(q.coldMs[side]) && q.coldMs[side] > 0, `${q.id} ${side} cold ${q.coldMs[side]}`)
        assert.equal(q.times[side].length, results.reps)
        assert.ok(Number.isFinite(q.warmMs[side]) && q.warmMs[side] > 0, `${q.id} ${side} warm ${q.warmMs[side]}`)
        assert.ok(q.cpuMs[side].store >= 0 && q.cpuMs[side].querier >= 0)
      }
    }
    // Both stores stream every series of the data set, chunk for chunk.
    assert.equal(s.stream.ours.series, results.dataset.series)
    assert.deepEqual([s.stream.ours.series, s.stream.ours.chunks, s.stream.ours.samples], [s.stream.theirs.series, s.stream.theirs.chunks, s.stream.theirs.samples])
    assert.equal(s.stream.ours.samples, results.dataset.samples)
    for (const side of STORE_SIDES) assert.ok(s.peakRss[side] > 0, `${side} store RSS ${s.peakRss[side]}`)
    assert.ok(Number.isFinite(s.coldRatio) && Number.isFinite(s.warmRatio) && Number.isFinite(s.cpuRatio))
    const a = markdown.indexOf('<!-- bench:store:start -->')
    const b = markdown.indexOf('<!-- bench:store:end -->')
    assert.ok(a > markdown.indexOf('<!-- bench:results:end -->') && b > a, 'the store section follows the querier section')
    assert.match(markdown.slice(a, b), /thanosts store vs thanos store/)
  })

  it('leaves no process behind', () => {
    assert.equal(results.processes.length, 10)
    for (const p of results.processes) assert.equal(pidAlive(p.pid), false, `${p.name} (pid ${p.pid}) still alive`)
    assert.equal(results.store!.processes.length, 4)
    for (const p of results.store!.processes) assert.equal(pidAlive(p.pid), false, `${p.name} (pid ${p.pid}) still alive`)
  })
})
