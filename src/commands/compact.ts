import {Command, Flags} from '@oclif/core'
import {runCompact} from '../core/compact/run.js'
import {ThanostsError} from '../core/errors.js'
import {objstoreConfigFromFlags} from '../core/objstore/config.js'
import type {HashFunc} from '../core/shipper/upload.js'
import {pathOrContent} from '../core/config/path-or-content.js'
import {parseTimeOrDuration} from '../core/storegateway/time-or-duration.js'
import {durationFlag, loggerFromFlags, logFlags} from '../cli/flags.js'
import {objstoreFlags, timeOrDurationFlag} from '../cli/bucket-flags.js'

const SELECTOR_HELP =
  'YAML file with relabeling configuration that allows selecting blocks to act on based on their external labels. It follows thanos sharding relabel-config syntax. For format details see: https://thanos.io/tip/thanos/sharding.md/#relabelling'
const RETENTION_HELP = (what: string): string => `How long to retain ${what} in bucket. Setting this to 0d will retain samples of this resolution forever`

export default class Compact extends Command {
  static override summary = 'Continuously compacts blocks in an object store bucket.'
  static override description = `Merges the blocks of the bucket given by --objstore.config-file or --objstore.config as Thanos's
compactor does: per group of equal external labels and resolution, overlapping blocks first
(only with --deduplication.replica-label; otherwise overlaps halt the compactor), then 2h blocks
into 8h, 8h into 2d, 2d into 14d. Inputs get deletion marks and are deleted after --delete-delay;
blocks past --retention.resolution-* are marked too; partial uploads older than 48h are removed.
With --deduplication.replica-label the replicas' blocks become one block without those labels,
--deduplication.func=penalty merging their samples as the querier deduplicates them. Unless
--downsampling.disable, raw blocks of 40h or more get a 5m copy, 5m blocks of 10d or more a 1h one.
Only blocks overlapping --min-time/--max-time and kept by --selector.relabel-config are acted on.
Runs once, or with --wait every --wait-interval, cleaning aborted partial uploads every
--compact.cleanup-interval and computing thanos_compact_todo_* every --compact.progress-interval;
/metrics (thanos_compact_halted ...), /-/healthy and /-/ready on --http-address.`

  static override examples = [
    '<%= config.bin %> compact --objstore.config-file bucket.yml --data-dir /var/thanos/compact',
    '<%= config.bin %> compact --objstore.config-file bucket.yml --wait --deduplication.replica-label replica --deduplication.func penalty --downsampling.disable',
  ]

