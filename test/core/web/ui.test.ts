/**
 * The querier's web UI in a real browser: Debian's headless Chromium driven by playwright-core
 * (no browser download), against a real querier over two real Prometheus HA replicas behind
 * our sidecars. Types queries, runs them, counts table rows and legend entries, reads the
 * graph's canvas pixels, uses autocompletion, follows shareable URLs, stops a store, and serves
 * the UI under a prefix. Screenshots go to test-artifacts/ui/ for people to look at.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import type {Browser, BrowserContext, Page} from 'playwright-core'
import {nopLogger} from '../../../src/core/log.js'
import {querierConfig, runQuerier, type QuerierConfig, type RunningQuerier} from '../../../src/core/query/querier.js'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import {samples, type SeriesSpec} from '../../helpers/openmetrics.js'
import {startPrometheusSet, type PrometheusHandle} from '../../helpers/prometheus.js'
import {startSidecar} from '../../helpers/sidecar.js'
import {ARTIFACTS, launchBrowser} from '../../helpers/browser.js'

// Functions passed to page.evaluate run in the browser. The test program is compiled without the
// DOM library (it would type Node's globals as the browser's), so the few browser globals those
// functions use are declared here, as narrowly as they are used.
interface CanvasLike {
  width: number
  height: number
  getContext(kind: '2d'): {getImageData(x: number, y: number, w: number, h: number): {data: Uint8ClampedArray}} | null
}
declare const document: {querySelector(selector: string): CanvasLike | null}
declare const location: {search: string}
declare function getComputedStyle(el: unknown): {backgroundColor: string}

const STEP = 30_000
// Two hours of data ending at the last whole step before now: a 1h graph is full, and an
// instant query at "now" finds samples within the 5m lookback for the whole run.
const COUNT = 240
// Set when the fixture starts, not when mocha loads the file: in the whole suite this file runs
// many minutes after loading, and "now" must stay within the lookback of the data's end.
let END = 0
let START = 0

function replicaSeries(replica: number): SeriesSpec[] {
  const out: SeriesSpec[] = []
  for (const [instance, rate] of [
    ['a', 5],
    ['b', 2],
  ] as const) {
    out.push({metric: 'http_requests', type: 'counter', labels: {job: 'api', instance}, samples: samples(START, STEP, COUNT, (i) => i * rate * 30 + replica)})
  }
  out.push({metric: 'node_temperature_celsius', type: 'gauge', labels: {room: 'server'}, samples: samples(START, STEP, COUNT, (i) => 21 + 3 * Math.sin(i / 20))})
  return out
}

function uiQuerierConfig(stores: string[], extra: Partial<QuerierConfig> = {}): QuerierConfig {
  // A long check period: the "stopped store" test queries before the next health check
  // notices (the store is still in the fan-out: a partial-response warning) and then forces one.
  return querierConfig(stores, nopLogger, {endpointCheckIntervalMs: 60_000, replicaLabels: ['replica'], queryTimeoutMs: 20_000, httpGracePeriodMs: 300, grpcGracePeriodMs: 300, ...extra})
}

describe('web UI in headless Chromium, over real Prometheus replicas, sidecars and a querier', function () {
  this.timeout(60_000)
  let proms: PrometheusHandle[] = []
  let sidecars: RunningSidecar[] = []
  let querier: RunningQuerier | undefined
  let browser: Browser | undefined
  let context: BrowserContext
  let base: string
  const pageErrors: string[] = []

  before(async function () {
    this.timeout(90_000)
    END = Math.floor(Date.now() / STEP) * STEP
    START = END - (COUNT - 1) * STEP
    const launching = launchBrowser()
    proms = await startPrometheusSet([
      {externalLabels: {cluster: 'eu1', replica: '0'}, series: replicaSeries(0)},
      {externalLabels: {cluster: 'eu1', replica: '1'}, series: replicaSeries(1)},
    ])
    sidecars = await Promise.all(proms.map((p) => startSidecar(p)))
    querier = await runQuerier(uiQuerierConfig(sidecars.map((s) => `127.0.0.1:${s.grpcPort}`), {prefixHeader: 'X-Forwarded-Prefix', flags: {'query.replica-label': 'replica', 'store': sidecars.map((s) => `127.0.0.1:${s.grpcPort}`).join(',')}}))
    assert.equal(querier.endpoints.storeRefs().length, 2)
    base = `http://127.0.0.1:${querier.httpPort}`
    browser = await launching
    context = await browser.newContext({viewport: {width: 1360, height: 860}, deviceScaleFactor: 1})
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

  async function open(url: string): Promise<Page> {
    const page = await context.newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().includes('/api/v1/')) pageErrors.push(`HTTP ${r.status()} for ${r.url()}`)
    })
    if (process.env.UI_DEBUG) page.on('request', (r) => console.log('    >', r.method(), r.url()))
    if (process.env.UI_DEBUG) page.on('console', (m) => console.log('    console:', m.text()))
    await page.goto(url)
    return page
  }

  async function typeExpr(page: Page, panel: number, text: string): Promise<void> {
    const editor = page.locator(`[data-testid=panel-${panel}] .cm-content`)
    await editor.click()
    await page.keyboard.press('Control+A')
    await page.keyboard.press('Backspace')
    await page.keyboard.type(text, {delay: 5})
    await page.keyboard.press('Escape') // close the completion popup, if any
  }

  async function execute(page: Page, panel: number): Promise<void> {
    await page.locator(`[data-testid=panel-${panel}] [data-testid=execute]`).click()
  }

  const rows = (page: Page, panel: number) => page.locator(`[data-testid=panel-${panel}] [data-testid=result-table] tr.result-row`)

  async function expectCount(what: () => Promise<number>, want: number, label: string): Promise<void> {
    const deadline = Date.now() + 10_000
    let got = await what()
    while (got !== want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
      got = await what()
    }
    assert.equal(got, want, label)
  }

  /** Pixels of the chart canvas close to a colour (the series' stroke), counted in the page. */
  async function pixelsOfColor(page: Page, panel: number, rgb: [number, number, number]): Promise<number> {
    return page.evaluate(
      ([sel, [r, g, b]]) => {
        const canvas = document.querySelector(sel)
        if (!canvas) return -1
        const ctx = canvas.getContext('2d')!
        const {data} = ctx.getImageData(0, 0, canvas.width, canvas.height)
        let n = 0
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3]! > 200 && Math.abs(data[i]! - r) < 40 && Math.abs(data[i + 1]! - g) < 40 && Math.abs(data[i + 2]! - b) < 40) n++
        }
        return n
      },
      [`[data-testid=panel-${panel}] [data-testid=graph-chart] canvas`, rgb] as const,
    )
  }

  it('serves the bundle: / redirects to /query, UI routes answer index.html, hashed assets are immutable and gzipped', async () => {
    const root = await fetch(`${base}/?g0.expr=up`, {redirect: 'manual'})
    assert.equal(root.status, 302)
    assert.equal(root.headers.get('location'), '/query?g0.expr=up')
    for (const route of ['/query', '/graph', '/stores', '/status', '/flags']) {
      const r = await fetch(base + route)
      assert.equal(r.status, 200, route)
      assert.match(r.headers.get('content-type') ?? '', /^text\/html/)
      assert.equal(r.headers.get('cache-control'), 'no-cache')
    }
    const html = await (await fetch(`${base}/query`)).text()
    const js = /src="(\/static\/main-[A-Z0-9]+\.js)"/.exec(html)?.[1]
    const css = /href="(\/static\/main-[A-Z0-9]+\.css)"/.exec(html)?.[1]
    assert.ok(js && css, html)
    const a = await fetch(base + js, {headers: {'accept-encoding': 'gzip'}})
    assert.equal(a.status, 200)
    assert.match(a.headers.get('content-type') ?? '', /^text\/javascript/)
    assert.match(a.headers.get('cache-control') ?? '', /immutable/)
    assert.equal(a.headers.get('content-encoding'), 'gzip')
    assert.ok((await a.text()).length > 100_000, 'the bundle holds CodeMirror and uPlot')
    assert.equal((await fetch(`${base}/static/nope-AAAAAAAA.js`)).status, 404)
    assert.equal((await fetch(`${base}/static/..%2Findex.html`)).status, 404)
    // --web.prefix-header: a proxy that adds a sub-path tells the page where its assets are
    const proxied = await (await fetch(`${base}/query`, {headers: {'X-Forwarded-Prefix': '/mon/thanos/'}})).text()
    assert.match(proxied, /src="\/mon\/thanos\/static\/main-[A-Z0-9]+\.js"/)
    assert.match(proxied, /content="\/mon\/thanos"/)
  })

  it('runs a typed query: the table has one row per series with deduplication, one per replica without', async () => {
    const page = await open(`${base}/query`)
    await typeExpr(page, 0, 'http_requests_total')
    await execute(page, 0)
    await expectCount(() => rows(page, 0).count(), 2, 'deduplicated: one row per instance')
    const text = await rows(page, 0).allInnerTexts()
    assert.ok(text.every((t) => t.includes('cluster="eu1"') && !t.includes('replica=')), text.join('\n'))
    assert.match(await page.locator('[data-testid=panel-0] [data-testid=stats]').innerText(), /Result series: 2/)
    await page.locator('[data-testid=panel-0] .check-note').getByText('removes "replica"').waitFor()
    await page.screenshot({path: path.join(ARTIFACTS, 'table-dedup.png')})

    await page.locator('[data-testid=panel-0] [data-testid=dedup]').uncheck()
    await expectCount(() => rows(page, 0).count(), 4, 'without dedup: each replica separately')
    const raw = (await rows(page, 0).allInnerTexts()).join('\n')
    assert.match(raw, /replica="0"/)
    assert.match(raw, /replica="1"/)
    assert.match(page.url(), /g0\.deduplicate=0/)
    await page.screenshot({path: path.join(ARTIFACTS, 'table-no-dedup.png')})
    await page.close()
  })

  it('draws the range query: the canvas holds both series, the legend lists them, stacked mode too', async () => {
    const page = await open(`${base}/query`)
    await typeExpr(page, 0, 'rate(http_requests_total[5m])')
    await page.locator('[data-testid=panel-0] [data-testid=tab-graph]').click()
    await execute(page, 0)
    const legend = page.locator('[data-testid=panel-0] .legend-item')
    await expectCount(() => legend.count(), 2, 'one legend entry per deduplicated series')
    const names = await legend.allInnerTexts()
    assert.ok(names.some((n) => n.includes('instance="a"')) && names.some((n) => n.includes('instance="b"')), names.join('\n'))
    // the first two palette colours (#1f77b4, #ff7f0e): each series left a line on the canvas
    const blue = await pixelsOfColor(page, 0, [0x1f, 0x77, 0xb4])
    const orange = await pixelsOfColor(page, 0, [0xff, 0x7f, 0x0e])
    assert.ok(blue > 200 && orange > 200, `series pixels: blue ${blue}, orange ${orange}`)
    // hovering the chart shows a tooltip with a value
    const box = (await page.locator('[data-testid=panel-0] .u-over').boundingBox())!
    await page.mouse.move(box.x + box.width * 0.6, box.y + 20)
    for (let y = 20; y < box.height - 5; y += 6) {
      await page.mouse.move(box.x + box.width * 0.6, box.y + y)
      if (await page.locator('[data-testid=panel-0] .graph-tooltip').isVisible()) break
    }
    assert.ok(await page.locator('[data-testid=panel-0] .graph-tooltip').isVisible(), 'tooltip on hover')
    assert.match(await page.locator('[data-testid=panel-0] .graph-tooltip').innerText(), /instance=".*: \d/)
    await page.screenshot({path: path.join(ARTIFACTS, 'graph.png')})

    await page.locator('[data-testid=panel-0] [data-testid=mode-stacked]').click()
    await page.waitForFunction(() => new URLSearchParams(location.search).get('g0.display_mode') === 'stacked')
    await page.mouse.move(0, 0)
    assert.ok((await pixelsOfColor(page, 0, [0xff, 0x7f, 0x0e])) > 200, 'stacked series drawn')
    await page.screenshot({path: path.join(ARTIFACTS, 'graph-stacked.png')})
    await page.close()
  })

  it('completes metric names, functions and label names from the API', async () => {
    const page = await open(`${base}/query`)
    const editor = page.locator('[data-testid=panel-0] .cm-content')
    const options = page.locator('.cm-tooltip-autocomplete li')
    await editor.click()
    await page.keyboard.type('http_req', {delay: 20})
    await options.filter({hasText: 'http_requests_total'}).first().waitFor({timeout: 10_000})
    await page.keyboard.press('Control+A')
    await page.keyboard.press('Backspace')
    await page.keyboard.type('rat', {delay: 20})
    await options.filter({hasText: /^rate/}).first().waitFor({timeout: 10_000})
    await page.keyboard.press('Control+A')
    await page.keyboard.press('Backspace')
    await page.keyboard.type('node_temperature_celsius{ro', {delay: 20})
    await options.filter({hasText: 'room'}).first().waitFor({timeout: 10_000})
    // A user sees the popup before pressing Enter (CodeMirror ignores an Enter in the popup's
    // first 75 ms, so a keystroke racing its opening cannot pick a completion by accident).
    await page.waitForTimeout(200)
    await page.keyboard.press('Enter') // accepts the completion, does not run the query
    await page.keyboard.type('="', {delay: 20})
    await options.filter({hasText: 'server'}).first().waitFor({timeout: 10_000})
    await page.screenshot({path: path.join(ARTIFACTS, 'autocomplete.png')})
    await page.waitForTimeout(200)
    await page.keyboard.press('Enter')
    assert.match(await editor.innerText(), /node_temperature_celsius\{room="server"/)
    assert.equal(await page.locator('[data-testid=panel-0] [data-testid=result-table]').count(), 0, 'Enter in the popup accepted a completion, it did not execute')
    await page.close()
  })

  it('shows a parse error inline while typing and as an error when run', async () => {
    const page = await open(`${base}/query`)
    // The editor closes brackets as they are typed, so the error is a missing operand.
    await typeExpr(page, 0, 'sum(rate(http_requests_total[5m])) /')
    // the linter marks the end of the input (a point: nothing there to underline)
    await page.locator('[data-testid=panel-0] .cm-lintRange-error, [data-testid=panel-0] .cm-lintPoint-error').first().waitFor({state: 'attached', timeout: 10_000}) // a point marker has no box of its own
    await execute(page, 0)
    const err = page.locator('[data-testid=panel-0] [data-testid=error]')
    await err.waitFor()
    assert.match(await err.innerText(), /parse error/)
    await page.screenshot({path: path.join(ARTIFACTS, 'parse-error.png')})
    await page.close()
  })

  it('restores panels from a shareable URL (Prometheus g0.* parameters plus Thanos deduplicate) and keeps it in sync', async () => {
    const q = new URLSearchParams({
      'g0.expr': 'http_requests_total',
      'g0.tab': '0', // Prometheus 2's numeric tab: graph
      'g0.range_input': '30m',
      'g0.deduplicate': '0',
      'g1.expr': 'node_temperature_celsius',
      'g1.tab': 'table',
    })
    const page = await open(`${base}/graph?${q}`)
    await expectCount(() => page.locator('[data-testid=panel-0] .legend-item').count(), 4, 'graph of both replicas: dedup off from the URL')
    assert.equal(await page.locator('[data-testid=panel-0] [data-testid=range]').inputValue(), '30m')
    assert.equal(await page.locator('[data-testid=panel-0] [data-testid=dedup]').isChecked(), false)
    assert.equal(await page.locator('[data-testid=panel-0] .cm-content').innerText(), 'http_requests_total')
    await expectCount(() => rows(page, 1).count(), 1, 'second panel: table, deduplicated')
    await page.locator('[data-testid=panel-0] [data-testid=dedup]').check()
    await expectCount(() => page.locator('[data-testid=panel-0] .legend-item').count(), 2, 'dedup on: two series')
    const params = new URL(page.url()).searchParams
    assert.equal(params.get('g0.deduplicate'), '1')
    assert.equal(params.get('g0.tab'), 'graph')
    assert.equal(params.get('g0.range_input'), '30m')
    assert.equal(params.get('g1.expr'), 'node_temperature_celsius')
    assert.equal(new URL(page.url()).pathname, '/graph', 'the path the link used is kept')
    await page.screenshot({path: path.join(ARTIFACTS, 'two-panels.png'), fullPage: true})
    await page.close()
  })

  it('status pages: runtime & build info with the replica labels, command-line flags', async () => {
    const page = await open(`${base}/query`)
    await page.locator('[data-testid=status-menu]').click()
    await page.getByRole('menuitem', {name: 'Runtime & build information'}).click()
    const dedup = page.locator('[data-testid=dedup-info]')
    await dedup.waitFor()
    assert.match(await dedup.innerText(), /Deduplication removes replica labels: replica/)
    // build info arrives by its own request: wait for it rather than reading the page once
    await page.locator('main').getByText('0.1.0', {exact: true}).waitFor({timeout: 10_000})
    await page.screenshot({path: path.join(ARTIFACTS, 'status.png'), fullPage: true})
    await page.locator('[data-testid=status-menu]').click()
    await page.getByRole('menuitem', {name: 'Command-line flags'}).click()
    await page.locator('[data-testid=flags-table]').waitFor()
    assert.equal(new URL(page.url()).pathname, '/flags')
    assert.match(await page.locator('[data-testid=flags-table]').innerText(), /--query\.replica-label\s+replica/)
    await page.screenshot({path: path.join(ARTIFACTS, 'flags.png')})
    await page.close()
  })

  it('shows PromQL infos beside the warnings, each labelled', async () => {
    // quantile(2, ...) warns; rate() over a gauge's name is an info (Prometheus 3's annotations)
    const expr = 'quantile(2, rate(node_temperature_celsius[5m]))'
    const page = await open(`${base}/query?${new URLSearchParams({'g0.expr': expr, 'g0.tab': 'table'})}`)
    const warnings = page.locator('[data-testid=panel-0] [data-testid=warnings]')
    const infos = page.locator('[data-testid=panel-0] [data-testid=infos]')
    await infos.waitFor({timeout: 15_000})
    assert.match(await warnings.innerText(), /^Warning:\s*PromQL warning: quantile value should be between 0 and 1, got 2 \(1:10\)$/)
    assert.match(await infos.innerText(), /^Info:\s*PromQL info: metric might not be a counter, name does not end in _total\/_sum\/_count\/_bucket: "node_temperature_celsius" \(1:18\)$/)
    // beside each other, the infos right after the warnings, both above the result
    const [w, i] = [await warnings.boundingBox(), await infos.boundingBox()]
    assert.ok(w && i && i.y >= w.y + w.height - 1 && i.y - (w.y + w.height) < 40, `infos under the warnings: ${JSON.stringify({w, i})}`)
    const bg = await infos.evaluate((el) => getComputedStyle(el).backgroundColor)
    assert.notEqual(bg, await warnings.evaluate((el) => getComputedStyle(el).backgroundColor), 'infos look apart from warnings')
    await page.screenshot({path: path.join(ARTIFACTS, 'annotations.png')})
    // a query without annotations shows neither
    await typeExpr(page, 0, 'node_temperature_celsius')
    await execute(page, 0)
    // the annotated answer had one row too: wait for the new answer itself (its row names the metric)
    await expectCount(async () => ((await rows(page, 0).allInnerTexts()).some((t) => t.includes('node_temperature_celsius')) ? 1 : 0), 1, 'the plain query answers')
    assert.equal(await rows(page, 0).count(), 1)
    assert.equal(await infos.count(), 0)
    assert.equal(await warnings.count(), 0)
    await page.close()
  })

  it('a stopped store: the query warns (partial response), the stores page shows it Down in red', async () => {
    const page = await open(`${base}/stores`)
    const storeRows = page.locator('[data-testid=store-row]')
    await expectCount(() => storeRows.count(), 2, 'both sidecars listed')
    await expectCount(() => page.locator('[data-testid=store-row][data-health=up]').count(), 2, 'both up')
    assert.match(await page.locator('[data-testid=store-group-sidecar]').innerText(), /cluster="eu1"/)
    await page.screenshot({path: path.join(ARTIFACTS, 'stores.png')})

    const stopped = `127.0.0.1:${sidecars[1]!.grpcPort}`
    await sidecars[1]!.lifecycle.stop()
    await page.goto(`${base}/query?${new URLSearchParams({'g0.expr': 'http_requests_total', 'g0.tab': 'table'})}`)
    const warning = page.locator('[data-testid=panel-0] [data-testid=warnings]')
    await warning.waitFor({timeout: 15_000})
    assert.match(await warning.innerText(), new RegExp(stopped.replace(/\./g, '\\.')))
    await expectCount(() => rows(page, 0).count(), 2, 'partial data from the live replica')
    await page.screenshot({path: path.join(ARTIFACTS, 'partial-response-warning.png')})

    await querier!.endpoints.update() // the next health check, now
    await page.goto(`${base}/stores`)
    const down = page.locator(`[data-testid=store-row][data-store="${stopped}"]`)
    await down.waitFor()
    assert.equal(await down.getAttribute('data-health'), 'down')
    assert.equal(await down.locator('.badge').innerText(), 'DOWN')
    const bg = await down.locator('.badge').evaluate((el) => getComputedStyle(el).backgroundColor)
    assert.equal(bg, 'rgb(196, 35, 27)', 'the Down badge is red')
    assert.ok((await down.locator('.last-error').innerText()).trim().length > 3, 'the last error is shown')
    await page.screenshot({path: path.join(ARTIFACTS, 'stores-down.png')})
    await page.close()
  })

  it('serves under --web.external-prefix (route prefix follows): assets, navigation and queries work at /thanos/', async () => {
    const q = await runQuerier(uiQuerierConfig([`127.0.0.1:${sidecars[0]!.grpcPort}`], {externalPrefix: 'http://monitoring.example/thanos/'}))
    try {
      const b = `http://127.0.0.1:${q.httpPort}`
      const page = await open(`${b}/thanos/`)
      await page.waitForURL(/\/thanos\/query$/)
      await typeExpr(page, 0, 'node_temperature_celsius')
      await execute(page, 0)
      await expectCount(() => rows(page, 0).count(), 1, 'query through /thanos/api/v1')
      await page.getByRole('link', {name: 'Stores'}).click()
      await page.waitForURL(/\/thanos\/stores$/)
      await expectCount(() => page.locator('[data-testid=store-row]').count(), 1, 'stores through /thanos/api/v1/stores')
      assert.equal((await fetch(`${b}/api/v1/query?query=1`)).status, 404, 'the API moved under the route prefix')
      await page.close()
    } finally {
      await q.lifecycle.stop()
    }
  })
})
