import {Command, Flags} from '@oclif/core'
import {startDemo} from '../core/demo/demo.js'
import {explainView, outageWalkthrough, parseOutage, runOutage, type OutageSpec} from '../core/demo/outage.js'
import {startupWalkthrough} from '../core/demo/walkthrough.js'
import {objstoreConfigFromFlags} from '../core/objstore/config.js'
import {parseDurationFlag} from '../core/server/duration.js'
import {durationFlag, loggerFromFlags, logFlags} from '../cli/flags.js'

export default class Demo extends Command {
  static override summary = 'Run the HA setup on this machine: 3 Prometheus servers, a sidecar each, a bucket, a store gateway, a deduplicating querier.'
  static override description = `Starts Prometheus servers for cluster eu1 (replica 0) and cluster us1 (replicas 0 and 1), each
scraping itself and the other demo components with external labels {cluster, replica}; a thanosts
sidecar for each, shipping blocks to a bucket (FILESYSTEM in the demo's temp dir, or
--objstore.config-file); a thanosts store gateway over the bucket; and a thanosts query over the
sidecars and the store gateway with --query.replica-label replica. Before Prometheus starts, the
bucket gets --history days of generated series per replica (promtool tsdb create-blocks-from
openmetrics, uploaded with the replica's external labels), so queries over days are answered from
the bucket. Prints what runs where and commands to try; Ctrl-C stops everything and removes the
temp dirs (and, in a configured bucket, what the demo put there). With --outage us1/0:2m one replica
is stopped (after --outage-after) and restarted, so you can watch deduplication fill its gap; then
the demo prints the web UI's graph with "Explain deduplication" on and the query-once --explain
command that show which replica served which stretch.`

  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --outage us1/0:2m --outage-after 1m']

  static override flags = {
    'prometheus.binary': Flags.string({description: 'Prometheus binary to run.', default: 'prometheus'}),
    'promtool.binary': Flags.string({description: "promtool binary that writes the history's blocks.", default: 'promtool'}),
    'port-base': Flags.integer({description: 'First of the 14 loopback ports the demo uses (Prometheus servers, sidecars, querier, store gateway).', default: 19190}),
    'objstore.config-file': Flags.string({description: 'Path to a YAML bucket configuration (Thanos format) to use instead of a FILESYSTEM bucket in the temp dir; the demo works under a prefix of its own there.', helpValue: '<file-path>'}),
    'objstore.config': Flags.string({description: "Alternative to 'objstore.config-file' flag (mutually exclusive). Content of the YAML bucket configuration.", helpValue: '<content>'}),
    history: Flags.integer({description: 'Days of generated history in the bucket, older than the Prometheus servers\' own data (0 = none).', default: 3, min: 0, max: 14}),
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
    let objstoreConfig: string | undefined
    try {
      if (flags.outage) outage = parseOutage(flags.outage)
      scrapeMs = parseDurationFlag(flags['scrape-interval'])
      objstoreConfig = await objstoreConfigFromFlags({configFile: flags['objstore.config-file'], config: flags['objstore.config']})
    } catch (e) {
      this.error((e as Error).message, {exit: 2})
    }
    // Ctrl-C from the start: during start-up it stops what started and removes the temp dirs too
    const stop = new AbortController()
    const onSignal = (): void => stop.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    let demo
    try {
      demo = await startDemo({
        prometheusBinary: flags['prometheus.binary'],
        promtoolBinary: flags['promtool.binary'],
        portBase: flags['port-base'],
        scrapeInterval: flags['scrape-interval'],
        objstoreConfig,
        historyDays: flags.history,
        progress: (l) => this.log(l),
        signal: stop.signal,
        logger,
      })
    } catch (e) {
      if (stop.signal.aborted) {
        this.log('stopped during start-up; everything removed')
        this.exit(130)
      }
      this.logToStderr(`demo failed to start: ${(e as Error).message}`)
      this.exit(1)
    }
    for (const l of startupWalkthrough(demo)) this.log(l)
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
