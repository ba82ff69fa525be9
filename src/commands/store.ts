import {Command, Flags} from '@oclif/core'
import {pathOrContent} from '../core/config/path-or-content.js'
import {runStoreGateway} from '../core/storegateway/store-gateway.js'
import {parseTimeOrDuration} from '../core/storegateway/time-or-duration.js'
import {objstoreFlags, requiredObjstoreConfig, timeOrDurationFlag} from '../cli/bucket-flags.js'
import {durationFlag, loggerFromFlags, logFlags} from '../cli/flags.js'


export default class Store extends Command {
  static override summary = 'Store node giving access to blocks in a bucket (FILESYSTEM, S3) over the Thanos StoreAPI.'
  static override description = `Lists the blocks of the bucket given by --objstore.config-file or --objstore.config, keeps those
that have a meta.json and pass the filters (--min-time/--max-time, deletion marks older than
--ignore-deletion-marks-delay, --consistency-delay, blocks duplicated by a compaction), and serves
them as thanos.Store/Series, LabelNames, LabelValues and thanos.info.Info/Info on --grpc-address,
each block's series with its external labels. Re-syncs every --sync-block-duration. /metrics,
/-/healthy and /-/ready (ready after the first sync) on --http-address.`

  static override examples = [
    '<%= config.bin %> store --objstore.config-file bucket.yml',
    '<%= config.bin %> store --objstore.config "$(cat bucket.yml)" --grpc-address 0.0.0.0:10905 --min-time -30d',
  ]

