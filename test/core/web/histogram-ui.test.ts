/**
 * Native histograms in the web UI, in headless Chromium (as ui.test.ts): a real Prometheus 3
 * fed by remote write with one histogram series of known buckets, behind our sidecar and
 * querier. The table tab shows a histogram's count, sum and bucket table; the graph tab plots
 * functions of histograms and, for raw histogram series, says the table has them.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import type {Browser, BrowserContext, Page} from 'playwright-core'
import {Histogram} from '../../../src/core/histogram/histogram.js'
import {nopLogger} from '../../../src/core/log.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../../src/core/query/querier.js'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import {remoteWriteHistograms} from '../../helpers/native-histogram-remote-write.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'
import {startSidecar} from '../../helpers/sidecar.js'
import {ARTIFACTS, launchBrowser} from '../../helpers/browser.js'

interface CanvasLike {
  width: number
  height: number
  getContext(kind: '2d'): {getImageData(x: number, y: number, w: number, h: number): {data: Uint8ClampedArray}} | null
}
declare const document: {querySelector(selector: string): CanvasLike | null}

const STEP = 15_000
const N = 120 // 30 minutes
// set in before(), see ui.test.ts
let LAST = 0

/** Sample i (1..N): zero bucket i, (0.5,1] 2i, (1,2] 3i; count 6i, sum 10i. */
function sample(i: number): Histogram {
  return Histogram.of({schema: 0, zeroThreshold: 0.001, zeroCount: i, count: 6 * i, sum: 10 * i, positiveSpans: [0, 2], positiveBuckets: [2 * i, i]})
}

