/**
 * File service discovery for store endpoints (`--store.sd-files`), in Prometheus's file_sd
 * format: a YAML or JSON list of `{targets: ["host:port", ...], labels: {...}}` groups. Labels
 * are ignored here (Thanos only uses the targets). A path may end in a `*` glob on the file
 * name, as Prometheus/Thanos accept (`/etc/thanos/*.yaml`).
 */
import {readdir, readFile} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {load as loadYaml} from 'js-yaml'
import {BadDataError} from '../errors.js'

/** Expands `dir/*.yml`-style patterns (glob in the last path segment only). */
export async function expandSdPaths(patterns: readonly string[]): Promise<string[]> {
  const out: string[] = []
  for (const p of patterns) {
    const name = basename(p)
    if (!/[*?[]/.test(name)) {
      out.push(p)
      continue
    }
    const re = new RegExp('^' + name.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$')
    const dir = dirname(p)
    let entries: string[] = []
    try {
      entries = await readdir(dir)
    } catch {
      continue
    }
    for (const e of entries.sort()) if (re.test(e)) out.push(join(dir, e))
  }
  return out
}

/** Parses one file_sd document into its targets. @throws BadDataError on a malformed file. */
export function parseSdTargets(text: string, file: string): string[] {
  let doc: unknown
  try {
    doc = file.endsWith('.json') ? JSON.parse(text) : loadYaml(text)
  } catch (e) {
    throw new BadDataError(`file SD ${file}: ${(e as Error).message}`)
  }
  if (doc === null || doc === undefined) return []
  if (!Array.isArray(doc)) throw new BadDataError(`file SD ${file}: expected a list of target groups`)
  const targets: string[] = []
  for (const g of doc) {
    if (typeof g !== 'object' || g === null || !Array.isArray((g as {targets?: unknown}).targets)) {
      throw new BadDataError(`file SD ${file}: every group needs a "targets" list`)
    }
    for (const t of (g as {targets: unknown[]}).targets) {
      if (typeof t !== 'string' || t === '') throw new BadDataError(`file SD ${file}: targets must be non-empty strings`)
      targets.push(t)
    }
  }
  return targets
}

/** Reads every file (after glob expansion); a missing file contributes nothing. */
export async function readSdFiles(patterns: readonly string[]): Promise<{targets: string[]; errors: string[]}> {
  const targets: string[] = []
  const errors: string[] = []
  for (const f of await expandSdPaths(patterns)) {
    let text: string
    try {
      text = await readFile(f, 'utf8')
    } catch (e) {
      errors.push(`file SD ${f}: ${(e as Error).message}`)
      continue
    }
    try {
      targets.push(...parseSdTargets(text, f))
    } catch (e) {
      errors.push((e as Error).message)
    }
  }
  return {targets, errors}
}