  static override flags = {
    'http-address': Flags.string({description: 'Listen host:port for HTTP endpoints.', default: '0.0.0.0:10902'}),
    'http-grace-period': durationFlag({description: 'Time to wait after an interrupt received for HTTP Server.', default: 120_000, defaultHelp: async () => '2m'}),
    'data-dir': Flags.string({description: 'Data directory in which to cache blocks and process compactions.', default: './data'}),
    ...objstoreFlags,
    'consistency-delay': durationFlag({
      description: 'Minimum age of fresh (non-compacted) blocks before they are being processed. Malformed blocks older than the maximum of consistency-delay and 48h0m0s will be removed.',
      default: 1_800_000,
      defaultHelp: async () => '30m',
    }),
    'retention.resolution-raw': durationFlag({description: RETENTION_HELP('raw samples'), default: 0, defaultHelp: async () => '0d'}),
    'retention.resolution-5m': durationFlag({description: RETENTION_HELP('samples of resolution 1 (5 minutes)'), default: 0, defaultHelp: async () => '0d'}),
    'retention.resolution-1h': durationFlag({description: RETENTION_HELP('samples of resolution 2 (1 hour)'), default: 0, defaultHelp: async () => '0d'}),
    wait: Flags.boolean({char: 'w', allowNo: true, description: 'Do not exit after all compactions have been processed and wait for new work.', default: false}),
    'wait-interval': durationFlag({description: 'Wait interval between consecutive compaction runs and bucket refreshes. Only works when --wait flag specified.', default: 300_000, defaultHelp: async () => '5m'}),
    'downsampling.disable': Flags.boolean({
      allowNo: true,
      description: 'Disables downsampling. This is not recommended as querying long time ranges without non-downsampled data is not efficient and useful e.g it is not possible to render all samples for a human eye anyway',
      default: false,
    }),
    'block-meta-fetch-concurrency': Flags.integer({description: 'Number of goroutines to use when fetching block metadata from object storage.', default: 32, min: 1}),
    'block-files-concurrency': Flags.integer({
      description: 'Number of goroutines to use when fetching/uploading block files from object storage. (thanosts reads the blocks it compacts by ranges instead of downloading their files; this bounds the uploads of a compacted block\'s files.)',
      default: 1,
      min: 1,
    }),
    'compact.cleanup-interval': durationFlag({
      description:
        'How often we should clean up partially uploaded blocks and blocks with deletion mark in the background when --wait has been enabled. Setting it to "0s" disables it - the cleaning will only happen at the end of an iteration.',
      default: 300_000,
      defaultHelp: async () => '5m',
    }),
    'compact.progress-interval': durationFlag({
      description:
        'Frequency of calculating the compaction progress in the background when --wait has been enabled. Setting it to "0s" disables it. Now compaction, downsampling and retention progress are supported.',
      default: 300_000,
      defaultHelp: async () => '5m',
    }),
    'compact.concurrency': Flags.integer({description: 'Number of goroutines to use when compacting groups.', default: 1, min: 1}),
    'compact.blocks-fetch-concurrency': Flags.integer({
      description: 'Number of goroutines to use when download block during compaction. (thanosts opens, without downloading, this many input blocks of a plan at once.)',
      default: 1,
      min: 1,
    }),
    'downsample.concurrency': Flags.integer({description: 'Number of goroutines to use when downsampling blocks.', default: 1, min: 1}),
    'delete-delay': durationFlag({
      description:
        "Time before a block marked for deletion is deleted from bucket. If delete-delay is non zero, blocks will be marked for deletion and compactor component will delete blocks marked for deletion from the bucket. If delete-delay is 0, blocks will be deleted straight away. Note that deleting blocks immediately can cause query failures, if store gateway still has the block loaded, or compactor is ignoring the deletion because it's compacting the block at the same time.",
      default: 172_800_000,
      defaultHelp: async () => '48h',
    }),
    'deduplication.func': Flags.string({
      description:
        'Experimental. Deduplication algorithm for merging overlapping blocks. Possible values are: "", "penalty". If no value is specified, the default compact deduplication merger is used, which performs 1:1 deduplication for samples. When set to penalty, penalty based deduplication algorithm will be used. At least one replica label has to be set via --deduplication.replica-label flag.',
      options: ['', 'penalty'],
      default: '',
    }),
    'deduplication.replica-label': Flags.string({
      description:
        'Experimental. Label to treat as a replica indicator of blocks that can be deduplicated (repeated flag). This will merge multiple replica blocks into one. This process is irreversible. Flag may be specified multiple times as well as a comma separated list of labels. When one or more labels are set, compactor will ignore the given labels so that vertical compaction can merge the blocks.Please note that by default this uses a NAIVE algorithm for merging which works well for deduplication of blocks with **precisely the same samples** like produced by Receiver replication.If you need a different deduplication algorithm (e.g one that works well with Prometheus replicas), please set it via --deduplication.func.',
      multiple: true,
      default: [],
    }),
    'hash-func': Flags.string({
      description: 'Specify which hash function to use when calculating the hashes of produced files. If no function has been specified, it does not happen. This permits avoiding downloading some files twice albeit at some performance cost. Possible values are: "", "SHA256".',
      options: ['', 'SHA256'],
      default: '',
    }),
    'min-time': timeOrDurationFlag({
      description:
        'Start of time range limit to compact. Thanos Compactor will compact only blocks, which happened later than this value. Option can be a constant time in RFC3339 format or time duration relative to current time, such as -1d or 2h45m. Valid duration units are ms, s, m, h, d, w, y.',
      default: parseTimeOrDuration('0000-01-01T00:00:00Z'),
      defaultHelp: async () => '0000-01-01T00:00:00Z',
    }),
    'max-time': timeOrDurationFlag({
      description:
        'End of time range limit to compact. Thanos Compactor will compact only blocks, which happened earlier than this value. Option can be a constant time in RFC3339 format or time duration relative to current time, such as -1d or 2h45m. Valid duration units are ms, s, m, h, d, w, y.',
      default: parseTimeOrDuration('9999-12-31T23:59:59Z'),
      defaultHelp: async () => '9999-12-31T23:59:59Z',
    }),
    'selector.relabel-config-file': Flags.string({description: `Path to ${SELECTOR_HELP}`, helpValue: '<file-path>'}),
    'selector.relabel-config': Flags.string({description: `Alternative to 'selector.relabel-config-file' flag (mutually exclusive). Content of ${SELECTOR_HELP}`, helpValue: '<content>'}),
    ...logFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Compact)
    const logger = loggerFromFlags(flags)
    let running
    try {
      const objstoreConfig = await objstoreConfigFromFlags({configFile: flags['objstore.config-file'], config: flags['objstore.config']})
      if (objstoreConfig === undefined) throw new ThanostsError('bad_data', 'flag objstore.config-file or objstore.config is required for running this command and content cannot be empty.')
      const selectorRelabelConfig = await pathOrContent({file: flags['selector.relabel-config-file'], content: flags['selector.relabel-config']}, {flagName: 'selector.relabel-config'})
      running = await runCompact({
        objstoreConfig,
        dataDir: flags['data-dir'],
        httpAddress: flags['http-address'],
        httpGracePeriodMs: flags['http-grace-period'],
        wait: flags.wait,
        waitIntervalMs: flags['wait-interval'],
        consistencyDelayMs: flags['consistency-delay'],
        retention: {raw: flags['retention.resolution-raw'], fiveMinutes: flags['retention.resolution-5m'], oneHour: flags['retention.resolution-1h']},
        downsamplingDisabled: flags['downsampling.disable'],
        replicaLabels: flags['deduplication.replica-label'],
        dedupFunc: flags['deduplication.func'],
        deleteDelayMs: flags['delete-delay'],
        concurrency: flags['compact.concurrency'],
        blockMetaFetchConcurrency: flags['block-meta-fetch-concurrency'],
        blockFilesConcurrency: flags['block-files-concurrency'],
        blocksFetchConcurrency: flags['compact.blocks-fetch-concurrency'],
        downsampleConcurrency: flags['downsample.concurrency'],
        cleanupIntervalMs: flags['compact.cleanup-interval'],
        progressIntervalMs: flags['compact.progress-interval'],
        minTime: flags['min-time'],
        maxTime: flags['max-time'],
        selectorRelabelConfig,
        hashFunc: flags['hash-func'] as HashFunc,
        logger,
      })
    } catch (e) {
      logger.error('compact failed', {err: e})
      this.exit(e instanceof ThanostsError && e.kind === 'bad_data' ? 2 : 1)
    }
    running.lifecycle.handleSignals()
    let failed = false
    try {
      await running.done
    } catch (e) {
      failed = true
      logger.error('compact failed', {err: e})
    }
    await running.lifecycle.stop()
    logger.info('exiting')
    if (failed) this.exit(1)
  }
}
