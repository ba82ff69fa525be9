/**
 * Thanos's "max source resolution" select in the querier's web UI, in Debian's headless Chromium
 * (playwright-core, as ui.test.ts): each choice goes to the querier as `max_source_resolution`
 * on instant and range queries, and stays in the URL (`g0.max_source_resolution`) across a
 * reload. The querier reads our store gateway over a bucket with one 2 h raw block and its 5m
 * copy (our downsampler, src/core/downsample/downsample.ts): 'Only raw data' counts the raw
 * samples, 'Max 1h downsampling' the 5m windows (no 1h block: the coarsest there is); on the
 * graph 'Auto downsampling' is a fifth of the step. Screenshots: test-artifacts/ui/downsampling-*.png.
 */
import assert from 'node:assert/strict'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import type {Browser, BrowserContext, Page} from 'playwright-core'
import {BlockReader} from '../../../src/core/block/block-reader.js'
import {downsampleBlock, RES_5M} from '../../../src/core/downsample/downsample.js'
import {nopLogger} from '../../../src/core/log.js'
import {bucketFromConfig} from '../../../src/core/objstore/config.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../../src/core/query/querier.js'
import {uploadBlockDir} from '../../../src/core/shipper/upload.js'
import {runStoreGateway, type RunningStoreGateway} from '../../../src/core/storegateway/store-gateway.js'
import {uploadBackfilled} from '../../helpers/bucket-blocks.js'
import {ARTIFACTS, launchBrowser} from '../../helpers/browser.js'
import {samples} from '../../helpers/openmetrics.js'
import {storeGatewayConfig} from '../../helpers/store-gateway.js'

const MIN = 60_000
const H = 60 * MIN
const SCRAPE = 30_000
/** Thanos's choices (pkg/ui/react-app/src/pages/graph/GraphControls.tsx), value and label. */
const CHOICES: [string, string][] = [
  ['auto', 'Auto downsampling'],
  ['0s', 'Only raw data'],
  ['5m', 'Max 5m downsampling'],
  ['1h', 'Max 1h downsampling'],
]

