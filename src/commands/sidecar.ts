import {Command, Flags} from '@oclif/core'
import {pathOrContent} from '../core/config/path-or-content.js'
import {parsePrometheusHttpClientConfig} from '../core/prometheus/http-client-config.js'
import {objstoreConfigFromFlags} from '../core/objstore/config.js'
import {MIN_INT64} from '../core/prometheus/prometheus-client.js'
import {runSidecar} from '../core/sidecar/sidecar.js'
import {durationFlag, loggerFromFlags, logFlags} from '../cli/flags.js'
import {objstoreFlags} from '../cli/bucket-flags.js'

export default class Sidecar extends Command {
  static override summary = 'Serve one Prometheus over the Thanos StoreAPI (gRPC), next to it.'
  static override description = `Reads the Prometheus external labels (they must be set: they tell replicas apart), then serves
thanos.Store/Series, LabelNames, LabelValues and thanos.info.Info/Info on --grpc-address, backed by
Prometheus remote read. /metrics, /-/healthy and /-/ready are served on --http-address. With
--reloader.* flags it also reloads Prometheus (POST /-/reload) when its config or rules change.
With a bucket (--objstore.config-file or --objstore.config) it uploads every finished block
of --tsdb.path, oldest first, within 30 s of Prometheus writing it, as Thanos's shipper does.`

  static override examples = ['<%= config.bin %> sidecar --prometheus.url http://localhost:9090', '<%= config.bin %> sidecar --prometheus.url http://prom:9090 --grpc-address 0.0.0.0:10901 --reloader.config-file /etc/prometheus/prometheus.yml']

