/**
 * Flags of the commands over a bucket (store, tools bucket, compact): the object store
 * configuration, which thanos registers once on `thanos tools bucket` (extkingpin.
 * RegisterCommonObjStoreFlags, required there; oclif has no flags on a topic, so each
 * subcommand spreads them), and the time-or-duration flags (--min-time, --max-time).
 */
import {Errors, Flags} from '@oclif/core'
import {objstoreConfigFromFlags} from '../core/objstore/config.js'
import {parseTimeOrDuration, type TimeOrDuration} from '../core/storegateway/time-or-duration.js'

const OBJSTORE_HELP = 'YAML file that contains object store configuration. See format details: https://thanos.io/tip/thanos/storage.md/#configuration'

export const objstoreFlags = {
  // extflag.RegisterPathOrContent: the file flag says "Path to", the content flag "Content of"
  'objstore.config-file': Flags.string({description: `Path to ${OBJSTORE_HELP}`, helpValue: '<file-path>'}),
  'objstore.config': Flags.string({description: `Alternative to 'objstore.config-file' flag (mutually exclusive). Content of ${OBJSTORE_HELP}`, helpValue: '<content>'}),
}

/** The bucket YAML of the two flags; either is required, as in `thanos tools bucket`. */
export async function requiredObjstoreConfig(flags: {'objstore.config-file'?: string; 'objstore.config'?: string}): Promise<string> {
  const cfg = await objstoreConfigFromFlags({configFile: flags['objstore.config-file'], config: flags['objstore.config']})
  if (cfg === undefined) throw new Errors.CLIError('flag objstore.config-file or objstore.config is required for running this command and content cannot be empty.', {exit: 2})
  return cfg
}

/** RFC 3339 or a duration relative to now (`-1d`, `2h45m`), validated at parse time: a bad value exits 2. */
export const timeOrDurationFlag = Flags.custom<TimeOrDuration>({
  parse: async (input, _ctx, opts) => {
    try {
      return parseTimeOrDuration(input, opts.name)
    } catch (e) {
      throw new Errors.CLIError((e as Error).message, {exit: 2})
    }
  },
})
