/**
 * The querier's Alerts, Rules and Targets pages and the metadata in the query editor's
 * completion, in Debian's headless Chromium (playwright-core, launched as ui.test.ts does),
 * over two real Prometheus 3 replicas with rule files, a firing alert, a down target and an
 * OpenMetrics target with typed, documented metrics, behind our sidecars and querier
 * (globalview-fixture.ts). Screenshots go to test-artifacts/ui/.
 */
import assert from 'node:assert/strict'
import path from 'node:path'
import type {Browser, BrowserContext, Page} from 'playwright-core'
import {nopLogger} from '../../../src/core/log.js'
import {querierConfig, runQuerier, type RunningQuerier} from '../../../src/core/query/querier.js'
import type {RunningSidecar} from '../../../src/core/sidecar/sidecar.js'
import type {PrometheusHandle} from '../../helpers/prometheus.js'
import {startSidecar} from '../../helpers/sidecar.js'
import {startExemplarTarget, startGlobalViewPrometheus, waitForGlobalViewData, writeRuleFiles, type ExemplarTarget, type RuleFiles} from '../sidecar/globalview-fixture.js'
import {ARTIFACTS, launchBrowser} from '../../helpers/browser.js'

// page.evaluate runs this in the browser; the test program has no DOM library (see ui.test.ts)
declare const document: {elementFromPoint(x: number, y: number): {closest(selector: string): unknown} | null}


