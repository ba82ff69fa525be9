/**
 * Upload of one local block, as Thanos's shipper does it (thanos `pkg/shipper/shipper.go`
 * upload + hardlinkBlock, `pkg/block/block.go` upload + GatherFileStats + GetSegmentFiles):
 *
 * 1. `chunks/*`, `index` and `meta.json` are hard-linked into `<tsdb>/thanos/upload/<ULID>/`, so
 *    Prometheus deleting or compacting the block meanwhile cannot pull files from under the
 *    upload (tombstones are never uploaded: readers of a bucket do not use them);
 * 2. the meta gets the external labels (merged over any already there), `source`, and
 *    `segment_files`; it is written into the upload directory by rename, which replaces the
 *    link instead of writing through it into Prometheus's own meta.json;
 * 3. `files` lists chunks/* and index with their sizes (and SHA256 with --hash-func) and
 *    meta.json without size, sorted by path;
 * 4. objects go up in this order: every chunk segment, the index, and meta.json LAST, with
 *    `upload_time` set just before. A block without meta.json is a partial upload that every
 *    reader ignores, so an upload cut short (error, SIGTERM, SIGKILL) never shows a half block;
 *    the next round uploads the whole block again over whatever objects were left.
 *
 * Files are streamed from disk: a chunk segment can be 512 MiB. uploadBlockDir is step 4 alone
 * (block.Upload) for a block directory that is already final, as the compactor's output.
 */
import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {link, mkdir, open, readdir, readFile, rm, stat} from 'node:fs/promises'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'
import {BadDataError, ThanostsError} from '../errors.js'
import {formatGoTime, formatMeta, META_FILENAME, parseMeta, type BlockFile, type BlockMeta, type BlockSource} from '../block/meta.js'
import {isUlid} from '../block/ulid.js'
import type {Bucket} from '../objstore/bucket.js'
import type {Label} from '../labels/labels.js'
import type {Logger} from '../log.js'
import {renameDurably} from './shipper-file.js'

export const CHUNKS_DIRNAME = 'chunks'
export const INDEX_FILENAME = 'index'
/** Where blocks are hard-linked for upload, relative to the TSDB directory (as Thanos). */
export const UPLOAD_DIRNAME = path.join('thanos', 'upload')

/** `--hash-func`: '' (none) or 'SHA256'. */
export type HashFunc = '' | 'SHA256'

/** Where and how a block directory goes up (thanos block.Upload's arguments). */
export interface BlockDirUploadOptions {
  bucket: Bucket
  hashFunc: HashFunc
  /** Chunk segments uploaded at once; 0 or 1 = one after the other (upstream's default). */
  concurrency: number
  logger: Logger
  signal?: AbortSignal
  /** The clock for upload_time (tests). */
  now?: () => Date
}

export interface UploadBlockOptions extends BlockDirUploadOptions {
  /** The TSDB directory holding `<ULID>/`. */
  tsdbDir: string
  labels: readonly Label[]
  source: BlockSource
}

/** Uploads `meta.ulid` from the TSDB directory. `meta` is the block's local meta.json, parsed. */
export async function uploadBlock(meta: BlockMeta, o: UploadBlockOptions): Promise<void> {
  const id = meta.ulid
  const upDir = path.join(o.tsdbDir, UPLOAD_DIRNAME, id)
  await rm(upDir, {recursive: true, force: true}).catch((e: unknown) => {
    throw wrap('clean upload directory', e)
  })
  await mkdir(upDir, {recursive: true, mode: 0o750}).catch((e: unknown) => {
    throw wrap('create upload dir', e)
  })
  try {
    await hardlinkBlock(path.join(o.tsdbDir, id), upDir).catch((e: unknown) => {
      throw wrap('hard link block', e)
    })
    const m: BlockMeta = structuredClone(meta)
    const merged: Record<string, string> = {...m.thanos.labels}
    for (const l of o.labels) merged[l.name] = l.value
    m.thanos.labels = merged
    m.thanos.source = o.source
    m.thanos.segment_files = (await readdir(path.join(upDir, CHUNKS_DIRNAME))).sort(compareNames)
    await writeMetaToDir(upDir, m).catch((e: unknown) => {
      throw wrap('write meta file', e)
    })
    await uploadDir(upDir, m, o)
  } finally {
    await rm(upDir, {recursive: true, force: true}).catch((e: unknown) => o.logger.error('failed to clean upload directory', {err: e}))
  }
}

/**
 * Thanos block.Upload of a finished block directory (the compactor's and `thanos tools bucket
 * upload-blocks`' path, pkg/block/block.go upload): the directory's name must be a ULID, its
 * meta.json is read from it, and it must carry external labels unless `promBlock` (block.
 * UploadPromBlock). Returns the meta as uploaded (files, upload_time).
 */
export async function uploadBlockDir(dir: string, o: BlockDirUploadOptions & {promBlock?: boolean}): Promise<BlockMeta> {
  const st = await stat(dir)
  if (!st.isDirectory()) throw new BadDataError(`${dir} is not a directory`)
  const name = path.basename(dir)
  if (!isUlid(name)) throw new BadDataError(`not a block dir: ${JSON.stringify(name)} is not a ULID`)
  const meta = parseMeta(await readFile(path.join(dir, META_FILENAME)), name)
  await uploadDir(dir, meta, o, !o.promBlock)
  return meta
}