describe('web UI over native histograms (headless Chromium, Prometheus 3, our sidecar and querier)', function () {
  this.timeout(60_000)
  let prom: PrometheusHandle | undefined
  let sidecar: RunningSidecar | undefined
  let querier: RunningQuerier | undefined
  let browser: Browser | undefined
  let context: BrowserContext
  let base: string
  const pageErrors: string[] = []

  before(async function () {
    this.timeout(90_000)
    LAST = Math.floor((Date.now() - 60_000) / STEP) * STEP
    const t0 = LAST - (N - 1) * STEP
    const launching = launchBrowser()
    prom = await startPrometheus({version: 3, externalLabels: {replica: 'a'}, extraArgs: ['--web.enable-remote-write-receiver']})
    const samples = Array.from({length: N}, (_, k) => ({t: t0 + k * STEP, h: sample(k + 1)}))
    await remoteWriteHistograms(prom.url, [{labels: {__name__: 'histogram_metric', job: 'nh'}, samples}])
    sidecar = await startSidecar(prom)
    querier = await runQuerier(querierConfig([`127.0.0.1:${sidecar.grpcPort}`], nopLogger, {replicaLabels: ['replica'], httpGracePeriodMs: 300, grpcGracePeriodMs: 300}))
    assert.equal(querier.endpoints.storeRefs().length, 1)
    base = `http://127.0.0.1:${querier.httpPort}`
    browser = await launching
    context = await browser.newContext({viewport: {width: 1360, height: 860}, deviceScaleFactor: 1})
  })

  after(async function () {
    await browser?.close()
    await querier?.lifecycle.stop()
    await sidecar?.lifecycle.stop()
    await prom?.stop()
  })

  afterEach(function () {
    const errs = pageErrors.splice(0)
    assert.deepEqual(errs, [], 'JavaScript errors in the page')
  })

  /** A panel from URL parameters, evaluated at the last sample (a pinned end time). */
  async function open(expr: string, tab: 'table' | 'graph', extra: Record<string, string> = {}): Promise<Page> {
    const page = await context.newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
    const q = new URLSearchParams({'g0.expr': expr, 'g0.tab': tab, 'g0.end_input': new Date(LAST).toISOString(), ...extra})
    await page.goto(`${base}/query?${q}`)
    return page
  }

  const panel = (page: Page, sel: string) => page.locator(`[data-testid=panel-0] ${sel}`)

  async function pixelsOfColor(page: Page, rgb: [number, number, number]): Promise<number> {
    return page.evaluate(
      ([sel, [r, g, b]]) => {
        const canvas = document.querySelector(sel)
        if (!canvas) return -1
        const {data} = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height)
        let n = 0
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3]! > 200 && Math.abs(data[i]! - r) < 40 && Math.abs(data[i + 1]! - g) < 40 && Math.abs(data[i + 2]! - b) < 40) n++
        }
        return n
      },
      ['[data-testid=panel-0] [data-testid=graph-chart] canvas', rgb] as const,
    )
  }

  it('table: an instant histogram shows total count, sum and a bucket table', async () => {
    const page = await open('histogram_metric', 'table')
    const value = panel(page, '[data-testid=histogram-value]')
    await value.waitFor({timeout: 15_000})
    assert.equal(await value.count(), 1)
    assert.equal(await panel(page, '[data-testid=histogram-count]').innerText(), String(6 * N))
    assert.equal(await panel(page, '[data-testid=histogram-sum]').innerText(), String(10 * N))
    const buckets = await panel(page, '[data-testid=histogram-buckets] tbody tr').allInnerTexts()
    assert.deepEqual(
      buckets.map((b) => b.split('\t').map((x) => x.trim())),
      [
        ['[-0.001, 0.001]', String(N)],
        ['(0.5, 1]', String(2 * N)],
        ['(1, 2]', String(3 * N)],
      ],
    )
    assert.doesNotMatch(await panel(page, '[data-testid=result-table]').innerText(), /undefined|NaN/)
    await page.screenshot({path: path.join(ARTIFACTS, 'histogram-table.png')})
    await page.close()
  })

  it('table: a range vector of histograms lists each point by count and sum', async () => {
    const page = await open('histogram_metric[1m]', 'table')
    const points = panel(page, '.range-sample')
    await points.first().waitFor({timeout: 15_000})
    const texts = await points.allInnerTexts()
    assert.equal(texts.length, 4, texts.join('\n'))
    assert.match(texts[3]!, new RegExp(`^count=${6 * N} sum=${10 * N} @${LAST / 1000}$`))
    assert.match(texts[0]!, new RegExp(`^count=${6 * (N - 3)} sum=${10 * (N - 3)} @`))
    await page.close()
  })

  it('graph: raw histograms get a note pointing to the table, no empty chart', async () => {
    const page = await open('histogram_metric', 'graph', {'g0.range_input': '10m'})
    const note = panel(page, '[data-testid=histogram-graph-note]')
    await note.waitFor({timeout: 15_000})
    assert.match(await note.innerText(), /One series holds raw native histograms.*Table/s)
    assert.equal(await panel(page, '[data-testid=graph-chart]').count(), 0)
    assert.equal(await panel(page, '.legend-item').count(), 0)
    await page.screenshot({path: path.join(ARTIFACTS, 'histogram-graph-note.png')})
    await page.close()
  })

  it('graph: histogram functions plot as floats; a mixed result plots its floats beside the note', async () => {
    const page = await open('histogram_count(rate(histogram_metric[5m]))', 'graph', {'g0.range_input': '10m'})
    const legend = panel(page, '.legend-item')
    await legend.first().waitFor({timeout: 15_000})
    assert.equal(await legend.count(), 1)
    assert.equal(await panel(page, '[data-testid=histogram-graph-note]').count(), 0)
    const blue = await pixelsOfColor(page, [0x1f, 0x77, 0xb4])
    assert.ok(blue > 100, `the line is drawn (${blue} pixels)`)
    await page.screenshot({path: path.join(ARTIFACTS, 'histogram-function-graph.png')})

    // `or` matches without __name__, so the float side gets a label of its own to stay apart
    const mixed = await open('histogram_metric or label_replace(histogram_sum(histogram_metric), "kind", "sum", "", "")', 'graph', {'g0.range_input': '10m'})
    await mixed.locator('[data-testid=panel-0] [data-testid=histogram-graph-note]').waitFor({timeout: 15_000})
    await mixed.locator('[data-testid=panel-0] .legend-item').first().waitFor({timeout: 15_000})
    const names = await mixed.locator('[data-testid=panel-0] .legend-item').allInnerTexts()
    assert.equal(names.length, 1, names.join('\n'))
    assert.match(names[0]!, /kind="sum"/)
    assert.doesNotMatch(names[0]!, /histogram_metric/)
    await page.close()
    await mixed.close()
  })
})
