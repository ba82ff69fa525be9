/**
 * The real Thanos tools over a FILESYSTEM bucket, for the compactor tests: `thanos store` (to
 * read what a bucket holds through Thanos's own reader), `thanos tools bucket verify`, and
 * `thanos compact` itself, run once over a copy of the same input to compare with.
 */
import {execFile} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {peer, startPeer, type PeerProcess} from './peers.js'
import {freePort} from './ports.js'

const execFileP = promisify(execFile)

export function filesystemBucketYaml(dir: string): string {
  return `type: FILESYSTEM\nconfig:\n  directory: ${dir}\n`
}

export interface ThanosStoreHandle extends PeerProcess {
  grpcAddress: string
}

/** `thanos store` over the bucket directory (or any bucket config YAML), ready (initial sync done). */
export async function startThanosStore(bucketDir: string, yaml = filesystemBucketYaml(bucketDir)): Promise<ThanosStoreHandle> {
  const dir = await mkdtemp(path.join(tmpdir(), 'thanosts-thanos-store-'))
  const cfg = path.join(dir, 'objstore.yml')
  await writeFile(cfg, yaml)
  const [grpc, http] = [await freePort(), await freePort()]
  const p = await startPeer(
    'thanos-store',
    peer('thanos').path,
    ['store', `--data-dir=${path.join(dir, 'data')}`, `--objstore.config-file=${cfg}`, `--grpc-address=127.0.0.1:${grpc}`, `--http-address=127.0.0.1:${http}`, '--log.level=warn', '--ignore-deletion-marks-delay=0s'],
    `http://127.0.0.1:${http}/-/ready`,
    dir,
  )
  return {...p, grpcAddress: `127.0.0.1:${grpc}`}
}

/** `thanos tools bucket verify`: issues are logged, not an exit code, so the log is returned. */
export async function thanosBucketVerify(bucketDir: string): Promise<string> {
  const {stdout, stderr} = await execFileP(peer('thanos').path, ['tools', 'bucket', 'verify', `--objstore.config=${filesystemBucketYaml(bucketDir)}`, '--log.level=debug'], {maxBuffer: 64 << 20})
  return stdout + stderr
}

export interface RunResult {
  code: number
  output: string
}

/** Runs a command to its end; the exit code and all output, never a throw for a non-zero exit. */
export async function runToEnd(bin: string, args: string[], cwd?: string): Promise<RunResult> {
  try {
    const {stdout, stderr} = await execFileP(bin, args, {maxBuffer: 64 << 20, cwd, timeout: 240_000})
    return {code: 0, output: stdout + stderr}
  } catch (e) {
    const err = e as {code?: number; stdout?: string; stderr?: string; message: string}
    return {code: typeof err.code === 'number' ? err.code : -1, output: `${err.stdout ?? ''}${err.stderr ?? ''}${typeof err.code === 'number' ? '' : err.message}`}
  }
}

/** The real `thanos compact` once (no --wait) over the bucket directory, with `extra` flags. */
export async function runThanosCompact(bucketDir: string, extra: string[]): Promise<RunResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'thanosts-thanos-compact-'))
  try {
    const http = await freePort()
    return await runToEnd(peer('thanos').path, ['compact', `--objstore.config=${filesystemBucketYaml(bucketDir)}`, `--data-dir=${path.join(dir, 'data')}`, `--http-address=127.0.0.1:${http}`, ...extra], dir)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}
