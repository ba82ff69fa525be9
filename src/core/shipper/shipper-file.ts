/**
 * `thanos.shipper.json`, the shipper's record of what it uploaded, in Thanos's format
 * (thanos `pkg/shipper/shipper.go` Meta, WriteMetaFile, ReadMetaFile):
 *
 *   {
 *   	"version": 1,
 *   	"uploaded": [
 *   		"01J..."
 *   	]
 *   }
 *
 * Prometheus ≥ 3.9 reads the same file through `--storage.tsdb.delay-compact-file.path`
 * (prometheus `cmd/prometheus/main.go` exludeBlocksPendingUpload: the `uploaded` array) and
 * compacts a level-1 block only once it is listed, so the file must be complete whenever it is
 * seen: it is written to a temp file, fsynced, renamed over the old one and the directory is
 * fsynced, as upstream does.
 */
import {open, readFile, rename} from 'node:fs/promises'
import path from 'node:path'
import {BadDataError} from '../errors.js'
import {goJson, GoStruct} from '../block/go-json.js'
import {isUlid} from '../block/ulid.js'

export const DEFAULT_SHIPPER_FILENAME = 'thanos.shipper.json'
export const SHIPPER_FILE_VERSION_1 = 1

export interface ShipperFile {
  version: number
  /** Block IDs; null as Go marshals a nil slice (no block recorded). */
  uploaded: string[] | null
}

/** The file's text exactly as Thanos writes it (json.Encoder, tab indent, trailing newline). */
export function formatShipperFile(f: ShipperFile): string {
  return goJson(new GoStruct([['version', f.version], ['uploaded', f.uploaded]]), '\t') + '\n'
}

/**
 * Reads the file. A missing file is an ENOENT error (the caller starts empty, as upstream);
 * unparsable text or another version is a BadDataError.
 */
export async function readShipperFile(file: string): Promise<ShipperFile> {
  const text = await readFile(file, 'utf8')
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    throw new BadDataError(`failed to parse ${file} as JSON: ${JSON.stringify(text)}`)
  }
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as {version?: unknown; uploaded?: unknown}
  if (o.version !== SHIPPER_FILE_VERSION_1) throw new BadDataError(`unexpected meta file version ${JSON.stringify(o.version ?? 0)}`)
  if (o.uploaded !== null && o.uploaded !== undefined && (!Array.isArray(o.uploaded) || o.uploaded.some((x) => typeof x !== 'string' || !isUlid(x)))) {
    throw new BadDataError(`failed to parse ${file} as JSON: "uploaded" is not a list of ULIDs`)
  }
  return {version: SHIPPER_FILE_VERSION_1, uploaded: ((o.uploaded as string[] | null | undefined) ?? null)?.map((x) => x.toUpperCase()) ?? null}
}

/** Writes the file atomically: temp file, fsync, rename over, fsync of the directory. */
export async function writeShipperFile(file: string, f: ShipperFile): Promise<void> {
  const tmp = `${file}.tmp`
  const fh = await open(tmp, 'w')
  try {
    await fh.writeFile(formatShipperFile(f))
    await fh.sync()
  } finally {
    await fh.close()
  }
  await renameDurably(tmp, file)
}

/**
 * rename(2) over the old file, then fsync of the parent, so the new name survives a crash of the
 * host. Renaming over is atomic: a reader (Prometheus reading the delay-compact file) sees the
 * old content or the new, never no file, which removing the old one first would allow.
 */
export async function renameDurably(from: string, to: string): Promise<void> {
  await rename(from, to)
  const dir = await open(path.dirname(to), 'r')
  try {
    await dir.datasync()
  } finally {
    await dir.close()
  }
}
