/**
 * The whole story, end to end: the demo topology (3 real Prometheus servers scraping live, a
 * sidecar each, a deduplicating querier), one replica stopped for several scrape intervals and
 * restarted. Raw samples through the querier: deduplicated, no gap; without dedup, replica 0's
 * series has the gap; and asking the two replicas round-robin, as a plain load balancer in
 * front of them would, gives answers that disagree.
 */
import assert from 'node:assert/strict'
import {startDemo, type RunningDemo} from '../../../src/core/demo/demo.js'
import {nopLogger} from '../../../src/core/log.js'
import {PROMETHEUS_BIN} from '../../helpers/prometheus.js'

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

  before(async function () {
    const portBase = 20000 + Math.floor(Math.random() * 20000)
    demo = await startDemo({prometheusBinary: PROMETHEUS_BIN, portBase, scrapeInterval: '1s', logger: nopLogger})
    await new Promise((r) => setTimeout(r, 8_000))
    outageStart = Date.now()
    await demo.stopReplica('us1/0')
    await new Promise((r) => setTimeout(r, 8_000))
    await demo.startReplica('us1/0')
    outageEnd = Date.now()
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
})
