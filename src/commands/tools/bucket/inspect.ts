import {Command, Flags} from '@oclif/core'
import {parseSelector, runBucketInspect} from '../../../core/tools/bucket.js'
import {INSPECT_COLUMNS, INSPECT_OUTPUTS, type InspectColumn, type InspectOutput} from '../../../core/tools/inspect-table.js'
import {objstoreFlags, requiredObjstoreConfig} from '../../../cli/bucket-flags.js'
import {exitCodeOf, usage, writeStdout} from '../../../cli/tool-exit.js'
import {durationFlag, loggerFromFlags, logFlags} from '../../../cli/flags.js'

export default class BucketInspect extends Command {
  static override summary = 'Inspect all blocks in the bucket in detailed, table-like way.'
  static override description = `As 'thanos tools bucket inspect': every block of the bucket that has a meta.json (deletion-marked
ones too) whose external labels match all -l selectors, one row each with its time range, the
time left until it is downsampled, stats, compaction, labels, resolution and source, sorted by
--sort-by (then by ULID). --output table, tsv or csv print what Thanos prints, with times in UTC
(Thanos uses the local time zone); --output json is a thanosts extension: an array of objects with
typed values (Thanos has no json output for inspect).
Exit codes: 0 ok, 1 bucket error, 2 usage error.`

  static override examples = [
    '<%= config.bin %> tools bucket inspect --objstore.config-file bucket.yml',
    `<%= config.bin %> tools bucket inspect --objstore.config-file bucket.yml -l 'cluster="eu1"' --sort-by '#SAMPLES' --output csv`,
  ]

  static override flags = {
    ...objstoreFlags,
    selector: Flags.string({char: 'l', description: `Selects blocks based on label, e.g. '-l key1=\\"value1\\" -l key2=\\"value2\\"'. All key value pairs must match.`, multiple: true, default: [], helpValue: '<name>=\\"<value>\\"'}),
    'sort-by': Flags.string({
      description: "Sort by columns. It's also possible to sort by multiple columns, e.g. '--sort-by FROM --sort-by UNTIL'. I.e., if the 'FROM' value is equal the rows are then further sorted by the 'UNTIL' value.",
      multiple: true,
      options: [...INSPECT_COLUMNS],
      default: ['FROM', 'UNTIL'],
    }),
    timeout: durationFlag({description: 'Timeout to download metadata from remote storage', default: 300_000, defaultHelp: async () => '5m'}),
    output: Flags.string({description: 'Output format for result. Currently supports table, csv, tsv; json is a thanosts extension.', options: [...INSPECT_OUTPUTS], default: 'table'}),
    ...logFlags,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(BucketInspect)
    const logger = loggerFromFlags(flags)
    try {
      const selector = usage(() => parseSelector(flags.selector))
      const objstoreConfig = await requiredObjstoreConfig(flags)
      await runBucketInspect({
        objstoreConfig,
        selector,
        sortBy: flags['sort-by'] as InspectColumn[],
        output: flags.output as InspectOutput,
        timeoutMs: flags.timeout,
        logger,
        write: writeStdout,
      })
    } catch (e) {
      logger.error('inspect failed', {err: e})
      this.exit(exitCodeOf(e))
    }
  }
}