describe('Alerts, Rules and Targets pages and metadata completion in headless Chromium, over real Prometheus replicas', function () {
  this.timeout(60_000)
  let target: ExemplarTarget
  let files: RuleFiles
  const proms: PrometheusHandle[] = []
  const sidecars: RunningSidecar[] = []
  let querier: RunningQuerier | undefined
  let browser: Browser | undefined
  let context: BrowserContext
  let base: string
  const pageErrors: string[] = []

  before(async function () {
    this.timeout(150_000)
    const launching = launchBrowser()
    target = await startExemplarTarget()
    files = await writeRuleFiles()
    for (const replica of ['r0', 'r1']) proms.push(await startGlobalViewPrometheus(3, replica, files, target))
    for (const p of proms) sidecars.push(await startSidecar(p))
    querier = await runQuerier(
      querierConfig(
        sidecars.map((s) => `127.0.0.1:${s.grpcPort}`),
        nopLogger,
        {replicaLabels: ['replica'], queryTimeoutMs: 20_000, httpGracePeriodMs: 300, grpcGracePeriodMs: 300},
      ),
    )
    base = `http://127.0.0.1:${querier.httpPort}`
    for (const p of proms) await waitForGlobalViewData(p, target)
    browser = await launching
    context = await browser.newContext({viewport: {width: 1360, height: 860}, deviceScaleFactor: 1})
  })

  after(async function () {
    await browser?.close()
    await querier?.lifecycle.stop()
    for (const s of sidecars) await s.lifecycle.stop()
    for (const p of proms) await p.stop()
    await target?.close()
    await files?.remove()
  })

  afterEach(function () {
    const errs = pageErrors.splice(0)
    assert.deepEqual(errs, [], 'JavaScript errors in the page')
  })

  async function open(url: string): Promise<Page> {
    const page = await context.newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
    page.on('response', (r) => {
      if (r.status() >= 400) pageErrors.push(`HTTP ${r.status()} for ${r.url()}`)
    })
    await page.goto(url)
    return page
  }

  it('Alerts: the firing alert once (deduplicated), state counts and filters, its labels, active since and annotations', async function () {
    const page = await open(`${base}/alerts`)
    const rules = page.locator('[data-testid=alert-rule]')
    await rules.first().waitFor()
    assert.equal(await page.locator('[data-testid=count-firing]').textContent(), 'firing (1)')
    assert.equal(await page.locator('[data-testid=count-pending]').textContent(), 'pending (0)')
    assert.equal(await page.locator('[data-testid=count-inactive]').textContent(), 'inactive (3)')
    assert.deepEqual(await rules.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-name')}:${e.getAttribute('data-state')}`)), [
      'OtherFile:inactive',
      'AlwaysFiring:firing',
      'NeverFiring:inactive',
      'TemplatedSeverity:inactive',
    ])
    assert.match((await page.locator('[data-testid=alert-group][data-group=g1] .group-badges').textContent()) ?? '', /firing \(1\)/)
    const firing = page.locator('[data-testid=alert-rule][data-name=AlwaysFiring]')
    await firing.locator('.alert-rule-head').click()
    const instances = firing.locator('[data-testid=alert-instance]')
    assert.equal(await instances.count(), 1, "one alert: both replicas' copies are one")
    const row = await instances.first().innerText()
    assert.match(row, /alertname="AlwaysFiring"/)
    assert.match(row, /severity="page"/)
    assert.match(row, /firing/i)
    assert.match(row, /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z \(\d+(\.\d+)?s ago\)|m \d+s ago/)
    assert.match(await firing.locator('.rule-def').innerText(), /expr: vector\(1\) > 0[\s\S]*summary: value \{\{ \$value \}\}/)
    await page.locator('[data-testid=show-annotations]').check()
    assert.match(await firing.locator('[data-testid=alert-annotations]').innerText(), /summary\s+value 1/)
    await page.screenshot({path: path.join(ARTIFACTS, 'alerts.png'), fullPage: true})
    await page.locator('[data-testid=filter-inactive]').uncheck()
    assert.deepEqual(await rules.evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))), ['AlwaysFiring'])
    await page.locator('[data-testid=filter-inactive]').check()
    await page.locator('[data-testid=filter-firing]').uncheck()
    assert.equal(await rules.count(), 3)
    await page.locator('[data-testid=filter-firing]').check()
    await page.locator('[data-testid=alerts-search]').fill('never')
    assert.deepEqual(await rules.evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))), ['NeverFiring'])
    await page.locator('[data-testid=alerts-search]').fill('severity=page')
    assert.deepEqual(await rules.evaluateAll((els) => els.map((e) => e.getAttribute('data-name'))), ['OtherFile', 'AlwaysFiring'])
    await page.close()
  })

  it('Rules: by file and group, health, last evaluation, evaluation time, labels', async function () {
    const page = await open(`${base}/rules`)
    const groups = page.locator('[data-testid=rule-group]')
    await groups.first().waitFor()
    assert.deepEqual(await groups.evaluateAll((els) => els.map((e) => e.getAttribute('data-group'))), ['g3', 'g1', 'g2'])
    const rows = page.locator('[data-testid=rule-row]')
    assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-name')}:${e.getAttribute('data-type')}:${e.getAttribute('data-health')}`)), [
      'OtherFile:alerting:ok',
      'AlwaysFiring:alerting:ok',
      'NeverFiring:alerting:ok',
      'TemplatedSeverity:alerting:ok',
      'job:up:sum:recording:ok',
      'x:y:recording:ok',
    ])
    const recording = await page.locator('[data-testid=rule-row][data-name="job:up:sum"]').innerText()
    assert.match(recording, /record:\s*job:up:sum/)
    assert.match(recording, /expr:\s*sum by \(job\) \(up\)/)
    assert.match(recording, /team="infra"/)
    assert.match(recording, /cluster="c1"/)
    assert.doesNotMatch(recording, /replica=/, 'the replica label is gone with dedup')
    assert.match(recording, /\d+\.\d{3}s ago/)
    assert.match(recording, /\d+\.\d{3}ms/)
    assert.match(await page.locator('[data-testid=rule-row][data-name=NeverFiring]').innerText(), /for:\s*5m/)
    assert.match(await page.locator('[data-testid=rule-group][data-group=g3] .card-title').innerText(), /other\.yml/)
    await page.screenshot({path: path.join(ARTIFACTS, 'rules.png'), fullPage: true})
    await page.close()
  })

  it('Targets: by scrape pool with up counts, the down target with its error, unhealthy only', async function () {
    const page = await open(`${base}/targets`)
    const pools = page.locator('[data-testid=scrape-pool]')
    await pools.first().waitFor()
    // the demo target is the same for both replicas (one after dedup); each replica scrapes itself and its own closed port
    assert.deepEqual(await pools.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-pool')} ${e.getAttribute('data-up')}`)), ['demo 1/1', 'down 0/2', 'prometheus 2/2'])
    assert.match(await page.locator('[data-testid=scrape-pool][data-pool=down] .card-title').innerText(), /down \(0\/2 up\)/)
    const down = page.locator('[data-testid=target-row][data-health=down]')
    assert.equal(await down.count(), 2)
    assert.match(await down.first().innerText(), /connection refused/)
    assert.match(await down.first().innerText(), /DOWN|down/)
    assert.match(await page.locator('[data-testid=target-row][data-health=up]').first().innerText(), /\d+\.\d{3}s ago[\s\S]*\d+\.\d{3}ms/)
    await page.screenshot({path: path.join(ARTIFACTS, 'targets.png'), fullPage: true})
    await page.locator('[data-testid=targets-unhealthy]').click()
    assert.deepEqual(await pools.evaluateAll((els) => els.map((e) => e.getAttribute('data-pool'))), ['down'])
    await page.screenshot({path: path.join(ARTIFACTS, 'targets-unhealthy.png'), fullPage: true})
    await page.locator('[data-testid=targets-all]').click()
    await page.locator('[data-testid=targets-search]').fill('job="demo"')
    assert.deepEqual(await pools.evaluateAll((els) => els.map((e) => e.getAttribute('data-pool'))), ['demo'])
    await page.close()
  })

  it('the header links the pages', async function () {
    const page = await open(`${base}/query`)
    for (const [name, testid] of [
      ['Alerts', 'alert-rule'],
      ['Rules', 'rule-group'],
      ['Targets', 'scrape-pool'],
    ]) {
      await page.locator('.nav a', {hasText: name}).click()
      await page.locator(`[data-testid=${testid}]`).first().waitFor()
      assert.equal(new URL(page.url()).pathname, `/${name.toLowerCase()}`)
      assert.equal(await page.title(), `${name} · thanosts`)
    }
    await page.close()
  })

  it("the query editor's completion shows metric types and help from /api/v1/metadata", async function () {
    const page = await open(`${base}/query`)
    const options = page.locator('.cm-tooltip-autocomplete li')
    await page.locator('[data-testid=panel-0] .cm-content').click()
    await page.keyboard.type('demo_req', {delay: 20})
    const option = options.filter({hasText: 'demo_requests_total'}).first()
    await option.waitFor({timeout: 10_000})
    // CodeMirror fills the detail in once the metadata has arrived
    await option.locator('.cm-completionDetail', {hasText: 'counter'}).waitFor({timeout: 10_000})
    await page.locator('.cm-completionInfo', {hasText: 'Requests served.'}).waitFor({timeout: 10_000})
    // seen, not clipped away by the popup: the help is what the middle of its box shows
    const box = (await page.locator('.cm-completionInfo').boundingBox())!
    const shown = await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.closest('.cm-completionInfo') != null, [box.x + box.width / 2, box.y + box.height / 2] as const)
    assert.ok(shown, 'the help beside the completion list is visible')
    await page.screenshot({path: path.join(ARTIFACTS, 'autocomplete-metadata.png')})
    await page.keyboard.press('Control+A')
    await page.keyboard.press('Backspace')
    await page.keyboard.type('demo_lat', {delay: 20})
    const gauge = options.filter({hasText: 'demo_latency_seconds'}).first()
    await gauge.locator('.cm-completionDetail', {hasText: 'gauge'}).waitFor({timeout: 10_000})
    await page.locator('.cm-completionInfo', {hasText: 'Latency of the last request.'}).waitFor({timeout: 10_000})
    await page.close()
  })
})
