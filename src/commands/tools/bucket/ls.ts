import {Command, Flags} from '@oclif/core'
import {pathOrContent} from '../../../core/config/path-or-content.js'
import {runBucketLs} from '../../../core/tools/bucket.js'
import {parseLsOutput} from '../../../core/tools/ls-format.js'
import {parseTimeOrDuration} from '../../../core/storegateway/time-or-duration.js'
import {objstoreFlags, requiredObjstoreConfig, timeOrDurationFlag} from '../../../cli/bucket-flags.js'
import {exitCodeOf, usage, writeStdout} from '../../../cli/tool-exit.js'
import {durationFlag, loggerFromFlags, logFlags} from '../../../cli/flags.js'

export default class BucketLs extends Command {
  static override summary = 'List all blocks in the bucket.'
  static override description = `As 'thanos tools bucket ls': the blocks of the bucket that have a meta.json, filtered by
--min-time/--max-time (blocks overlapping the range) and --exclude-delete, one per line: the ULID,
or with -o wide its time range, compaction level, resolution and source, or with -o json each
meta.json as Thanos re-marshals it. Blocks are listed in ULID order (Thanos's order is random);
--selector.relabel-config selects blocks by relabelling their external labels and __block_id
(actions keep, drop, hashmod). Times are printed in UTC (Thanos uses the local time zone).
Thanos's custom Go template for -o is not supported.
Exit codes: 0 ok, 1 bucket error, 2 usage error.`

  static override examples = [
    '<%= config.bin %> tools bucket ls --objstore.config-file bucket.yml',
    '<%= config.bin %> tools bucket ls --objstore.config-file bucket.yml -o wide --exclude-delete --min-time -7d',
  ]

  static override flags = {
    ...objstoreFlags,
    output: Flags.string({char: 'o', description: "Optional format in which to print each block's information. Options are 'json' or 'wide' (thanos's custom template is not supported).", default: ''}),
    'exclude-delete': Flags.boolean({description: 'Exclude blocks marked for deletion.', default: false}),
    'min-time': timeOrDurationFlag({
      description:
        'Start of time range limit to list blocks. Thanos Tools will list blocks, which were created later than this value. Option can be a constant time in RFC3339 format or time duration relative to current time, such as -1d or 2h45m. Valid duration units are ms, s, m, h, d, w, y.',
      default: parseTimeOrDuration('0000-01-01T00:00:00Z'),
      defaultHelp: async () => '0000-01-01T00:00:00Z',
    }),
    'max-time': timeOrDurationFlag({
      description:
        'End of time range limit to list. Thanos Tools will list only blocks, which were created earlier than this value. Option can be a constant time in RFC3339 format or time duration relative to current time, such as -1d or 2h45m. Valid duration units are ms, s, m, h, d, w, y.',
      default: parseTimeOrDuration('9999-12-31T23:59:59Z'),
      defaultHelp: async () => '9999-12-31T23:59:59Z',
    }),
    timeout: durationFlag({description: 'Timeout to download metadata from remote storage', default: 300_000, defaultHelp: async () => '5m'}),
    'selector.relabel-config-file': Flags.string({description: 'YAML file with relabeling configuration that allows selecting blocks to act on based on their external labels. It follows thanos sharding relabel-config syntax. For format details see: https://thanos.io/tip/thanos/sharding.md/#relabelling (actions keep, drop, hashmod)', helpValue: '<file-path>'}),
    'selector.relabel-config': Flags.string({description: "Alternative to 'selector.relabel-config-file' flag (mutually exclusive). Content of YAML file with relabeling configuration that allows selecting blocks to act on based on their external labels. It follows thanos sharding relabel-config syntax. For format details see: https://thanos.io/tip/thanos/sharding.md/#relabelling (actions keep, drop, hashmod)", helpValue: '<content>'}),
    ...logFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(BucketLs)
    const logger = loggerFromFlags(flags)
    try {
      const output = usage(() => parseLsOutput(flags.output))
      const objstoreConfig = await requiredObjstoreConfig(flags)
      const selectorRelabelConfig = await pathOrContent({file: flags['selector.relabel-config-file'], content: flags['selector.relabel-config']}, {flagName: 'selector.relabel-config'})
      await runBucketLs({
        objstoreConfig,
        output,
        excludeDelete: flags['exclude-delete'],
        minTime: flags['min-time'],
        maxTime: flags['max-time'],
        selectorRelabelConfig,
        timeoutMs: flags.timeout,
        logger,
        write: writeStdout,
      })
    } catch (e) {
      logger.error('ls failed', {err: e})
      this.exit(exitCodeOf(e))
    }
  }
}