describe('max source resolution in the web UI: Thanos\'s downsampling select, sent and kept in the URL, in headless Chromium', function () {
  this.timeout(60_000)
  let work: string
  let store: RunningStoreGateway | undefined
  let querier: RunningQuerier | undefined
  let browser: Browser | undefined
  let context: BrowserContext
  let base: string
  /** The raw block's range: one promtool 2 h block. */
  let T = 0
  const pageErrors: string[] = []

  before(async function () {
    this.timeout(120_000)
    const launching = launchBrowser()
    work = await mkdtemp(path.join(tmpdir(), 'thanosts-downsampling-ui-'))
    const bucket = bucketFromConfig(`type: FILESYSTEM\nconfig:\n  directory: ${path.join(work, 'bucket')}\n`)
    T = Math.floor(Date.now() / (2 * H)) * 2 * H - 4 * H
    const [raw, ...more] = await uploadBackfilled(bucket, {
      series: [{metric: 'ui_ds_temp', type: 'gauge', labels: {pod: 'a'}, samples: samples(T, SCRAPE, (2 * H) / SCRAPE, (i) => 20 + (i % 5))}],
      ext: {cluster: 'eu1'},
    })
    assert.ok(raw && more.length === 0, 'one raw block')
    const reader = await BlockReader.open(bucket, raw)
    const down = await downsampleBlock(reader, {dir: path.join(work, 'ds'), resolution: RES_5M, logger: nopLogger})
    assert.ok(down, 'a 5m block')
    await uploadBlockDir(path.join(work, 'ds', down.ulid), {bucket, hashFunc: '', concurrency: 1, logger: nopLogger})
    store = await runStoreGateway(storeGatewayConfig({bucket}))
    querier = await runQuerier(querierConfig([`127.0.0.1:${store.grpcPort}`], nopLogger, {infoTimeoutMs: 2_000, endpointCheckIntervalMs: 1_000, httpGracePeriodMs: 300, grpcGracePeriodMs: 300}))
    const deadline = Date.now() + 30_000
    while (querier.endpoints.storeRefs().length < 1) {
      if (Date.now() > deadline) throw new Error('the querier does not see the store gateway')
      await new Promise((r) => setTimeout(r, 100))
    }
    base = `http://127.0.0.1:${querier.httpPort}`
    browser = await launching
    context = await browser.newContext({viewport: {width: 1360, height: 900}, deviceScaleFactor: 1})
  })

  after(async function () {
    await browser?.close()
    await querier?.lifecycle.stop()
    await store?.lifecycle.stop()
    if (work) await rm(work, {recursive: true, force: true})
  })

  afterEach(function () {
    const errs = pageErrors.splice(0)
    assert.deepEqual(errs, [], 'JavaScript errors in the page')
  })

  interface Opened {
    page: Page
    /** Path and body of each query request the page sent, in order. */
    queries: {path: string; form: URLSearchParams}[]
    /** The instant queries' answers, in order: the request's max_source_resolution and the first series' value. */
    answers: {msr: string | null; value: string | undefined}[]
    /** The range queries' answers: the request's max_source_resolution and the first series' values. */
    ranges: {msr: string | null; values: string[] | undefined}[]
  }

  async function open(query: Record<string, string>): Promise<Opened> {
    const page = await context.newPage()
    const queries: Opened['queries'] = []
    const answers: Opened['answers'] = []
    const ranges: Opened['ranges'] = []
    page.on('pageerror', (e) => pageErrors.push(e.message))
    page.on('response', (r) => {
      const msr = new URLSearchParams(r.request().postData() ?? '').get('max_source_resolution')
      if (/\/api\/v1\/query_range$/.test(new URL(r.url()).pathname)) {
        void r.json().then(
          (b: {data?: {result?: {values: [number, string][]}[]}}) => ranges.push({msr, values: b.data?.result?.[0]?.values.map((v) => v[1])}),
          () => ranges.push({msr, values: undefined}),
        )
        return
      }
      if (!/\/api\/v1\/query$/.test(new URL(r.url()).pathname)) return
      void r.json().then(
        (b: {data?: {result?: {value: [number, string]}[]}}) => answers.push({msr, value: b.data?.result?.[0]?.value[1]}),
        () => answers.push({msr, value: undefined}),
      )
    })
    page.on('request', (r) => {
      const p = new URL(r.url()).pathname
      if (/\/api\/v1\/query(_range)?$/.test(p)) queries.push({path: p, form: new URLSearchParams(r.postData() ?? '')})
    })
    await page.goto(`${base}/query?${new URLSearchParams(query)}`)
    return {page, queries, answers, ranges}
  }

  async function until(what: () => boolean | Promise<boolean>, label: string): Promise<void> {
    const deadline = Date.now() + 15_000
    while (!(await what())) {
      if (Date.now() > deadline) assert.fail(label)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  const select = (page: Page) => page.locator('[data-testid=panel-0] [data-testid=max-source-resolution]')
  const urlValue = (page: Page) => new URL(page.url()).searchParams.get('g0.max_source_resolution')

  /** Chooses `value`; the querier's answer to the request that follows, once the table shows it. */
  async function choose(o: Opened, value: string | null): Promise<string | undefined> {
    const n = o.answers.length
    if (value !== null) await select(o.page).selectOption(value)
    await until(() => o.answers.length > n, 'an answer')
    const a = o.answers[o.answers.length - 1]!
    assert.equal(a.msr, value ?? '0s', 'the answer is to the request with the choice')
    await until(async () => (await o.page.locator('[data-testid=panel-0] [data-testid=result-table] .value-cell').allInnerTexts()).join() === a.value, `the table shows ${a.value}`)
    return a.value
  }

  it("offers Thanos's four choices with its labels, starts at 'Only raw data' (0s), as Thanos's UI, and sends it", async function () {
    const o = await open({'g0.expr': 'ui_ds_temp', 'g0.tab': 'table', 'g0.end_input': new Date(T + H).toISOString()})
    await o.page.locator('[data-testid=panel-0] [data-testid=result-table]').waitFor()
    assert.deepEqual(await select(o.page).locator('option').evaluateAll((els) => els.map((e) => [e.getAttribute('value'), e.textContent])), CHOICES)
    assert.equal(await select(o.page).inputValue(), '0s')
    assert.ok(o.queries.length > 0 && o.queries.every((q) => q.form.get('max_source_resolution') === '0s'))
    await until(() => urlValue(o.page) === '0s', 'the default is written to the URL, as Thanos does')
    await o.page.close()
  })

  for (const tab of ['table', 'graph'] as const) {
    it(`${tab} tab: each choice re-runs the query with its max_source_resolution, the URL keeps it, a reload restores it`, async function () {
      const o = await open({'g0.expr': 'ui_ds_temp', 'g0.tab': tab, 'g0.range_input': '1h', 'g0.end_input': new Date(T + 90 * MIN).toISOString()})
      const endpoint = tab === 'table' ? '/api/v1/query' : '/api/v1/query_range'
      await until(() => o.queries.length > 0, 'the first request')
      // from the default 0s through the others and back to it
      for (const value of ['5m', '1h', 'auto', '0s']) {
        const before = o.queries.length
        await select(o.page).selectOption(value)
        await until(() => o.queries.length > before, `a request after choosing ${value}`)
        const last = o.queries[o.queries.length - 1]!
        assert.equal(last.path, endpoint)
        assert.equal(last.form.get('max_source_resolution'), value)
        assert.equal(last.form.get('dedup'), 'true', 'the other switches go along as before')
        await until(() => urlValue(o.page) === value, `the URL keeps ${value}`)

        const n = o.queries.length
        await o.page.reload()
        await until(() => o.queries.length > n, `a request after the reload with ${value}`)
        assert.equal(await select(o.page).inputValue(), value, 'the select after the reload')
        assert.equal(o.queries[o.queries.length - 1]!.form.get('max_source_resolution'), value, 'the request after the reload')
        assert.equal(urlValue(o.page), value)
      }
      if (tab === 'graph') await o.page.screenshot({path: path.join(ARTIFACTS, 'downsampling-graph.png'), fullPage: true})
      await o.page.close()
    })
  }

  it('a link with another resolution shows it as one more choice and sends it as it is', async function () {
    const o = await open({'g0.expr': 'ui_ds_temp', 'g0.tab': 'table', 'g0.max_source_resolution': '10m'})
    await until(() => o.queries.length > 0, 'a request')
    assert.equal(o.queries[0]!.form.get('max_source_resolution'), '10m')
    assert.equal(await select(o.page).inputValue(), '10m')
    assert.equal(await select(o.page).locator('option').count(), CHOICES.length + 1)
    await o.page.close()
  })

  it("'Only raw data' counts the raw samples, 'Max 1h downsampling' the 5m block's windows", async function () {
    // the hour before T + 90m: 120 raw samples at 30 s; 12 windows of 5 minutes
    const o = await open({'g0.expr': 'count_over_time(ui_ds_temp[1h])', 'g0.tab': 'table', 'g0.end_input': new Date(T + 90 * MIN).toISOString()})
    assert.equal(await choose(o, null), '120', "'Only raw data' (the default): one sample per 30 s")
    assert.equal(await choose(o, '1h'), '12', 'the 5m block: one window per 5 minutes')
    // auto on an instant query is the querier's --query.instant.default.max_source_resolution: 0s
    assert.equal(await choose(o, 'auto'), '120')
    assert.equal(await choose(o, '5m'), '12')
    assert.equal(await choose(o, '0s'), '120')
    await o.page.screenshot({path: path.join(ARTIFACTS, 'downsampling-table.png'), fullPage: true})
    await o.page.close()
  })

  it("the graph: 'Auto downsampling' reads the 5m block at a 30m step (a fifth of it: 6m), 'Only raw data' the raw one", async function () {
    const o = await open({
      'g0.expr': 'count_over_time(ui_ds_temp[1h])',
      'g0.tab': 'graph',
      'g0.range_input': '30m',
      'g0.end_input': new Date(T + 100 * MIN).toISOString(),
      'g0.res_type': 'fixed',
      'g0.res_step': '1800',
    })
    const answer = async (value: string | null): Promise<string[] | undefined> => {
      const n = o.ranges.length
      if (value !== null) await select(o.page).selectOption(value)
      await until(() => o.ranges.length > n, 'a range answer')
      const a = o.ranges[o.ranges.length - 1]!
      assert.equal(a.msr, value ?? '0s')
      return a.values
    }
    // T+70m and T+100m: the hour before each, 120 samples raw, 12 windows at 5m
    assert.deepEqual(await answer(null), ['120', '120'])
    assert.deepEqual(await answer('auto'), ['12', '12'])
    assert.deepEqual(await answer('0s'), ['120', '120'])
    assert.deepEqual(await answer('1h'), ['12', '12'])
    await o.page.close()
  })
})
