/**
 * The real `thanos tools bucket downsample` over a FILESYSTEM bucket. It has no one-shot mode
 * (it repeats every --wait-interval), so it runs as a managed process until the blocks the
 * caller expects are in the bucket (meta.json is uploaded last, so a block with one is whole),
 * then is stopped by pid. Each run does two passes, raw → 5m then 5m → 1h, so one run makes
 * both resolutions when the blocks span enough (40h for 5m, 10d for 1h).
 */
import {mkdtemp, readdir, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {parseMeta, type BlockMeta} from '../../src/core/block/meta.js'
import {peer} from './peers.js'
import {freePort} from './ports.js'
import {startProcess} from './process.js'
import {filesystemBucketYaml} from './thanos-bucket.js'

/** meta.json of every whole block in a FILESYSTEM bucket directory. */
export async function bucketMetas(bucketDir: string): Promise<BlockMeta[]> {
  const out: BlockMeta[] = []
  for (const name of (await readdir(bucketDir)).filter((n) => /^[0-9A-Z]{26}$/.test(n)).sort()) {
    const text = await readFile(path.join(bucketDir, name, 'meta.json')).catch(() => undefined)
    if (text) out.push(parseMeta(text, name))
  }
  return out
}

/**
 * Runs thanos's downsampler over `bucketDir` until `done(metas)` holds for the bucket's blocks.
 * @returns the process output. @throws when it exits first or `timeoutMs` passes.
 */
export async function runThanosDownsample(bucketDir: string, done: (metas: BlockMeta[]) => boolean, timeoutMs = 180_000): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'thanosts-thanos-downsample-'))
  const p = startProcess('thanos-downsample', peer('thanos').path, [
    'tools',
    'bucket',
    'downsample',
    `--objstore.config=${filesystemBucketYaml(bucketDir)}`,
    `--data-dir=${path.join(dir, 'data')}`,
    `--http-address=127.0.0.1:${await freePort()}`,
    '--wait-interval=1h',
  ])
  try {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (done(await bucketMetas(bucketDir))) return p.output()
      if (p.exited()) throw new Error(`thanos tools bucket downsample exited:\n${p.output()}`)
      if (Date.now() > deadline) throw new Error(`thanos tools bucket downsample: blocks not there after ${timeoutMs} ms:\n${p.output()}`)
      await new Promise((r) => setTimeout(r, 200))
    }
  } finally {
    await p.stop()
    await rm(dir, {recursive: true, force: true})
  }
}
