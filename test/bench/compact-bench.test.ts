/**
 * The compactor section of the bench: the OpenMetrics splitter and the block layout comparison
 * on their own, then `node dist/bench/run.js --smoke --compact-only` end to end (tiny data in a
 * temp cache: thanosts compact and the real thanos compact with and without downsampling, the
 * 30-day queries over thanosts and thanos store + query). No timing assertions: that both were
 * measured, made the same blocks, answered alike, that the markdown section is written and no
 * process is left.
 */
import assert from 'node:assert/strict'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {COMPACT_MODES, COMPACT_SIDES, layoutDiff, layoutOf, RANGE_QUERIES, RESOLUTIONS, splitOpenMetrics, T0} from '../../bench/compact-bench.js'
import type {BenchResults} from '../../bench/results.js'
import {pidAlive, startProcess, type ManagedProcess} from '../helpers/process.js'

const RUN_JS = fileURLToPath(new URL('../../bench/run.js', import.meta.url))
const HOUR = 3_600_000

describe('bench compact section: helpers', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'thanosts-bench-split-'))
  })
  after(async () => {
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  it('cuts OpenMetrics into one file per window, every family header in each', async () => {
    const s = (ms: number): string => (ms / 1000).toFixed(3)
    const om = ['# TYPE a gauge', `a{x="1"} 1 ${s(T0 + 5)}`, `a{x="1"} 2 ${s(T0 + 2 * HOUR + 5)}`, '# TYPE b counter', `b_total 3 ${s(T0 + 2 * HOUR - 1)}`, `b_total 4 ${s(T0 + 4 * HOUR + 1)}`, '# EOF', ''].join('\n')
    await writeFile(path.join(dir, 'in.om'), om)
    const files = await splitOpenMetrics(path.join(dir, 'in.om'), dir, T0, 2 * HOUR, 3)
    const texts = await Promise.all(files.map((f) => readFile(f, 'utf8')))
    assert.deepEqual(texts, [
      `# TYPE a gauge\na{x="1"} 1 ${s(T0 + 5)}\n# TYPE b counter\nb_total 3 ${s(T0 + 2 * HOUR - 1)}\n# EOF\n`,
      `# TYPE a gauge\na{x="1"} 2 ${s(T0 + 2 * HOUR + 5)}\n# TYPE b counter\n# EOF\n`,
      `# TYPE a gauge\n# TYPE b counter\nb_total 4 ${s(T0 + 4 * HOUR + 1)}\n# EOF\n`,
    ])
    await writeFile(path.join(dir, 'late.om'), `# TYPE a gauge\na 1 ${s(T0 + 6 * HOUR)}\n# EOF\n`)
    await assert.rejects(splitOpenMetrics(path.join(dir, 'late.om'), dir, T0, 2 * HOUR, 3), /outside the 3 windows/)
  })

  it('describes block layouts in hours from the start and names what only one side has', () => {
    const b = (resolution: number, from: number, to: number, level: number, sources: number): Parameters<typeof layoutOf>[0][number] => ({resolution, minTime: T0 + from * HOUR + 3217, maxTime: T0 + to * HOUR - 40_000, level, sources, series: 1, samples: 1})
    const ours = layoutOf([b(300_000, 0, 48, 3, 24), b(0, 48, 50, 1, 1), b(0, 0, 48, 3, 24)], T0)
    assert.deepEqual(ours, ['raw +0h..+48h level 3, 24 sources', '5m +0h..+48h level 3, 24 sources', 'raw +48h..+50h level 1, 1 sources'])
    assert.equal(layoutDiff(ours, [...ours].reverse()), undefined)
    assert.equal(layoutDiff(ours, ours.slice(1)), 'only thanosts: raw +0h..+48h level 3, 24 sources')
    assert.equal(layoutDiff(ours.slice(0, 1), ['raw +0h..+8h level 2, 4 sources']), 'only thanosts: raw +0h..+48h level 3, 24 sources — only thanos: raw +0h..+8h level 2, 4 sources')
  })
})

