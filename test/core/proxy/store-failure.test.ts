/**
 * A store that dies in the middle of a query is a failed store, not a canceled query. Real
 * Prometheus replicas with a lot of backfilled data behind our sidecars run as separate
 * processes, a real querier, a dozen clients running long range queries; one Prometheus is
 * frozen (SIGSTOP) mid-stream and its sidecar killed (SIGKILL). With partial response every
 * answer is a 200, warning about the failed store where it was asked; without, the store's
 * error. A 499 (canceled) is only for a client that went away.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import {nopLogger} from '../../../src/core/log.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../../src/core/query/querier.js'
import {samples, type SeriesSpec} from '../../helpers/openmetrics.js'
import {freePort} from '../../helpers/ports.js'
import {startProcess, waitForHttpOk, type ManagedProcess} from '../../helpers/process.js'
import {startPrometheusSet, type PrometheusHandle} from '../../helpers/prometheus.js'

const BIN = path.resolve('bin/run.js')
const STEP = 15_000
const N = 2880 // 12 h
const SERIES = 150
const T0 = Date.UTC(2024, 6, 1)
const END = T0 + (N - 1) * STEP

interface Answer {
  partial: boolean
  status: number
  body: {status: string; errorType?: string; error?: string; warnings?: string[]}
  startedMs: number
  ms: number
  /** the stores in the querier's fan-out when the query began and when it ended */
  fanOut: string[]
}

function replicaSeries(replica: number): SeriesSpec[] {
  const out: SeriesSpec[] = []
  for (let k = 0; k < SERIES; k++) {
    out.push({metric: 'work', type: 'counter', labels: {job: `j${k % 10}`, instance: `i${k}`}, samples: samples(T0, STEP, N, (i) => i * (k + 1) + replica)})
  }
  return out
}

async function startSidecarProcess(prom: PrometheusHandle, name: string): Promise<{proc: ManagedProcess; address: string}> {
  const [grpc, http] = [await freePort(), await freePort()]
  const proc = startProcess(name, process.execPath, [BIN, 'sidecar', `--prometheus.url=${prom.url}`, `--grpc-address=127.0.0.1:${grpc}`, `--http-address=127.0.0.1:${http}`, '--grpc-grace-period=1s', '--http-grace-period=1s', '--log.level=error'])
  await waitForHttpOk(`http://127.0.0.1:${http}/-/ready`, proc, 60_000)
  return {proc, address: `127.0.0.1:${grpc}`}
}