/** Thanos block.Upload over a prepared block directory whose name is the block ID. */
async function uploadDir(dir: string, meta: BlockMeta, o: BlockDirUploadOptions, checkExternalLabels = true): Promise<void> {
  const id = meta.ulid
  if (checkExternalLabels && Object.keys(meta.thanos.labels).length === 0) throw new BadDataError('empty external labels are not allowed for Thanos block.')
  meta.thanos.files = await gatherFileStats(dir, o.hashFunc).catch((e: unknown) => {
    throw wrap('gather meta file stats', e)
  })

  const chunkFiles = await walkFiles(path.join(dir, CHUNKS_DIRNAME))
  await runLimited(chunkFiles, Math.max(1, o.concurrency), o.signal, (rel) => uploadFile(o, path.join(dir, CHUNKS_DIRNAME, rel), `${id}/${CHUNKS_DIRNAME}/${rel}`)).catch((e: unknown) => {
    throw wrap('upload chunks', e)
  })
  await uploadFile(o, path.join(dir, INDEX_FILENAME), `${id}/${INDEX_FILENAME}`).catch((e: unknown) => {
    throw wrap('upload index', e)
  })

  meta.thanos.upload_time = formatGoTime(o.now?.() ?? new Date())
  // meta.json always last: a block directory without it is a pending (or failed) upload.
  await o.bucket.upload(`${id}/${META_FILENAME}`, Buffer.from(formatMeta(meta)), {signal: o.signal}).catch((e: unknown) => {
    throw wrap('upload meta file', e)
  })
}

/** Streams one file into the bucket with its size known, so S3 can choose PUT or multipart up front. */
async function uploadFile(o: BlockDirUploadOptions, src: string, dst: string): Promise<void> {
  o.signal?.throwIfAborted()
  const {size} = await stat(src)
  const body = createReadStream(src, {highWaterMark: 1 << 20})
  try {
    await o.bucket.upload(dst, body, {size, signal: o.signal})
  } catch (e) {
    throw wrap(`upload file ${src} as ${dst}`, e)
  } finally {
    body.destroy()
  }
  o.logger.debug('uploaded file', {from: src, dst, bucket: o.bucket.name})
}

async function hardlinkBlock(src: string, dst: string): Promise<void> {
  await mkdir(path.join(dst, CHUNKS_DIRNAME), {recursive: true, mode: 0o750})
  const chunks = (await readdir(path.join(src, CHUNKS_DIRNAME)).catch((e: unknown) => {
    throw wrap('read chunk dir', e)
  })).sort(compareNames)
  const files = [...chunks.map((f) => path.join(CHUNKS_DIRNAME, f)), META_FILENAME, INDEX_FILENAME]
  for (const f of files) {
    await link(path.join(src, f), path.join(dst, f)).catch((e: unknown) => {
      throw wrap(`hard link file ${f}`, e)
    })
  }
}

/** meta.json into `dir` by temp file + fsync + rename (thanos metadata.Meta.WriteToDir). */
async function writeMetaToDir(dir: string, meta: BlockMeta): Promise<void> {
  const file = path.join(dir, META_FILENAME)
  const tmp = `${file}.tmp`
  const fh = await open(tmp, 'w')
  try {
    await fh.writeFile(formatMeta(meta))
    await fh.sync()
  } finally {
    await fh.close()
  }
  await renameDurably(tmp, file)
}

/** thanos block.GatherFileStats: chunks/* and index with sizes, meta.json without, by path. */
export async function gatherFileStats(dir: string, hashFunc: HashFunc): Promise<BlockFile[]> {
  const out: BlockFile[] = []
  const chunksDir = path.join(dir, CHUNKS_DIRNAME)
  for (const e of (await readdir(chunksDir, {withFileTypes: true})).sort((a, b) => compareNames(a.name, b.name))) {
    const f: BlockFile = {rel_path: `${CHUNKS_DIRNAME}/${e.name}`, size_bytes: (await stat(path.join(chunksDir, e.name))).size}
    if (hashFunc !== '' && !e.isDirectory()) f.hash = {hashFunc, value: await sha256File(path.join(chunksDir, e.name))}
    out.push(f)
  }
  const index: BlockFile = {rel_path: INDEX_FILENAME, size_bytes: (await stat(path.join(dir, INDEX_FILENAME))).size}
  if (hashFunc !== '') index.hash = {hashFunc, value: await sha256File(path.join(dir, INDEX_FILENAME))}
  out.push(index)
  await stat(path.join(dir, META_FILENAME))
  out.push({rel_path: META_FILENAME})
  return out.sort((a, b) => compareNames(a.rel_path, b.rel_path))
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256')
  await pipeline(createReadStream(file, {highWaterMark: 1 << 20}), h)
  return h.digest('hex')
}

/** Files below `dir`, relative, `/`-separated, in lexical walk order (Go filepath.WalkDir). */
async function walkFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for (const e of (await readdir(dir, {withFileTypes: true})).sort((a, b) => compareNames(a.name, b.name))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name
    if (e.isDirectory()) out.push(...(await walkFiles(path.join(dir, e.name), rel)))
    else out.push(rel)
  }
  return out
}

/** Runs `fn` over `items`, at most `limit` at a time; the first error stops new starts and is thrown. */
async function runLimited<T>(items: readonly T[], limit: number, signal: AbortSignal | undefined, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0
  let failed: unknown
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      if (signal?.aborted) {
        failed ??= signal.reason
        return
      }
      const x = items[next++]!
      try {
        await fn(x)
      } catch (e) {
        failed ??= e
      }
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  if (failed !== undefined) throw failed
}

/** Go sorts names as byte strings. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

/** `what: cause`, as Go's errors.Wrap prints, keeping the cause's kind. */
function wrap(what: string, e: unknown): Error {
  const msg = `${what}: ${e instanceof Error ? e.message : String(e)}`
  return e instanceof ThanostsError ? new ThanostsError(e.kind, msg, {cause: e}) : new Error(msg, {cause: e})
}
