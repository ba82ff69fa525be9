import {Command, Flags} from '@oclif/core'
import {startDemo} from '../core/demo/demo.js'
import {explainView, outageWalkthrough, parseOutage, runOutage, type OutageSpec} from '../core/demo/outage.js'
import {parseDurationFlag} from '../core/server/duration.js'
import {durationFlag, loggerFromFlags, logFlags} from '../cli/flags.js'

export default class Demo extends Command {
  static override summary = 'Run the HA setup on this machine: 3 Prometheus servers, a sidecar each, a deduplicating querier.'
  static override description = `Starts Prometheus servers for cluster eu1 (replica 0) and cluster us1 (replicas 0 and 1), each
scraping itself and the other demo components with external labels {cluster, replica}; a thanosts
sidecar for each; and a thanosts query with --query.replica-label replica. Prints what runs where and
commands to try; Ctrl-C stops everything and removes the temp dirs. With --outage us1/0:2m one replica
is stopped (after --outage-after) and restarted, so you can watch deduplication fill its gap; then
the demo prints the web UI's graph with "Explain deduplication" on and the query-once --explain
command that show which replica served which stretch.`

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
    let outage: OutageSpec | undefined
    let scrapeMs = 0
    try {
      if (flags.outage) outage = parseOutage(flags.outage)
      scrapeMs = parseDurationFlag(flags['scrape-interval'])
    } catch (e) {
      this.error((e as Error).message, {exit: 2})
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
      runOutage(demo, outage, flags['outage-after'], (l) => this.log(l), stop.signal)
        .then((w) => {
          if (w) for (const l of outageWalkthrough(demo, w, explainView(demo, w, scrapeMs))) this.log(l)
        })
        .catch((e: Error) => this.logToStderr(`outage: ${e.message}`))
    }
    await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), {once: true}))
    this.log('stopping the demo...')
    await demo.stop()
  }
}