describe('a store dying mid-stream under load: failed store, not canceled query', function () {
  this.timeout(300_000)
  let proms: PrometheusHandle[] = []
  let sidecars: {proc: ManagedProcess; address: string}[] = []
  let queriers: RunningQuerier[] = []

  before(async function () {
    this.timeout(240_000)
    proms = await startPrometheusSet([0, 1, 2, 3].map((r) => ({externalLabels: {cluster: 'eu', replica: String(r)}, series: replicaSeries(r)})))
    // one after the other: free ports are picked by binding and releasing, so two at once can collide
    for (const [i, p] of proms.entries()) sidecars.push(await startSidecarProcess(p, `sidecar-${i}`))
    // One querier per scenario, each over a store that will fail and one that stays healthy
    // (replica 2). A long health-check period keeps a dead store in the fan-out for the run.
    const cfg = (stores: number[], queryTimeoutMs: number) =>
      querierConfig(stores.map((i) => sidecars[i]!.address), nopLogger, {replicaLabels: ['replica'], endpointCheckIntervalMs: 120_000, queryTimeoutMs, maxConcurrent: 20, httpGracePeriodMs: 500, grpcGracePeriodMs: 500})
    queriers = [await runQuerier(cfg([0, 2], 4_000)), await runQuerier(cfg([0, 2], 60_000)), await runQuerier(cfg([1, 2], 60_000)), await runQuerier(cfg([3, 2], 60_000))]
    const deadline = Date.now() + 30_000
    while (queriers.some((q) => q.endpoints.storeRefs().length < 2)) {
      if (Date.now() > deadline) throw new Error('a querier does not see both sidecars')
      await new Promise((r) => setTimeout(r, 100))
    }
  })

  after(async function () {
    // a frozen Prometheus ignores SIGTERM until it runs again
    for (const p of proms) resume(p)
    await Promise.all(queriers.map((q) => q.lifecycle.stop()))
    await Promise.all(sidecars.map((s) => s.proc.stop(2000)))
    await Promise.all(proms.map((p) => p.stop()))
  })

  function resume(p: PrometheusHandle): void {
    try {
      process.kill(p.pid(), 'SIGCONT')
    } catch {
      // gone
    }
  }

  async function ask(q: RunningQuerier, partial: boolean): Promise<Answer> {
    const startedMs = Date.now()
    const before = q.endpoints.storeRefs().map((x) => x.name)
    const params = new URLSearchParams({query: 'sum by (job) (rate(work_total[5m]))', start: String(T0 / 1000), end: String(END / 1000), step: '60', partial_response: String(partial)})
    const r = await fetch(`http://127.0.0.1:${q.httpPort}/api/v1/query_range`, {method: 'POST', headers: {'content-type': 'application/x-www-form-urlencoded'}, body: params.toString(), signal: AbortSignal.timeout(120_000)})
    const body = (await r.json()) as Answer['body']
    const after = new Set(q.endpoints.storeRefs().map((x) => x.name))
    return {partial, status: r.status, body, startedMs, ms: Date.now() - startedMs, fanOut: before.filter((x) => after.has(x))}
  }

  /** 12 clients (half with partial response) asking in a loop while `script` runs. */
  async function load(q: RunningQuerier, script: () => Promise<void>): Promise<{answers: Answer[]; lines: string[]}> {
    const answers: Answer[] = []
    let stop = false
    const t0 = Date.now()
    const clients = Array.from({length: 12}, async (_, c) => {
      while (!stop) answers.push(await ask(q, c % 2 === 0))
    })
    await script()
    stop = true
    await Promise.all(clients)
    const lines = answers.map((a) => `+${a.startedMs - t0}..+${a.startedMs + a.ms - t0} ms ${a.partial ? 'partial' : 'abort'} ${a.status} ${a.body.errorType ?? ''} ${(a.body.error ?? a.body.warnings?.join('; ') ?? '').slice(0, 200)}`)
    return {answers, lines}
  }

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

  function noCanceled(answers: readonly Answer[], lines: readonly string[]): void {
    assert.deepEqual(
      lines.filter((_, i) => answers[i]!.status === 499 || answers[i]!.body.errorType === 'canceled'),
      [],
      `no client that waited is told its query was canceled:\n${lines.join('\n')}`,
    )
  }

  it('a frozen store holds queries until the query timeout: 503 timeout for every client, not 499', async function () {
    const [short] = queriers
    const healthy = await ask(short!, false)
    assert.equal(healthy.status, 200, JSON.stringify(healthy.body).slice(0, 300))
    const {answers, lines} = await load(short!, async () => {
      await sleep(300)
      process.kill(proms[0]!.pid(), 'SIGSTOP')
      await sleep(6000)
    })
    resume(proms[0]!)
    noCanceled(answers, lines)
    const timedOut = answers.filter((a) => a.status === 503)
    assert.ok(timedOut.length >= 6, `queries held by the frozen store time out:\n${lines.join('\n')}`)
    for (const a of timedOut) assert.deepEqual(a.body, {status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation'})
    for (const [i, a] of answers.entries()) assert.ok(a.status === 200 || a.status === 503, lines[i])
  })

  it('a frozen store whose sidecar is killed: a warning naming it (partial response), its error without; never 499', async function () {
    const q = queriers[1]!
    const victim = sidecars[0]!
    let frozenAt = 0
    const {answers, lines} = await load(q, async () => {
      await sleep(300)
      process.kill(proms[0]!.pid(), 'SIGSTOP')
      frozenAt = Date.now()
      await sleep(4000)
      process.kill(victim.proc.pid, 'SIGKILL')
      await sleep(4000)
    })
    noCanceled(answers, lines)
    // a query that began after the freeze could not get replica 0's series before the kill
    checkFailedStore(answers, lines, victim.address, frozenAt)
  })

  it('a sidecar killed while its series stream: the same, never 499', async function () {
    const q = queriers[2]!
    const victim = sidecars[1]!
    let killedAt = 0
    const {answers, lines} = await load(q, async () => {
      await sleep(700)
      process.kill(victim.proc.pid, 'SIGKILL')
      killedAt = Date.now()
      await sleep(6000)
    })
    noCanceled(answers, lines)
    checkFailedStore(answers, lines, victim.address, killedAt)
    const streaming = answers.filter((a) => a.startedMs < killedAt && a.startedMs + a.ms > killedAt)
    assert.ok(streaming.length > 0, `queries were running at the kill:\n${lines.join('\n')}`)
  })

  it('a sidecar stopped (SIGTERM) while its streams hang on a frozen Prometheus: the same, never 499', async function () {
    // the sidecar's gRPC server gives in-flight streams its grace period (1s), then closes them
    const q = queriers[3]!
    const victim = sidecars[3]!
    let frozenAt = 0
    const {answers, lines} = await load(q, async () => {
      await sleep(300)
      process.kill(proms[3]!.pid(), 'SIGSTOP')
      frozenAt = Date.now()
      await sleep(2000)
      process.kill(victim.proc.pid, 'SIGTERM')
      await sleep(5000)
    })
    noCanceled(answers, lines)
    checkFailedStore(answers, lines, victim.address, frozenAt)
  })

  /**
   * Every answer is a 200 (partial response) or the store's error; those of queries begun once
   * the store could not answer any more (`failedAt`) warn about it or fail with its error.
   */
  function checkFailedStore(answers: readonly Answer[], lines: readonly string[], address: string, failedAt: number): void {
    const all = lines.join('\n')
    assert.ok(answers.length >= 12, all)
    for (const [i, a] of answers.entries()) {
      if (a.partial) assert.equal(a.status, 200, lines[i])
      else if (a.status !== 200) {
        assert.ok([422, 503].includes(a.status), lines[i])
        assert.equal(a.body.errorType, 'execution', lines[i])
        assert.ok(a.body.error!.includes(address), lines[i])
      }
    }
    // (the querier's health checks take a dead store out of the fan-out after a while)
    const struck = answers.filter((a) => a.startedMs >= failedAt && a.fanOut.includes(address))
    assert.ok(struck.length > 0, `queries began after the failure:\n${all}`)
    assert.ok(answers.some((a) => !a.partial && a.status !== 200), `a query without partial response failed with the store's error:\n${all}`)
    assert.ok(answers.some((a) => a.partial && a.body.warnings?.some((w) => w.includes(address))), `a query with partial response warned about the store:\n${all}`)
    for (const a of struck) {
      if (a.partial) assert.ok(a.body.warnings?.some((w) => w.includes(address)), `a warning names ${address}:\n${all}`)
      else assert.notEqual(a.status, 200, all)
    }
    if (process.env.STORE_FAILURE_VERBOSE) console.log(`        ${all.replace(/\n/g, '\n        ')}`)
  }
})
