/**
 * The whole story, end to end: the demo topology (3 real Prometheus servers scraping live, a
 * sidecar each, a deduplicating querier), one replica stopped for several scrape intervals and
 * restarted. Raw samples through the querier: deduplicated, no gap; without dedup, replica 0's
 * series has the gap; and asking the two replicas round-robin, as a plain load balancer in
 * front of them would, gives answers that disagree. The outage runs as `thanosts demo --outage`
 * runs it, and the explain command the demo then prints is run as printed: it names replica 1
 * over replica 0's outage. The bucket: the store gateway is among the querier's stores, a range
 * older than anything the Prometheus servers hold comes back from the history the demo put in
 * the bucket, and the commands printed at start-up run as printed.
 */
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'
import {startDemo, type RunningDemo} from '../../../src/core/demo/demo.js'
import {explainView, outageWalkthrough, parseOutage, runOutage} from '../../../src/core/demo/outage.js'
import {startupWalkthrough} from '../../../src/core/demo/walkthrough.js'
import {nopLogger} from '../../../src/core/log.js'
import {PROMETHEUS_BIN, PROMTOOL_BIN} from '../../helpers/prometheus.js'
import {BIN} from '../../helpers/cli.js'

const execFileP = promisify(execFile)

/** Words of a printed command line as a POSIX shell splits it (single quotes only: all the demo prints). */
function shellWords(line: string): string[] {
  const words: string[] = []
  let cur: string | null = null
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!
    if (ch === "'") {
      const close = line.indexOf("'", i + 1)
      assert.ok(close > i, `unbalanced quote in ${line}`)
      cur = (cur ?? '') + line.slice(i + 1, close)
      i = close
    } else if (ch === '\\' && line[i + 1] === "'") {
      cur = (cur ?? '') + "'"
      i++
    } else if (ch === ' ') {
      if (cur !== null) words.push(cur)
      cur = null
    } else cur = (cur ?? '') + ch
  }
  if (cur !== null) words.push(cur)
  return words
}

interface Matrix {
  data: {resultType: string; result: {metric: Record<string, string>; values: [number, string][]}[]}
}

function maxGap(values: [number, string][]): number {
  let gap = 0
  for (let i = 1; i < values.length; i++) gap = Math.max(gap, values[i]![0] - values[i - 1]![0])
  return gap
}