describe('bench compact section (--smoke --compact-only)', function () {
  this.timeout(240_000)
  let dir: string
  let results: BenchResults
  let markdown: string
  let bench: ManagedProcess | undefined

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'thanosts-bench-compact-'))
    const out = path.join(dir, 'benchmarks.md')
    bench = startProcess('bench', process.execPath, [RUN_JS, '--smoke', '--compact-only', '--cache-dir', path.join(dir, 'cache'), '--json', path.join(dir, 'results.json'), '--out', out])
    const code = await bench.waitExit()
    assert.equal(code, 0, `bench exited ${code}:\n${bench.output()}`)
    results = JSON.parse(await readFile(path.join(dir, 'results.json'), 'utf8')) as BenchResults
    markdown = await readFile(out, 'utf8')
  })

  after(async () => {
    await bench?.stop(30_000)
    if (dir) await rm(dir, {recursive: true, force: true})
  })

  it('compacts the same input with thanosts and thanos, with and without downsampling, into the same blocks', () => {
    const c = results.compact!
    assert.ok(c, 'the compact section ran')
    assert.equal(results.queries.length, 0, 'no querier section')
    assert.equal(c.input.blocks, 25)
    assert.ok(c.input.samples > 0 && c.input.series > 0)
    assert.deepEqual(
      c.modes.map((m) => m.mode),
      [...COMPACT_MODES],
    )
    for (const m of c.modes) {
      assert.equal(m.layoutDiff, undefined, `${m.mode}: ${m.layoutDiff}`)
      for (const side of COMPACT_SIDES) {
        const s = m.sides[side]
        assert.equal(s.error, undefined, `${m.mode} ${side}: ${s.error}`)
        assert.equal(s.runs.length, c.runs)
        assert.ok(s.wallMs > 0 && s.cpuMs > 0 && s.peakRss > 0, `${m.mode} ${side}: ${JSON.stringify(s.runs)}`)
        assert.ok(Math.abs(s.samplesPerSec - (c.input.samples / s.wallMs) * 1000) < 1e-6)
      }
      assert.ok(Number.isFinite(m.wallRatio) && Number.isFinite(m.cpuRatio) && Number.isFinite(m.rssRatio))
    }
    const [off, on] = c.modes.map((m) => m.sides.ours.layout)
    // 2h → 8h → one 2d block; the newest 2h block is left alone; downsampling adds the 2d block's 5m copy.
    assert.ok(off!.includes('raw +0h..+48h level 3, 24 sources'), off!.join('\n'))
    assert.ok(!off!.some((l) => l.startsWith('5m')), off!.join('\n'))
    assert.deepEqual(
      on!.filter((l) => !l.startsWith('5m')),
      off,
    )
    assert.deepEqual(
      on!.filter((l) => l.startsWith('5m')),
      ['5m +0h..+48h level 3, 24 sources'],
    )
  })

  it('answers the 30-day queries over raw and 1h data alike from thanosts and thanos store + query', () => {
    const g = results.compact!.range
    assert.equal(g.error, undefined)
    assert.ok(g.input.blocks.some((l) => l.startsWith('1h')), `1h blocks in the bucket: ${g.input.blocks.join('; ')}`)
    assert.deepEqual(
      g.queries.map((q) => `${q.id}@${q.resolution}`),
      RANGE_QUERIES.flatMap((q) => RESOLUTIONS.map((r) => `${q.id}@${r}`)),
    )
    for (const q of g.queries) {
      assert.equal(q.error, undefined, `${q.id}@${q.resolution}: ${JSON.stringify(q.error)}`)
      assert.equal(q.diff, undefined, `${q.id}@${q.resolution}: ${q.diff}`)
      assert.ok(q.series > 0)
      for (const side of COMPACT_SIDES) assert.ok(q.ms[side] > 0 && q.times[side].length === results.reps, `${q.id} ${side}`)
    }
    assert.ok(Number.isFinite(g.ratio['0s']) && Number.isFinite(g.ratio['1h']))
  })

  it('writes its markdown section and leaves no process behind', () => {
    const a = markdown.indexOf('<!-- bench:compact:start -->')
    const b = markdown.indexOf('<!-- bench:compact:end -->')
    assert.ok(a >= 0 && b > a)
    const section = markdown.slice(a, b)
    assert.match(section, /thanosts compact vs thanos compact/)
    assert.match(section, /Noisy numbers/)
    for (const q of RANGE_QUERIES) assert.ok(section.includes(q.expr), q.id)
    const procs = results.compact!.processes
    // 2 modes × 2 compactors, then 2 stores and 2 queriers
    assert.equal(procs.length, 8)
    for (const p of procs) assert.equal(pidAlive(p.pid), false, `${p.name} (pid ${p.pid}) still alive`)
  })
})