  static override flags = {
    'http-address': Flags.string({description: 'Listen host:port for HTTP endpoints (/metrics, /-/healthy, /-/ready).', default: '0.0.0.0:10902'}),
    'http-grace-period': durationFlag({description: 'Time to wait after an interrupt received for HTTP Server.', default: 120_000, defaultHelp: async () => '2m'}),
    'grpc-address': Flags.string({description: 'Listen ip:port address for gRPC endpoints (StoreAPI). Make sure this address is routable from other components.', default: '0.0.0.0:10901'}),
    'grpc-grace-period': durationFlag({description: 'Time to wait after an interrupt received for GRPC Server.', default: 120_000, defaultHelp: async () => '2m'}),
    'data-dir': Flags.string({
      description: 'Local data directory used for caching purposes in Thanos (index-header, meta.jsons). Accepted for compatibility: thanosts keeps index headers and meta.jsons in memory and writes nothing here.',
      default: './data',
    }),
    ...objstoreFlags,
    'sync-block-duration': durationFlag({description: 'Repeat interval for syncing the blocks between local and remote view.', default: 900_000, defaultHelp: async () => '15m'}),
    'block-sync-concurrency': Flags.integer({description: 'Number of blocks opened at once while syncing. Must be equal or greater than 1.', default: 20, min: 1}),
    'block-meta-fetch-concurrency': Flags.integer({description: 'Number of block metadata (meta.json, deletion marks) fetched from object storage at once.', default: 32, min: 1}),
    'min-time': timeOrDurationFlag({
      description:
        'Start of time range limit to serve. Thanos Store will serve only metrics, which happened later than this value. Option can be a constant time in RFC3339 format or time duration relative to current time, such as -1d or 2h45m. Valid duration units are ms, s, m, h, d, w, y.',
      default: parseTimeOrDuration('0000-01-01T00:00:00Z'),
      defaultHelp: async () => '0000-01-01T00:00:00Z',
    }),
    'max-time': timeOrDurationFlag({
      description:
        'End of time range limit to serve. Thanos Store will serve only blocks, which happened earlier than this value. Option can be a constant time in RFC3339 format or time duration relative to current time, such as -1d or 2h45m. Valid duration units are ms, s, m, h, d, w, y.',
      default: parseTimeOrDuration('9999-12-31T23:59:59Z'),
      defaultHelp: async () => '9999-12-31T23:59:59Z',
    }),
    'selector.relabel-config-file': Flags.string({
      description: 'Path to YAML file with relabeling configuration that allows selecting blocks to act on based on their external labels. It follows thanos sharding relabel-config syntax (actions keep, drop, hashmod). For format details see: https://thanos.io/tip/thanos/sharding.md/#relabelling',
      helpValue: '<file-path>',
    }),
    'selector.relabel-config': Flags.string({description: "Alternative to 'selector.relabel-config-file' flag (mutually exclusive). Content of YAML file with relabeling configuration that allows selecting blocks to act on based on their external labels.", helpValue: '<content>'}),
    'consistency-delay': durationFlag({
      description: 'Minimum age of all blocks before they are being read. Set it to safe value (e.g 30m) if your object storage is eventually consistent. GCS and S3 are (roughly) strongly consistent.',
      default: 0,
      defaultHelp: async () => '0s',
    }),
    'ignore-deletion-marks-delay': durationFlag({
      description:
        'Duration after which the blocks marked for deletion will be filtered out while fetching blocks. This ensures store can still serve blocks that are meant to be deleted but do not have a replacement yet. If delete-delay is non-zero for the compactor, ignore-deletion-marks-delay should be set to (delete-delay)/2. Default is 24h, half of the default value for --delete-delay on compactor.',
      default: 86_400_000,
      defaultHelp: async () => '24h',
    }),
    'store.limits.request-series': Flags.integer({description: 'The maximum series allowed for a single Series request. The Series call fails if this limit is exceeded. 0 means no limit.', default: 0, min: 0}),
    'store.limits.request-samples': Flags.integer({
      description: "The maximum samples allowed for a single Series request, The Series call fails if this limit is exceeded. 0 means no limit. NOTE: For efficiency the limit is internally implemented as 'chunks limit' considering each chunk contains a maximum of 120 samples.",
      default: 0,
      min: 0,
    }),
    'web.disable': Flags.boolean({description: 'Disable the blocks API (/api/v1/blocks); Thanos also disables its Block Viewer UI with it, which thanosts does not have.', default: false}),
    'bucket-web-label': Flags.string({description: 'External block label to use as group title in the bucket web UI (the label field of /api/v1/blocks).', default: ''}),
    'store.grpc.series-max-concurrency': Flags.integer({description: 'Maximum number of concurrent Series calls.', default: 20, min: 0}),
    'store.grpc.series-sample-limit': Flags.integer({description: 'DEPRECATED: use store.limits.request-samples.', default: 0, min: 0}),
    'store.grpc.touched-series-limit': Flags.integer({description: 'DEPRECATED: use store.limits.request-series.', default: 0, min: 0}),
    ...logFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Store)
    const logger = loggerFromFlags(flags)
    try {
      const objstoreConfig = await requiredObjstoreConfig(flags)
      const selectorRelabelConfig = await pathOrContent({file: flags['selector.relabel-config-file'], content: flags['selector.relabel-config']}, {flagName: 'selector.relabel-config'})
      const gw = await runStoreGateway({
        objstoreConfig,
        selectorRelabelConfig,
        grpcAddress: flags['grpc-address'],
        httpAddress: flags['http-address'],
        grpcGracePeriodMs: flags['grpc-grace-period'],
        httpGracePeriodMs: flags['http-grace-period'],
        syncIntervalMs: flags['sync-block-duration'],
        blockSyncConcurrency: flags['block-sync-concurrency'],
        blockMetaFetchConcurrency: flags['block-meta-fetch-concurrency'],
        minTime: flags['min-time'],
        maxTime: flags['max-time'],
        consistencyDelayMs: flags['consistency-delay'],
        ignoreDeletionMarksDelayMs: flags['ignore-deletion-marks-delay'],
        // Upstream binds the deprecated and the new flag to one variable; here the new one wins when set.
        seriesLimit: flags['store.limits.request-series'] || flags['store.grpc.touched-series-limit'],
        samplesLimit: flags['store.limits.request-samples'] || flags['store.grpc.series-sample-limit'],
        seriesMaxConcurrency: flags['store.grpc.series-max-concurrency'],
        disableWeb: flags['web.disable'],
        bucketWebLabel: flags['bucket-web-label'],
        logger,
      })
      gw.lifecycle.handleSignals()
      await gw.lifecycle.wait()
      logger.info('exiting')
    } catch (e) {
      logger.error('store failed', {err: e})
      this.exit(1)
    }
  }
}
