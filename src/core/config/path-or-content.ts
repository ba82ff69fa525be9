/**
 * config/: reading configuration the way Thanos does: a flag pair `--x-file` / `--x` (a path or
 * the content itself, efficientgo `extkingpin/pathorcontent.go`) with `$(VAR)` environment
 * substitution (this file), and YAML decoded with the strictness of Go's yaml.v2
 * (strict-yaml.ts).
 */
import {readFile} from 'node:fs/promises'
import {BadDataError} from '../errors.js'

export interface PathOrContentOptions {
  /** Flag name without `-file`, for messages (`objstore.config`, `prometheus.http-client`). */
  flagName: string
  env?: NodeJS.ProcessEnv
}

/**
 * The configuration a `--NAME-file` / `--NAME` pair gives, environment substituted, or
 * undefined when there is none (neither flag, or empty content). Both flags at once are an
 * error, as in Thanos.
 */
export async function pathOrContent(flags: {file?: string; content?: string}, opts: PathOrContentOptions): Promise<string | undefined> {
  const name = opts.flagName
  const file = flags.file ?? ''
  const content = flags.content ?? ''
  if (file !== '' && content !== '') throw new BadDataError(`both --${name}-file and --${name} flags set; they are mutually exclusive`)
  let text = content
  if (file !== '') {
    try {
      text = await readFile(file, 'utf8')
    } catch (e) {
      throw new BadDataError(`loading file ${file} for --${name}-file: ${(e as Error).message}`, {cause: e})
    }
  }
  const expanded = expandEnv(text, opts.env ?? process.env)
  return expanded === '' ? undefined : expanded
}

/**
 * Thanos's environment substitution in config files: `$(NAME)` (the Kubernetes convention),
 * NAME made of letters, digits and `_`, anywhere in the text, comments included. `${NAME}` and
 * `$NAME` are left as they are. A reference to an unset variable is an error; a variable set
 * to the empty string substitutes as empty.
 */
export function expandEnv(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(/\$\(([a-zA-Z_0-9]+)\)/g, (_, name: string) => {
    const v = env[name]
    if (v === undefined) throw new BadDataError(`found reference to unset environment variable "${name}"`)
    return v
  })
}
