import {Command, Flags} from '@oclif/core'
import {startDemo} from '../core/demo/demo.js'
import {sleep} from '../core/server/lifecycle.js'
import {durationFlag, loggerFromFlags, logFlags} from '../cli/flags.js'
import {parseDurationFlag} from '../core/server/duration.js'

export default class Demo extends Command {
  static override summary = 'Run the HA setup on this machine: 3 Prometheus servers, a sidecar each, a deduplicating querier.'
  static override description = `Starts Prometheus servers for cluster eu1 (replica 0) and cluster us1 (replicas 0 and 1), each
scraping itself and the other demo components with external labels {cluster, replica}; a thanosts
sidecar for each; and a thanosts query with --query.replica-label replica. Prints what runs where and
commands to try; Ctrl-C stops everything and removes the temp dirs. With --outage us1/0:2m one replica
is stopped (after --outage-after) and restarted, so you can watch deduplication fill its gap.`

  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --outage us1/0:2m --outage-after 1m']

  static override flags = {
    'prometheus.binary': Flags.string({description: 'Prometheus binary to run.', default: 'prometheus'}),
    'port-base': Flags.integer({description: 'First of the 12 loopback ports the demo uses (Prometheus servers, sidecars, querier).', default: 19190}),
    'scrape-interval': Flags.string({description: 'Scrape interval of the demo Prometheus servers.', default: '5s'}),
    outage: Flags.string({description: 'Stop one replica for a while, e.g. us1/0:2m.'}),
    'outage-after': durationFlag({description: 'When the outage starts, after start-up.', default: 30_000, defaultHelp: async () => '30s'}),
    ...logFlags,
    'log.level': Flags.string({description: 'Log filtering level.', options: ['debug', 'info', 'warn', 'error'], default: 'warn'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Demo)
    const logger = loggerFromFlags(flags)
    let outage: {name: string; ms: number} | undefined
    if (flags.outage) {
      const m = /^([^:]+):(.+)$/.exec(flags.outage)
      if (!m) this.error('--outage must look like us1/0:2m', {exit: 2})
      try {
        outage = {name: m[1]!, ms: parseDurationFlag(m[2]!)}
      } catch (e) {
        this.error((e as Error).message, {exit: 2})
      }
    }
    let demo
    try {
      demo = await startDemo({prometheusBinary: flags['prometheus.binary'], portBase: flags['port-base'], scrapeInterval: flags['scrape-interval'], logger})
    } catch (e) {
      this.logToStderr(`demo failed to start: ${(e as Error).message}`)
      this.exit(1)
    }
    const q = `http://127.0.0.1:${demo.queryHttp}`
    const stores = demo.replicas.map((r) => `--store 127.0.0.1:${r.sidecarGrpc}`).join(' ')
    this.log(`thanosts demo is running:`)
    for (const r of demo.replicas) {
      this.log(`  Prometheus ${r.name.padEnd(6)} http://127.0.0.1:${r.promPort}   external labels {cluster="${r.cluster}", replica="${r.replica}"}   sidecar StoreAPI 127.0.0.1:${r.sidecarGrpc}`)
    }
    this.log(`  querier (Prometheus API; Grafana data source)  ${q}     StoreAPI 127.0.0.1:${demo.queryGrpc}`)
    this.log('')
    this.log('Try (data appears after the first scrapes):')
    this.log(`  thanosts query-once 'count by (cluster) (up)' --query.url ${q}`)
    this.log(`  thanosts query-once 'up{cluster="us1"}' ${stores} --no-dedup`)
    this.log(`  thanosts query-once 'sum by (cluster) (rate(prometheus_tsdb_head_samples_appended_total[1m]))' --query.url ${q} --start -10m --step 15s`)
    this.log(`  thanosts demo --outage us1/0:2m   (another run: stop a replica and watch the deduplicated graph stay whole)`)
    this.log('Ctrl-C stops everything.')
    const stop = new AbortController()
    const onSignal = (): void => stop.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    if (outage) {
      const o = outage
      void (async () => {
        if (!(await sleep(flags['outage-after'], stop.signal))) return
        this.log(`outage: stopping ${o.name} for ${Math.round(o.ms / 1000)}s`)
        await demo.stopReplica(o.name).catch((e: Error) => this.logToStderr(e.message))
        if (!(await sleep(o.ms, stop.signal))) return
        await demo.startReplica(o.name).catch((e: Error) => this.logToStderr(e.message))
        this.log(`outage over: ${o.name} is back; compare ${q} with dedup=false to see its gap`)
      })()
    }
    await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), {once: true}))
    this.log('stopping the demo...')
    await demo.stop()
  }
}
