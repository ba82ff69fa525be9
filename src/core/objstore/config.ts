/**
 * The bucket configuration, in Thanos's YAML (thanos-io/objstore `client/factory.go`):
 *
 *   type: S3            # case-insensitive
 *   config: {...}       # the provider's keys
 *   prefix: ""          # optional: the bucket is seen under this key prefix
 *
 * read from `--objstore.config-file` or `--objstore.config` with Thanos's environment
 * substitution (efficientgo/tools `extkingpin/pathorcontent.go`, used by thanos
 * `pkg/extkingpin/flags.go` `RegisterCommonObjStoreFlags`). Decoding is strict at every level:
 * an unknown key is an error naming it. (Upstream decodes FILESYSTEM's `config` leniently;
 * thanosts is strict there too, so a typo never goes unseen.)
 */
import {BadDataError} from '../errors.js'
import type {Logger} from '../log.js'
import type {Bucket} from './bucket.js'
import {FilesystemBucket} from './filesystem.js'
import {withPrefix} from './prefixed.js'
import {parseS3Config, type S3BucketConfig} from './s3-config.js'
import {S3Bucket} from './s3.js'
import {pathOrContent} from '../config/path-or-content.js'
import {parseYamlDocument, StrictMap} from '../config/strict-yaml.js'

const WHAT = 'bucket config'

/** The providers Thanos knows (objstore.go `ObjProvider`), of which thanosts has two. */
const THANOS_PROVIDERS = ['FILESYSTEM', 'S3', 'GCS', 'AZURE', 'SWIFT', 'COS', 'ALIYUNOSS', 'BOS', 'OCI', 'OBS'] as const

export type BucketConfig =
  | {type: 'FILESYSTEM'; prefix: string; config: {directory: string}}
  | {type: 'S3'; prefix: string; config: S3BucketConfig}

/** Decodes a bucket configuration; every error is a BadDataError naming the key at fault. */
export function parseBucketConfig(yamlText: string): BucketConfig {
  const top = new StrictMap(parseYamlDocument(yamlText, WHAT), '', WHAT)
  const rawType = top.str('type')
  const prefix = top.str('prefix')
  const config = top.map('config')
  top.done(['type', 'config', 'prefix'])

  const type = rawType.toUpperCase()
  switch (type) {
    case 'FILESYSTEM': {
      const directory = config.str('directory')
      config.done(['directory'])
      if (directory === '') throw new BadDataError(`${WHAT}: config.directory: missing directory for filesystem bucket`)
      return {type, prefix, config: {directory}}
    }
    case 'S3':
      return {type, prefix, config: parseS3Config(config)}
    case '':
      throw new BadDataError(`${WHAT}: type: missing (thanosts supports FILESYSTEM, S3)`)
    default:
      if ((THANOS_PROVIDERS as readonly string[]).includes(type)) {
        throw new BadDataError(`${WHAT}: type: bucket type ${rawType} is not supported by thanosts (supported: FILESYSTEM, S3)`)
      }
      throw new BadDataError(`${WHAT}: type: bucket with type ${rawType} is not supported (Thanos knows ${THANOS_PROVIDERS.join(', ')}; thanosts supports FILESYSTEM, S3)`)
  }
}

export interface BucketFromConfigOptions {
  logger?: Logger
  /** For the AWS_* credential variables of an S3 bucket without keys; process.env by default. */
  env?: NodeJS.ProcessEnv
}

/** The bucket a configuration describes, under its `prefix` when one is set. */
export function bucketFromConfig(yamlText: string, opts: BucketFromConfigOptions = {}): Bucket {
  const cfg = parseBucketConfig(yamlText)
  opts.logger?.info('loading bucket configuration', {type: cfg.type, ...(cfg.type === 'S3' ? {bucket: cfg.config.bucket, endpoint: cfg.config.endpoint} : {directory: cfg.config.directory}), prefix: cfg.prefix})
  const bucket = cfg.type === 'FILESYSTEM' ? new FilesystemBucket(cfg.config) : new S3Bucket(cfg.config, {logger: opts.logger, env: opts.env})
  return withPrefix(bucket, cfg.prefix)
}

export interface ObjstoreFlagValues {
  /** `--objstore.config-file`: a path. */
  configFile?: string
  /** `--objstore.config`: the YAML itself. */
  config?: string
}

export interface ObjstoreFlagOptions {
  /** Flag name without `-file`, for messages (`objstore.config`; `objstore-to.config` for a second bucket). */
  flagName?: string
  env?: NodeJS.ProcessEnv
}

/**
 * The configuration the two flags give, environment substituted, or undefined when there is
 * none: neither flag given, or given empty (the sidecar then ships nothing, as Thanos's).
 * Both flags at once are an error, as in Thanos.
 */
export function objstoreConfigFromFlags(flags: ObjstoreFlagValues, opts: ObjstoreFlagOptions = {}): Promise<string | undefined> {
  return pathOrContent({file: flags.configFile, content: flags.config}, {flagName: opts.flagName ?? 'objstore.config', env: opts.env})
}