  static override flags = {
    'prometheus.url': Flags.string({description: 'URL at which to reach Prometheus\'s API. For better performance use local network.', default: 'http://localhost:9090'}),
    'prometheus.ready_timeout': durationFlag({description: 'Maximum time to wait for the Prometheus instance to start up and report its external labels.', default: 600_000, defaultHelp: async () => '10m'}),
    'prometheus.get_config_interval': durationFlag({description: 'How often to get the Prometheus config (external labels) and lowest timestamp.', default: 30_000, defaultHelp: async () => '30s'}),
    'prometheus.get_config_timeout': durationFlag({description: 'Timeout for getting the Prometheus config.', default: 30_000, defaultHelp: async () => '30s'}),
    'prometheus.http-client-file': Flags.string({description: 'Path to YAML file with http client configs (basic_auth, bearer_token(_file), tls_config, proxy_url, transport_config) for every call to Prometheus, as Thanos\'s.', default: ''}),
    'prometheus.http-client': Flags.string({description: "Alternative to 'prometheus.http-client-file' flag (mutually exclusive). Content of YAML file with http client configs.", default: ''}),
    'grpc-address': Flags.string({description: 'Listen ip:port address for the gRPC endpoint (StoreAPI and Info).', default: '0.0.0.0:10901'}),
    'grpc-grace-period': durationFlag({description: 'Time to wait after an interrupt for in-flight gRPC streams to finish.', default: 120_000, defaultHelp: async () => '2m'}),
    'http-address': Flags.string({description: 'Listen host:port for HTTP endpoints (/metrics, /-/healthy, /-/ready).', default: '0.0.0.0:10902'}),
    'http-grace-period': durationFlag({description: 'Time to wait after an interrupt for in-flight HTTP requests to finish.', default: 120_000, defaultHelp: async () => '2m'}),
    'min-time': Flags.string({description: 'Serve only data at or after this time: RFC 3339 or a relative duration like -2d. Default: all data.', default: '0000-01-01T00:00:00Z'}),
    'reloader.config-file': Flags.string({description: 'Config file watched by the reloader.', default: ''}),
    'reloader.config-envsubst-file': Flags.string({description: 'Output file for the environment-variable-substituted ($(VAR)) config file.', default: ''}),
    'reloader.rule-dir': Flags.string({description: 'Rule directory for the reloader to watch (repeated).', multiple: true, default: []}),
    'reloader.watch-interval': durationFlag({description: 'Controls how often the reloader re-reads config and rules.', default: 180_000, defaultHelp: async () => '3m'}),
    'reloader.retry-interval': durationFlag({description: 'Controls how often the reloader retries a failed reload.', default: 5_000, defaultHelp: async () => '5s'}),
    'tsdb.path': Flags.string({description: 'Data directory of TSDB.', default: './data'}),
    ...objstoreFlags,
    'shipper.upload-compacted': Flags.boolean({
      description: 'If true shipper will try to upload compacted blocks as well. Useful for migration purposes. Works only if compaction is disabled on Prometheus. Do it once and then disable the flag when done.',
      default: false,
      allowNo: true,
    }),
    'hash-func': Flags.string({
      description: 'Specify which hash function to use when calculating the hashes of produced files. If no function has been specified, it does not happen. This permits avoiding downloading some files twice albeit at some performance cost. Possible values are: "", "SHA256".',
      options: ['', 'SHA256'],
      default: '',
    }),
    'shipper.meta-file-name': Flags.string({description: 'the file to store shipper metadata in', default: 'thanos.shipper.json'}),
    'shipper.upload-concurrency': Flags.integer({description: 'Number of goroutines to use when uploading block files to object storage.', default: 0, min: 0}),
    'shipper.ignore-unequal-block-size': Flags.boolean({
      description:
        'If true shipper will not require prometheus min and max block size flags to be set to the same value. Only use this if you want to keep long retention and compaction enabled on your Prometheus instance, as in the worst case it can result in ~2h data loss for your Thanos bucket storage.',
      default: false,
      allowNo: true,
      hidden: true,
    }),
    'shipper.allow-out-of-order-uploads': Flags.boolean({
      description:
        'If true, shipper will skip failed block uploads in the given iteration and retry later. This means that some newer blocks might be uploaded sooner than older blocks. This can trigger compaction without those blocks and as a result will create an overlap situation. Set it to true if you have vertical compaction enabled and wish to upload blocks as soon as possible without caring about order.',
      default: false,
      allowNo: true,
      hidden: true,
    }),
    'shipper.skip-corrupted-blocks': Flags.boolean({
      description:
        'If true, shipper will skip corrupted blocks in the given iteration and retry later. This means that some newer blocks might be uploaded sooner than older blocks. This can trigger compaction without those blocks and as a result will create an overlap situation. Set it to true if you have vertical compaction enabled and wish to upload blocks as soon as possible without caring about order.',
      default: false,
      allowNo: true,
      hidden: true,
    }),
    ...logFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Sidecar)
    const logger = loggerFromFlags(flags)
    const minTime = parseMinTime(flags['min-time'])
    try {
      const httpClientYaml = await pathOrContent({file: flags['prometheus.http-client-file'], content: flags['prometheus.http-client']}, {flagName: 'prometheus.http-client'})
      const objstoreConfig = await objstoreConfigFromFlags({configFile: flags['objstore.config-file'], config: flags['objstore.config']})
      const sidecar = await runSidecar({
        prometheusUrl: flags['prometheus.url'],
        grpcAddress: flags['grpc-address'],
        httpAddress: flags['http-address'],
        readyTimeoutMs: flags['prometheus.ready_timeout'],
        getConfigIntervalMs: flags['prometheus.get_config_interval'],
        getConfigTimeoutMs: flags['prometheus.get_config_timeout'],
        grpcGracePeriodMs: flags['grpc-grace-period'],
        httpGracePeriodMs: flags['http-grace-period'],
        minTime,
        prometheusHttpClient: httpClientYaml === undefined ? undefined : parsePrometheusHttpClientConfig(httpClientYaml, {logger}),
        reloader: {
          configFile: flags['reloader.config-file'] || undefined,
          configEnvsubstFile: flags['reloader.config-envsubst-file'] || undefined,
          ruleDirs: flags['reloader.rule-dir'],
          watchIntervalMs: flags['reloader.watch-interval'],
          retryIntervalMs: flags['reloader.retry-interval'],
        },
        logger,
        shipper: {
          tsdbPath: flags['tsdb.path'],
          objstoreConfig,
          metaFileName: flags['shipper.meta-file-name'],
          uploadCompacted: flags['shipper.upload-compacted'],
          ignoreUnequalBlockSize: flags['shipper.ignore-unequal-block-size'],
          allowOutOfOrderUploads: flags['shipper.allow-out-of-order-uploads'],
          skipCorruptedBlocks: flags['shipper.skip-corrupted-blocks'],
          hashFunc: flags['hash-func'] as '' | 'SHA256',
          uploadConcurrency: flags['shipper.upload-concurrency'],
        },
      })
      sidecar.lifecycle.handleSignals()
      await sidecar.lifecycle.wait()
      logger.info('exiting')
    } catch (e) {
      logger.error('sidecar failed', {err: e})
      this.exit(1)
    }
  }
}

function parseMinTime(s: string): number {
  if (s.startsWith('0000-01-01')) return MIN_INT64
  const rel = /^-(\d+)(ms|s|m|h|d|w|y)$/.exec(s)
  if (rel) {
    const unit: Record<string, number> = {ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, y: 3.1536e10}
    return Date.now() - Number(rel[1]) * unit[rel[2]!]!
  }
  const t = Date.parse(s)
  if (Number.isNaN(t)) throw new Error(`invalid --min-time ${JSON.stringify(s)}: use RFC 3339 or a relative duration like -2d`)
  return t
}
