/**
 * The blocks in a TSDB directory, oldest first (thanos `pkg/shipper/shipper.go`
 * blockMetasFromOldest): every ULID-named directory with its meta.json, sorted by minTime.
 * Other entries (wal/, chunks_head/, `<ULID>.tmp-for-creation` of a block being written,
 * Thanos's own thanos/ upload directory) are not blocks. A block whose meta.json cannot be read
 * is corrupted: the whole listing fails, unless corrupted blocks are skipped, then it is named
 * in `corrupted`.
 */
import {readFile, readdir, stat} from 'node:fs/promises'
import path from 'node:path'
import {BadDataError} from '../errors.js'
import {META_FILENAME, parseMeta, type BlockMeta} from '../block/meta.js'
import {isUlid} from '../block/ulid.js'

export interface LocalBlocks {
  /** Sorted by minTime, ties in directory-name order. */
  metas: BlockMeta[]
  /** Directory names of blocks whose meta.json could not be read (only with skipCorrupted). */
  corrupted: string[]
}


export async function localBlocksFromOldest(dir: string, opts: {skipCorrupted: boolean; onCorrupted?: (block: string, err: unknown) => void}): Promise<LocalBlocks> {
  const names = (await readdir(dir)).sort()
  const metas: BlockMeta[] = []
  const corrupted: string[] = []
  for (const name of names) {
    if (!isUlid(name)) continue
    const blockDir = path.join(dir, name)
    let meta: BlockMeta
    try {
      if (!(await stat(blockDir)).isDirectory()) continue
      meta = parseMeta(await readFile(path.join(blockDir, META_FILENAME)), blockDir)
    } catch (e) {
      if (!opts.skipCorrupted) throw new BadDataError(`read metadata for block ${blockDir}: ${(e as Error).message}`, {cause: e})
      opts.onCorrupted?.(blockDir, e)
      corrupted.push(name)
      continue
    }
    metas.push(meta)
  }
  // Array.prototype.sort is stable: equal minTimes keep the name order.
  metas.sort((a, b) => a.minTime - b.minTime)
  return {metas, corrupted}
}
