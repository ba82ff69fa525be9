/**
 * "Explain deduplication" in the querier's web UI (issue 18), in Debian's headless Chromium
 * (playwright-core, launched as ui.test.ts does), over a real HA pair of Prometheus servers
 * behind our sidecars and querier. Replica 0 misses 30 minutes of `room="a"`; of `room="b"`
 * replica 0 misses one stretch and replica 1 a later, overlapping one, so that for 10 minutes
 * neither has data (the geometry of test/interop/explain.test.ts). The bands under the graph
 * are read back from the page at the graph's own time axis: what colour is drawn where, what
 * hovering says, what the request asked. Screenshots go to test-artifacts/ui/explain-*.png.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import type {Browser, BrowserContext, Page} from 'playwright-core'
import {nopLogger} from '../../../src/core/log.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../../src/core/query/querier.js'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import {samples} from '../../helpers/openmetrics.js'
import {startPrometheusSet, type PrometheusHandle} from '../../helpers/prometheus.js'
import {startSidecar} from '../../helpers/sidecar.js'
import {ARTIFACTS, launchBrowser} from '../../helpers/browser.js'

// page.evaluate runs these in the browser; the test program has no DOM library (see ui.test.ts)
interface ElementLike {
  getAttribute(name: string): string | null
  closest(selector: string): ElementLike | null
}
declare const document: {elementFromPoint(x: number, y: number): ElementLike | null}
declare function getComputedStyle(el: unknown): {fill: string; backgroundColor: string}

const MIN = 60_000
const HOUR = 60 * MIN
const SCRAPE = 15_000
/** Samples sit this far after each 15 s slot, away from step boundaries. */
const OFFSET = 4_321
/** ExplainBands.tsx draws its first row 2 px below the band's top, 12 px high. */
const ROW_MID = 2 + 6