describe('demo: the HA-gap problem and its fix', function () {
  this.timeout(180_000)
  let demo: RunningDemo
  let outageStart = 0
  let outageEnd = 0
  /** What the demo prints after the outage. */
  let printed: string[] = []

  before(async function () {
    const portBase = 20000 + Math.floor(Math.random() * 20000)
    demo = await startDemo({prometheusBinary: PROMETHEUS_BIN, promtoolBinary: PROMTOOL_BIN, portBase, scrapeInterval: '1s', logger: nopLogger})
    const said: string[] = []
    const w = await runOutage(demo, parseOutage('us1/0:8s'), 8_000, (l) => said.push(l))
    assert.ok(w)
    assert.deepEqual(said, ['outage: stopping us1/0 for 8s'])
    outageStart = w.from
    outageEnd = w.to
    printed = outageWalkthrough(demo, w, explainView(demo, w, 1_000))
    // a restarted Prometheus 2.42 takes ~5s (its target-update tick) before it scrapes again
    await new Promise((r) => setTimeout(r, 12_000))
  })

  after(async function () {
    await demo?.stop()
  })

  async function rawSamples(url: string, selector: string, extra: Record<string, string> = {}): Promise<Matrix> {
    const now = Date.now() / 1000
    const r = await fetch(`${url}/api/v1/query?${new URLSearchParams({query: `${selector}[50s]`, time: String(now), ...extra})}`)
    assert.equal(r.status, 200)
    return (await r.json()) as Matrix
  }

  it('deduplicated: no gap; without dedup: replica 0 shows the gap', async function () {
    const q = `http://127.0.0.1:${demo.queryHttp}`
    const target = `127.0.0.1:${demo.replicas[2]!.promPort}` // us1/1 stays up all the time
    const sel = `up{cluster="us1", job="prometheus", instance="${target}"}`
    const dedup = await rawSamples(q, sel)
    assert.equal(dedup.data.result.length, 1, 'one series after dedup')
    assert.ok(!('replica' in dedup.data.result[0]!.metric))
    const outageSecs = (outageEnd - outageStart) / 1000
    // at a switch the penalty algorithm skips up to ~2 scrape intervals of the other replica (as Thanos)
    assert.ok(maxGap(dedup.data.result[0]!.values) < 5, `dedup max gap ${maxGap(dedup.data.result[0]!.values)}s`)
    const raw = await rawSamples(q, sel, {dedup: 'false'})
    const byReplica = new Map(raw.data.result.map((s) => [s.metric.replica, s.values]))
    assert.deepEqual([...byReplica.keys()].sort(), ['0', '1'])
    assert.ok(maxGap(byReplica.get('0')!) >= outageSecs - 2, `replica 0 gap ${maxGap(byReplica.get('0')!)}s, outage ${outageSecs}s`)
    assert.ok(maxGap(byReplica.get('1')!) < 3)
  })

  it('a round-robin load balancer over the two replicas gives answers that disagree', async function () {
    const us1 = demo.replicas.filter((r) => r.cluster === 'us1')
    const query = `count_over_time(up{job="prometheus", instance="127.0.0.1:${us1[1]!.promPort}"}[30s])`
    const time = String((outageStart + outageEnd) / 2000 + 4)
    const answers: string[] = []
    for (let i = 0; i < 4; i++) {
      const r = us1[i % 2]! // what nginx round-robin does
      const res = (await (await fetch(`http://127.0.0.1:${r.promPort}/api/v1/query?${new URLSearchParams({query, time})}`)).json()) as {data: {result: {value: [number, string]}[]}}
      answers.push(res.data.result[0]?.value[1] ?? 'none')
    }
    assert.equal(answers[0], answers[2])
    assert.equal(answers[1], answers[3])
    assert.notEqual(answers[0], answers[1], `the same query, alternately on each replica: ${answers.join(', ')}`)
    // through the querier the answer is the complete one, every time
    const q = (await (await fetch(`http://127.0.0.1:${demo.queryHttp}/api/v1/query?${new URLSearchParams({query, time})}`)).json()) as {data: {result: {value: [number, string]}[]}}
    // through the querier: close to the replica without the gap (the penalty algorithm may skip up
    // to two scrapes at a replica switch, as Thanos's), above the one with the gap
    const [gapped, whole, dedup] = [Math.min(Number(answers[0]), Number(answers[1])), Math.max(Number(answers[0]), Number(answers[1])), Number(q.data.result[0]!.value[1])]
    // replicas scrape at different offsets, so a switch can also add one sample to the window
    assert.ok(Math.abs(dedup - whole) <= 2, `dedup ${dedup} vs whole replica ${whole}`)
    assert.ok(dedup > gapped, `dedup ${dedup} vs gapped replica ${gapped}`)
  })

  it("the printed explain command, run as printed, names replica 1 over replica 0's outage; the printed UI link opens the explain view", async function () {
    const line = printed.find((l) => l.trim().startsWith('thanosts query-once') && l.includes('--explain'))
    assert.ok(line, printed.join('\n'))
    const words = shellWords(line.trim())
    assert.equal(words[0], 'thanosts')
    const r = await execFileP('node', [BIN, ...words.slice(1)], {env: {...process.env, NO_COLOR: '1'}, maxBuffer: 16 << 20})
    const out = r.stdout
    // the explain table: series, replica @ store, from, to, samples
    const cells = out
      .split('\n')
      .filter((l) => l.startsWith('│'))
      .map((l) => l.split('│').slice(1, -1).map((c) => c.trim()))
    const head = cells.findIndex((c) => c.includes('replica') && c.includes('samples'))
    assert.ok(head >= 0, out)
    const rows = cells.slice(head + 1)
    const us1 = demo.replicas.filter((x) => x.cluster === 'us1')
    const store1 = `127.0.0.1:${us1[1]!.sidecarGrpc}`
    const store0 = `127.0.0.1:${us1[0]!.sidecarGrpc}`
    // one block of rows per series (the series is printed on its first row): each of the three
    // targets us1 scrapes is served by replica 0 up to the outage and by replica 1 over it
    const blocks: string[][][] = []
    let switched = 0
    // each replica's first sample of each series in the explain window (lookback before --start)
    const start = Date.parse(words[words.indexOf('--start') + 1]!)
    const end = Date.parse(words[words.indexOf('--end') + 1]!)
    const raw = await fetch(
      `http://127.0.0.1:${demo.queryHttp}/api/v1/query?${new URLSearchParams({query: `${words[2]}[${(end - start) / 1000 + 300}s]`, time: String(end / 1000), dedup: 'false'})}`,
    )
    const firsts = new Map<string, Record<string, number>>()
    for (const s of ((await raw.json()) as Matrix).data.result) {
      const f = firsts.get(s.metric.instance!) ?? {}
      f[s.metric.replica!] = s.values[0]![0] * 1000
      firsts.set(s.metric.instance!, f)
    }
    for (const c of rows) {
      if (c[0] !== '') blocks.push([])
      blocks[blocks.length - 1]!.push(c)
    }
    assert.equal(blocks.length, 3, out)
    for (const b of blocks) {
      assert.match(b[0]![0]!, /^up\{cluster="us1", instance="127\.0\.0\.1:\d+", job="prometheus"\}$/)
      const spans = b.map((c) => ({who: c[1]!, from: Date.parse(c[2]!), to: Date.parse(c[3]!)}))
      const over = spans.find((s) => s.from <= outageStart + 5_000 && s.to >= outageEnd)
      assert.ok(over, `a span covers the outage ${new Date(outageStart).toISOString()}..${new Date(outageEnd).toISOString()}: ${JSON.stringify(spans)}`)
      assert.equal(over.who, `{replica="1"} @ ${store1}`, 'replica 1 serves the outage')
      // replica 0 before it, when replica 0 has the series' first sample in the window: the merge
      // starts with the earliest replica and keeps it while it has no gap (Thanos's penalty merge)
      const instance = /instance="([^"]+)"/.exec(b[0]![0]!)![1]!
      const first = firsts.get(instance)!
      const before = spans[spans.indexOf(over) - 1]
      if (first['0']! <= first['1']!) {
        switched++
        assert.ok(before, `replica 0 has the first sample of ${instance}, so it served before the outage:\n${out}`)
        assert.equal(before.who, `{replica="0"} @ ${store0}`)
        assert.ok(before.to <= outageStart + 2_000, `replica 0 until it stopped: ${new Date(before.to).toISOString()}`)
      } else assert.equal(before, undefined, `replica 1 led ${instance} from its first sample on`)
    }
    // us1/0 starts before us1/1 (the demo starts them in turn), so it scrapes first at least once
    assert.ok(switched > 0, `some series switched from replica 0 to replica 1 at the outage:\n${out}`)
    assert.ok(!out.includes('(hole'), 'replica 1 left no hole')
    assert.ok(printed.some((l) => l.includes(`replica "1" @ ${store1}`)), printed.join('\n'))

    const ui = printed.map((l) => l.trim()).find((l) => l.startsWith('http://'))
    assert.ok(ui, printed.join('\n'))
    const u = new URL(ui)
    assert.equal(u.searchParams.get('g0.explain'), '1')
    assert.equal(u.searchParams.get('g0.deduplicate'), '1')
    assert.equal(u.searchParams.get('g0.expr'), words[2])
    const page = await fetch(ui)
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/)
  })

  it('the store gateway over the bucket is one of the querier\'s stores, with every replica\'s blocks', async function () {
    const r = (await (await fetch(`http://127.0.0.1:${demo.queryHttp}/api/v1/stores`)).json()) as {data: Record<string, {name: string; lastError: string | null; labelSets: Record<string, string>[]; minTime: number}[]>}
    const store = (r.data.store ?? []).find((s) => s.name === `127.0.0.1:${demo.storeGrpc}`)
    assert.ok(store, JSON.stringify(r.data))
    assert.equal(store.lastError, null)
    assert.deepEqual(store.labelSets.map((l) => `${l.cluster}/${l.replica}`).sort(), ['eu1/0', 'us1/0', 'us1/1'])
    assert.ok(store.minTime <= demo.history!.from + 3_600_000, `the bucket's data starts ${new Date(store.minTime).toISOString()}`)
    assert.equal((r.data.sidecar ?? []).length, 3)
  })

  it("a range older than the Prometheus servers' data comes back from the bucket", async function () {
    const h = demo.history!
    const time = String((h.to - 2 * 3_600_000) / 1000)
    const query = 'count_over_time(up{cluster="us1", job="prometheus"}[1h])'
    // Prometheus itself has nothing then
    const own = (await (await fetch(`http://127.0.0.1:${demo.replicas[1]!.promPort}/api/v1/query?${new URLSearchParams({query, time})}`)).json()) as {data: {result: unknown[]}}
    assert.deepEqual(own.data.result, [])
    const r = (await (await fetch(`http://127.0.0.1:${demo.queryHttp}/api/v1/query?${new URLSearchParams({query, time})}`)).json()) as {data: {result: {metric: Record<string, string>; value: [number, string]}[]}}
    assert.deepEqual(r.data.result.map((s) => s.metric.instance).sort(), demo.replicas.map((x) => `127.0.0.1:${x.promPort}`).sort())
    // the history has a sample every 30 s: 120 an hour, deduplicated (one more where a replica switch lands)
    for (const s of r.data.result) assert.ok(Math.abs(Number(s.value[1]) - 120) <= 1, `${s.metric.instance}: ${s.value[1]} samples in the hour`)
  })

  it('the commands printed at start-up run as printed; the history ones answer from days back', async function () {
    const lines = startupWalkthrough(demo)
    assert.ok(lines.some((l) => l.includes(`StoreAPI 127.0.0.1:${demo.storeGrpc}`) && l.includes('store gateway')), lines.join('\n'))
    const cmds = lines.map((l) => l.trim()).filter((l) => l.startsWith('thanosts query-once'))
    assert.equal(cmds.length, 6, lines.join('\n'))
    for (const line of cmds) {
      const words = shellWords(line)
      const r = await execFileP('node', [BIN, ...words.slice(1)], {env: {...process.env, NO_COLOR: '1'}, maxBuffer: 16 << 20})
      assert.ok(!/no data|0 series/.test(r.stdout.split('\n')[0]!), `${line}\n${r.stdout}`)
      if (line.includes('[3d]')) {
        // 3 days at 30 s: 8640 samples per target, the live ones on top
        const values = r.stdout.split('\n').filter((l) => l.startsWith('│ 127.0.0.1')).map((l) => Number(l.split('│')[2]!.trim()))
        assert.equal(values.length, 3, r.stdout)
        for (const v of values) assert.ok(v >= 8600, `${v} samples over 3 days:\n${r.stdout}`)
      }
    }
  })

  it('--outage: a replica the demo does not have, or a bad duration, is a clear error', function () {
    assert.throws(() => parseOutage('us2/0:2m'), /no replica "us2\/0"; the demo has eu1\/0, us1\/0, us1\/1/)
    assert.throws(() => parseOutage('us1/0'), /must look like us1\/0:2m/)
    assert.throws(() => parseOutage('us1/0:soon'), /--outage "us1\/0:soon"/)
    assert.deepEqual(parseOutage('us1/1:1m30s'), {name: 'us1/1', ms: 90_000})
  })
})
