/**
 * The real `thanos tools bucket ls` over a bucket config: what Thanos sees in a bucket we wrote.
 * A block for it is the minimal layout Thanos's fetcher accepts: `<ULID>/meta.json` in Thanos's
 * meta format (thanos `pkg/block/metadata/meta.go`: Prometheus's BlockMeta, version 1, plus the
 * `thanos` section with external labels), next to index and chunk files it does not read.
 */
import {execFile} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import type {Bucket} from '../../../src/core/objstore/bucket.js'
import {peer} from '../../helpers/peers.js'

const execFileP = promisify(execFile)

export interface LsBlock {
  ulid: string
  minTime: number
  maxTime: number
  thanos: {labels: Record<string, string>}
}

/** Uploads a minimal block: chunks and index first, meta.json last, as Thanos's shipper does. */
export async function uploadMinimalBlock(b: Bucket, ulid: string, labels: Record<string, string>, minTime = 1_700_000_000_000): Promise<void> {
  const meta = {
    ulid,
    minTime,
    maxTime: minTime + 7_200_000,
    stats: {numSamples: 1, numSeries: 1, numChunks: 1},
    compaction: {level: 1, sources: [ulid]},
    version: 1,
    thanos: {labels, downsample: {resolution: 0}, source: 'sidecar', segment_files: ['000001']},
  }
  await b.upload(`${ulid}/chunks/000001`, Buffer.from([0x85, 0xbd, 0x40, 0xdd, 1, 0, 0, 0]))
  await b.upload(`${ulid}/index`, Buffer.from([0xba, 0xaa, 0xd7, 0x00, 2]))
  await b.upload(`${ulid}/meta.json`, Buffer.from(JSON.stringify(meta, null, '\t')))
}

/** Runs `thanos tools bucket ls -o json --objstore.config-file=<yaml>` and returns the blocks it lists. */
export async function thanosBucketLs(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<LsBlock[]> {
  const dir = await mkdtemp(path.join(tmpdir(), 'thanosts-bucket-ls-'))
  try {
    const cfg = path.join(dir, 'objstore.yml')
    await writeFile(cfg, yaml)
    const {stdout} = await execFileP(peer('thanos').path, ['tools', 'bucket', 'ls', `--objstore.config-file=${cfg}`, '-o', 'json', '--timeout=1m'], {
      env: {...process.env, ...env},
      cwd: dir,
      maxBuffer: 16 << 20,
    }).catch((e: {stderr?: string; message: string}) => {
      throw new Error(`thanos tools bucket ls failed: ${e.stderr?.slice(-3000) || e.message}`)
    })
    return splitJsonObjects(stdout) as LsBlock[]
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/** `-o json` prints one indented JSON object per block, back to back. */
function splitJsonObjects(s: string): unknown[] {
  const out: unknown[] = []
  let depth = 0
  let start = -1
  let inStr = false
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (inStr) {
      if (c === '\\') i++
      else if (c === '"') inStr = false
      continue
    }
    if (c === '"') inStr = true
    else if (c === '{') {
      if (depth++ === 0) start = i
    } else if (c === '}' && --depth === 0) out.push(JSON.parse(s.slice(start, i + 1)))
  }
  return out
}
