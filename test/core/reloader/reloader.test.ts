import assert from 'node:assert/strict'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {gzipSync} from 'node:zlib'
import * as yaml from 'js-yaml'
import {Registry} from 'prom-client'
import {nopLogger} from '../../../src/core/log.js'
import {PrometheusClient} from '../../../src/core/prometheus/prometheus-client.js'
import {envsubst, Reloader} from '../../../src/core/reloader/reloader.js'
import {startPrometheus, type PrometheusHandle} from '../../helpers/prometheus.js'

async function metric(reg: Registry, name: string): Promise<number> {
  const m = (await reg.getMetricsAsJSON()).find((x) => x.name === name)
  return Number(m?.values[0]?.value ?? NaN)
}

describe('reloader', function () {
  this.timeout(60_000)

  it('envsubst replaces $(VAR) only and fails on unset variables', function () {
    assert.equal(envsubst('a: $(X) $Y ${Z}', {X: '1'}), 'a: 1 $Y ${Z}')
    assert.throws(() => envsubst('$(MISSING)', {}), /unset environment variable "MISSING"/)
  })

  describe('against a real Prometheus', function () {
    let prom: PrometheusHandle
    let dir: string

    before(async function () {
      prom = await startPrometheus({externalLabels: {replica: 'r0'}})
      dir = await mkdtemp(path.join(tmpdir(), 'thanosts-reloader-'))
    })

    after(async function () {
      await prom?.stop()
      await rm(dir, {recursive: true, force: true})
    })

    it('applies envsubst, reloads Prometheus on change, and keeps Prometheus on its old config when the new one is broken', async function () {
      const client = new PrometheusClient(prom.url)
      const registry = new Registry()
      const template = path.join(dir, 'prometheus.yml.tmpl')
      const cfg = {...prom.configObject(), global: {external_labels: {replica: '$(REPLICA)'}}}
      await writeFile(template, gzipSync(Buffer.from(yaml.dump(cfg))))
      const reloader = new Reloader({
        configFile: template,
        configEnvsubstFile: prom.configPath,
        ruleDirs: [],
        watchIntervalMs: 1000,
        retryIntervalMs: 200,
        reload: (s) => client.reload(s),
        logger: nopLogger,
        registry,
        env: {REPLICA: 'r1'},
      })
      const ac = new AbortController()
      assert.equal(await reloader.apply(ac.signal), 'reloaded')
      assert.match(await readFile(prom.configPath, 'utf8'), /replica: r1/)
      assert.equal((await client.externalLabels()).find((l) => l.name === 'replica')?.value, 'r1', 'Prometheus runs the new config')
      assert.equal(await reloader.apply(ac.signal), 'unchanged')

      await writeFile(template, 'global: [this is: not valid')
      // the envsubst copy is what Prometheus reads: a broken one must be refused by Prometheus
      assert.equal(await reloader.apply(ac.signal), 'failed')
      assert.equal((await client.externalLabels()).find((l) => l.name === 'replica')?.value, 'r1', 'still on the old config')
      assert.equal(await metric(registry, 'thanos_sidecar_reloader_reloads_failed_total'), 1)
      assert.equal(await metric(registry, 'thanos_sidecar_reloader_last_reload_successful'), 0)

      // fixed again: the run loop picks the change up by itself
      const running = reloader.run(ac.signal)
      await writeFile(template, yaml.dump({...cfg, global: {external_labels: {replica: 'r2'}}}))
      const deadline = Date.now() + 15_000
      while (Date.now() < deadline && (await client.externalLabels()).find((l) => l.name === 'replica')?.value !== 'r2') await new Promise((r) => setTimeout(r, 100))
      assert.equal((await client.externalLabels()).find((l) => l.name === 'replica')?.value, 'r2')
      assert.equal(await metric(registry, 'thanos_sidecar_reloader_last_reload_successful'), 1)
      ac.abort()
      await running
      await client.close()
    })
  })
})