describe('explain deduplication in the web UI: replica bands under the graph, in headless Chromium', function () {
  this.timeout(60_000)
  let proms: PrometheusHandle[] = []
  let sidecars: RunningSidecar[] = []
  let querier: RunningQuerier | undefined
  let browser: Browser | undefined
  let context: BrowserContext
  let base: string
  /** The graph's end: a whole minute, so that a 60 s step ends exactly there. */
  let END = 0
  let t0 = 0
  /** Replica 0 misses outageA of room="a"; of room="b" replica 0 misses holeR0, replica 1 holeR1. */
  let outageA: [number, number]
  let holeR0: [number, number]
  let holeR1: [number, number]
  const pageErrors: string[] = []

  before(async function () {
    this.timeout(120_000)
    const launching = launchBrowser()
    END = Math.floor(Date.now() / MIN) * MIN - 10 * MIN
    t0 = END - 5 * HOUR + OFFSET
    outageA = [END - 2.5 * HOUR, END - 2 * HOUR]
    holeR0 = [END - 3 * HOUR, END - 2.5 * HOUR]
    holeR1 = [END - 2 * HOUR - 40 * MIN, END - 2 * HOUR - 10 * MIN]
    const n = Math.floor((5 * HOUR + 5 * MIN) / SCRAPE)
    const without = (h: [number, number]) => (i: number, t: number) => (t >= h[0] && t < h[1] ? undefined : 20 + (i % 7))
    proms = await startPrometheusSet(
      ([0, 1] as const).map((replica) => ({
        externalLabels: {cluster: 'eu1', replica: String(replica)},
        series: [
          {metric: 'explain_ui_gauge', type: 'gauge' as const, labels: {room: 'a'}, samples: samples(t0, SCRAPE, n, replica === 0 ? without(outageA) : (i) => 20 + (i % 7))},
          {metric: 'explain_ui_gauge', type: 'gauge' as const, labels: {room: 'b'}, samples: samples(t0, SCRAPE, n, without(replica === 0 ? holeR0 : holeR1))},
        ],
      })),
    )
    // replica 0 first: on equal timestamps the first replica wins the tie
    sidecars = await Promise.all(proms.map((p) => startSidecar(p)))
    querier = await runQuerier(
      querierConfig(
        sidecars.map((s) => `127.0.0.1:${s.grpcPort}`),
        nopLogger,
        {replicaLabels: ['replica'], queryTimeoutMs: 20_000, httpGracePeriodMs: 300, grpcGracePeriodMs: 300},
      ),
    )
    assert.equal(querier.endpoints.storeRefs().length, 2)
    base = `http://127.0.0.1:${querier.httpPort}`
    browser = await launching
    context = await browser.newContext({viewport: {width: 1360, height: 1000}, deviceScaleFactor: 1})
  })

  after(async function () {
    await browser?.close()
    await querier?.lifecycle.stop()
    await Promise.all(sidecars.map((s) => s.lifecycle.stop()))
    await Promise.all(proms.map((p) => p.stop()))
  })

  afterEach(function () {
    const errs = pageErrors.splice(0)
    assert.deepEqual(errs, [], 'JavaScript errors in the page')
  })

  /** Bodies of the page's query requests, in order. */
  interface Opened {
    page: Page
    queries: URLSearchParams[]
  }

  async function open(query: Record<string, string>): Promise<Opened> {
    const page = await context.newPage()
    const queries: URLSearchParams[] = []
    page.on('pageerror', (e) => pageErrors.push(e.message))
    page.on('request', (r) => {
      if (/\/api\/v1\/query(_range)?$/.test(new URL(r.url()).pathname)) queries.push(new URLSearchParams(r.postData() ?? ''))
    })
    await page.goto(`${base}/query?${new URLSearchParams(query)}`)
    return {page, queries}
  }

  const graphUrl = (extra: Record<string, string> = {}) => ({
    'g0.expr': 'explain_ui_gauge',
    'g0.tab': 'graph',
    'g0.range_input': '4h',
    'g0.end_input': new Date(END).toISOString(),
    'g0.res_type': 'fixed',
    'g0.res_step': '60',
    ...extra,
  })

  async function until(what: () => Promise<boolean>, label: string): Promise<void> {
    const deadline = Date.now() + 15_000
    while (!(await what())) {
      if (Date.now() > deadline) assert.fail(label)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  const band = (page: Page, room: string) => page.locator(`[data-testid=explain-band][data-series*='room="${room}"']`)

  /** The screen point of time `t` (ms) in a band's first row, on the graph's time axis. */
  async function pointAt(page: Page, room: string, t: number): Promise<{x: number; y: number}> {
    const wrap = page.locator('[data-testid=explain-bands]')
    const start = Number(await wrap.getAttribute('data-start'))
    const end = Number(await wrap.getAttribute('data-end'))
    const svg = (await band(page, room).locator('svg').boundingBox())!
    return {x: svg.x + ((t - start) / (end - start)) * svg.width, y: svg.y + ROW_MID}
  }

  /** What is drawn at time `t` in a band: span (with its replica and colour), hole, or nothing. */
  async function drawnAt(page: Page, room: string, t: number): Promise<{kind: string | null; replica: string | null; fill: string | null}> {
    const p = await pointAt(page, room, t)
    return page.evaluate(([x, y]) => {
      const el = document.elementFromPoint(x, y)
      if (!el) return {kind: null, replica: null, fill: null}
      return {kind: el.getAttribute('class'), replica: el.getAttribute('data-replica'), fill: getComputedStyle(el).fill}
    }, [p.x, p.y] as const)
  }

  async function legendColor(page: Page, replica: string): Promise<string> {
    return page.locator(`[data-testid=explain-legend-item][data-replica='${replica}'] .swatch`).evaluate((el) => getComputedStyle(el).backgroundColor)
  }

  it('with the switch on: one band per series on the graph axis, the outage in replica 1, the hole hatched, hover names the replica and store', async function () {
    const {page, queries} = await open(graphUrl())
    await page.locator('[data-testid=panel-0] .legend-item').nth(1).waitFor()
    assert.equal(await page.locator('[data-testid=explain-bands]').count(), 0, 'no bands before the switch is on')
    await page.locator('[data-testid=panel-0] [data-testid=explain]').check()
    await page.locator('[data-testid=explain-band]').nth(1).waitFor()
    await until(async () => new URL(page.url()).searchParams.get('g0.explain') === '1', 'the switch is kept in the URL')

    const last = queries[queries.length - 1]!
    assert.equal(last.get('explain'), 'true', 'the graph asks with explain=true')
    assert.equal(last.get('dedup'), 'true')
    assert.equal(await page.locator('[data-testid=explain-band]').count(), 2, 'one band per result series')
    assert.deepEqual(await page.locator('[data-testid=explain-band]').evaluateAll((els) => els.map((e) => e.getAttribute('data-series'))), [
      'explain_ui_gauge{cluster="eu1", room="a"}',
      'explain_ui_gauge{cluster="eu1", room="b"}',
    ])

    // the bands share the graph's time axis: the same left edge and width as uPlot's plot area
    const over = (await page.locator('[data-testid=panel-0] .u-over').boundingBox())!
    for (const room of ['a', 'b']) {
      const svg = (await band(page, room).locator('svg').boundingBox())!
      assert.ok(Math.abs(svg.x - over.x) <= 1 && Math.abs(svg.width - over.width) <= 1, `band ${room} at ${svg.x}+${svg.width}, plot area at ${over.x}+${over.width}`)
    }

    const r0 = '{replica="0"}'
    const r1 = '{replica="1"}'
    const c0 = await legendColor(page, r0)
    const c1 = await legendColor(page, r1)
    assert.notEqual(c0, c1, 'each replica has its own colour')
    const mid = (h: [number, number]) => (h[0] + h[1]) / 2

    // room="a": replica 0 before its outage, replica 1 over it (and after: nothing to switch back for)
    assert.deepEqual(await drawnAt(page, 'a', END - 3.5 * HOUR), {kind: 'explain-span', replica: r0, fill: c0})
    assert.deepEqual(await drawnAt(page, 'a', mid(outageA)), {kind: 'explain-span', replica: r1, fill: c1}, "replica 0's outage is served by replica 1")
    assert.equal(await band(page, 'a').locator('.explain-hole').count(), 0, 'replica 1 filled the outage: no hole')
    const switchesA = await band(page, 'a').locator('.explain-switch').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-at'))))
    assert.equal(switchesA.length, 1)
    assert.ok(switchesA[0]! * 1000 >= outageA[0] && switchesA[0]! * 1000 <= outageA[0] + 4 * SCRAPE, `the switch follows the outage's start: ${switchesA[0]}`)

    // room="b": replica 0, replica 1 over replica 0's outage, a hole where neither had data, replica 0 again
    assert.deepEqual(await drawnAt(page, 'b', END - 3.5 * HOUR), {kind: 'explain-span', replica: r0, fill: c0})
    assert.deepEqual(await drawnAt(page, 'b', (holeR0[0] + holeR1[0]) / 2), {kind: 'explain-span', replica: r1, fill: c1})
    const hole = await drawnAt(page, 'b', (holeR1[0] + holeR0[1]) / 2)
    assert.equal(hole.kind, 'explain-hole', 'the stretch neither replica has is drawn as a hole')
    assert.deepEqual(await drawnAt(page, 'b', END - HOUR), {kind: 'explain-span', replica: r0, fill: c0})
    assert.equal(await band(page, 'b').locator('.explain-switch').count(), 2)
    assert.equal(await page.locator('[data-testid=explain-legend-item]').count(), 2, 'the legend names both replicas')

    // hovering the outage stretch names the replica, its store and its samples
    const tip = page.locator('[data-testid=explain-tooltip]')
    const pa = await pointAt(page, 'a', mid(outageA))
    await page.mouse.move(pa.x, pa.y)
    await tip.waitFor()
    const text = await tip.innerText()
    assert.match(text, new RegExp(`served by \\{replica="1"\\} @ 127\\.0\\.0\\.1:${sidecars[1]!.grpcPort}`))
    assert.match(text, /\d+ samples/)
    const ph = await pointAt(page, 'b', (holeR1[0] + holeR0[1]) / 2)
    await page.mouse.move(ph.x, ph.y)
    await until(async () => /hole: no replica had data/.test(await tip.innerText()), 'hovering the hole says so')
    await page.screenshot({path: path.join(ARTIFACTS, 'explain-graph.png'), fullPage: true})
    await page.mouse.move(0, 0)
    await until(async () => (await tip.count()) === 0, 'the tooltip goes when the pointer leaves')

    // the switch off: the next request has no explain parameter, the bands go
    await page.locator('[data-testid=panel-0] [data-testid=explain]').uncheck()
    await until(async () => (await page.locator('[data-testid=explain-bands]').count()) === 0, 'bands gone with the switch off')
    await until(async () => queries[queries.length - 1]!.get('explain') === null && queries.length >= 3, 'a new request without explain')
    assert.equal(new URL(page.url()).searchParams.get('g0.explain'), null)
    await page.close()
  })

  it('without deduplication the switch is disabled and nothing asks for explain, though the URL keeps it on', async function () {
    const {page, queries} = await open(graphUrl({'g0.explain': '1', 'g0.deduplicate': '0'}))
    await page.locator('[data-testid=panel-0] .legend-item').nth(3).waitFor()
    const box = page.locator('[data-testid=panel-0] [data-testid=explain]')
    assert.equal(await box.isChecked(), true)
    assert.equal(await box.isDisabled(), true)
    assert.ok(queries.length > 0 && queries.every((q) => q.get('explain') === null && q.get('dedup') === 'false'))
    assert.equal(await page.locator('[data-testid=explain-bands]').count(), 0)
    // dedup back on: the remembered switch applies
    await page.locator('[data-testid=panel-0] [data-testid=dedup]').check()
    await page.locator('[data-testid=explain-band]').nth(1).waitFor()
    assert.equal(queries[queries.length - 1]!.get('explain'), 'true')
    await page.close()
  })

  it('the table tab lists the spans per series, in time order, with the serving replica and store', async function () {
    // 2 minutes into replica 0's outage of room="b": the 5 m lookback holds its last samples, then replica 1's
    const at = new Date(holeR0[0] + 2 * MIN).toISOString()
    const {page, queries} = await open({'g0.expr': 'explain_ui_gauge', 'g0.tab': 'table', 'g0.end_input': at, 'g0.explain': '1'})
    const listed = page.locator('[data-testid=explain-table] [data-testid=explain-series]')
    await listed.nth(1).waitFor()
    assert.equal(queries[queries.length - 1]!.get('explain'), 'true')
    const replicas = async (room: string) =>
      page.locator(`[data-testid=explain-series][data-series*='room="${room}"'] .explain-span-row`).evaluateAll((els) => els.map((e) => e.getAttribute('data-replica')))
    // the instant query's lookback window: room a has replica 0 alone, room b switched to replica 1
    assert.deepEqual(await replicas('a'), ['{replica="0"}'])
    assert.deepEqual(await replicas('b'), ['{replica="0"}', '{replica="1"}'])
    assert.match(await listed.nth(1).innerText(), new RegExp(`\\{replica="1"\\} @ 127\\.0\\.0\\.1:${sidecars[1]!.grpcPort}`))
    await page.screenshot({path: path.join(ARTIFACTS, 'explain-table.png'), fullPage: true})
    await page.close()
  })

  it('an aggregation: one band for its one result series, a row per series that fed it', async function () {
    const {page} = await open(graphUrl({'g0.expr': 'sum by (cluster) (explain_ui_gauge)', 'g0.explain': '1'}))
    const bands = page.locator('[data-testid=explain-band]')
    await bands.first().waitFor()
    assert.equal(await bands.count(), 1)
    assert.equal(await bands.first().getAttribute('data-series'), '{cluster="eu1"}')
    assert.deepEqual(await bands.first().locator('.explain-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-input'))), [
      'explain_ui_gauge{cluster="eu1", room="a"}',
      'explain_ui_gauge{cluster="eu1", room="b"}',
    ])
    // the second row is room="b": its hole is drawn there, not in room="a"'s row
    assert.equal(await bands.first().locator('.explain-row').nth(0).locator('.explain-hole').count(), 0)
    assert.equal(await bands.first().locator('.explain-row').nth(1).locator('.explain-hole').count(), 1)
    await page.screenshot({path: path.join(ARTIFACTS, 'explain-aggregation.png'), fullPage: true})
    await page.close()
  })
})
