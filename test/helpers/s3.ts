/**
 * A real S3 server for tests: SeaweedFS (`weed mini`: master, volume server, filer and S3
 * gateway in one process) from the peer binary scripts/peers.sh builds.
 *
 *   const s3 = await startSeaweedS3()          // once per test file, in before()
 *   bucketFromConfig(s3.objstoreYaml())        // Thanos's bucket config YAML for it
 *   await s3.stop()                            // kills by pid, removes the temp dir
 *
 * Every port (HTTP and gRPC of each component; SeaweedFS would otherwise put gRPC at
 * port+10000) is a free loopback port; the optional gateways (WebDAV, Iceberg, Lance, admin UI)
 * are off. Credentials come from an identities file (`-s3.config`), the bucket is created by
 * `-bucket`, and the server counts as ready once signed HeadBuckets (minio-js, not the code
 * under test) find every bucket.
 */
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import * as Minio from 'minio'
import {peer} from './peers.js'
import {freePort} from './ports.js'
import {selfSignedCert} from './tls.js'
import {startProcess, type ManagedProcess} from './process.js'

export interface SeaweedS3 {
  /** host:port, as the bucket config's `endpoint` wants it (no scheme). */
  endpoint: string
  accessKey: string
  secretKey: string
  /** The first of `buckets`, the one objstoreYaml() names unless told otherwise. */
  bucket: string
  buckets: string[]
  /** With `tls`: the HTTPS endpoint and the PEM file of its self-signed certificate (its own CA). */
  httpsEndpoint?: string
  caFile?: string
  /** The temp dir (data, identities file, sockets), removed by stop(). */
  dir: string
  /** Milliseconds from spawn to ready. */
  startupMs: number
  pid(): number
  output(): string
  /** Thanos bucket config YAML for this server; `extra` lines go under `config:` (e.g. `part_size: 5242880`). */
  objstoreYaml(opts?: ObjstoreYamlOptions): string
  stop(): Promise<void>
}

export interface ObjstoreYamlOptions {
  bucket?: string
  prefix?: string
  extra?: Record<string, string | number | boolean>
}

export interface SeaweedS3Options {
  /** Buckets created at start; ['thanos'] by default. */
  buckets?: string[]
  /** Also serve S3 over HTTPS, with a self-signed certificate for 127.0.0.1 made by openssl. */
  tls?: boolean
  timeoutMs?: number
}


const COMPONENTS = ['master', 'volume', 'filer', 's3', 'admin'] as const

export async function startSeaweedS3(opts: SeaweedS3Options = {}): Promise<SeaweedS3> {
  const bin = peer('weed').path
  const buckets = opts.buckets ?? ['thanos']
  const bucket = buckets[0]!
  const accessKey = 'thanosts-test'
  const secretKey = 'thanosts-test-secret'
  const dir = await mkdtemp(path.join(tmpdir(), 'thanosts-weed-'))
  let mp: ManagedProcess | undefined
  const port: Record<string, number> = {}
  const stop = async (): Promise<void> => {
    await mp?.stop()
    await rm(dir, {recursive: true, force: true})
    // `weed mini` also binds a unix socket per gRPC port at a fixed /tmp path
    // (weed/command/mini.go RegisterLocalGrpcSocket) and leaves it behind.
    for (const name of COMPONENTS) {
      if (port[`${name}.grpc`]) await rm(`/tmp/seaweedfs-${name}-grpc-${port[`${name}.grpc`]}.sock`, {force: true})
    }
  }
  try {
    const data = path.join(dir, 'data')
    await mkdir(data)
    const identities = path.join(dir, 's3.json')
    await writeFile(
      identities,
      JSON.stringify({identities: [{name: 'thanosts', credentials: [{accessKey, secretKey}], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging']}]}),
    )
    for (const name of COMPONENTS) {
      port[name] = await freePort()
      port[`${name}.grpc`] = await freePort()
    }
    const args = [
      'mini',
      `-dir=${data}`,
      '-ip=127.0.0.1',
      '-ip.bind=127.0.0.1',
      ...COMPONENTS.flatMap((n) => [`-${n}.port=${port[n]}`, `-${n}.port.grpc=${port[`${n}.grpc`]}`]),
      '-admin.ui=false',
      '-admin.port.legacy=0',
      '-webdav=false',
      '-s3.port.iceberg=0',
      '-s3.port.lance=0',
      `-s3.config=${identities}`,
      `-filer.localSocket=${path.join(dir, 'filer.sock')}`,
      `-s3.localSocket=${path.join(dir, 's3.sock')}`,
      `-bucket=${buckets.join(',')}`,
      '-master.telemetry=false',
      // Small volumes, few of them: quick to create on a 2-core machine, enough for tests.
      '-master.volumeSizeLimitMB=64',
      '-volume.max=16',
    ]
    let caFile: string | undefined
    let httpsEndpoint: string | undefined
    if (opts.tls) {
      const cert = await selfSignedCert(dir)
      caFile = cert.certFile
      const keyFile = cert.keyFile
      const httpsPort = await freePort()
      httpsEndpoint = `127.0.0.1:${httpsPort}`
      args.push(`-s3.port.https=${httpsPort}`, `-s3.cert.file=${caFile}`, `-s3.key.file=${keyFile}`)
    }
    const t0 = Date.now()
    mp = startProcess('seaweedfs', bin, args, {cwd: dir})
    const endpoint = `127.0.0.1:${port.s3}`
    await waitForBuckets(endpoint, accessKey, secretKey, buckets, mp, opts.timeoutMs ?? 60_000)
    const startupMs = Date.now() - t0
    const started = mp
    return {
      endpoint,
      accessKey,
      secretKey,
      bucket,
      buckets,
      httpsEndpoint,
      caFile,
      dir,
      startupMs,
      pid: () => started.pid,
      output: () => started.output(),
      objstoreYaml: (o = {}) => objstoreYaml({endpoint, accessKey, secretKey, bucket}, o),
      stop,
    }
  } catch (e) {
    await stop()
    throw e
  }
}

function objstoreYaml(s: {endpoint: string; accessKey: string; secretKey: string; bucket: string}, o: ObjstoreYamlOptions): string {
  const lines = [
    'type: S3',
    'config:',
    `  bucket: ${o.bucket ?? s.bucket}`,
    `  endpoint: ${s.endpoint}`,
    `  access_key: ${s.accessKey}`,
    `  secret_key: ${s.secretKey}`,
    '  insecure: true',
    '  bucket_lookup_type: path',
    ...Object.entries(o.extra ?? {}).map(([k, v]) => `  ${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`),
  ]
  if (o.prefix !== undefined) lines.push(`prefix: ${JSON.stringify(o.prefix)}`)
  return lines.join('\n') + '\n'
}

async function waitForBuckets(endpoint: string, accessKey: string, secretKey: string, buckets: string[], mp: ManagedProcess, timeoutMs: number): Promise<void> {
  const [host, port] = endpoint.split(':')
  const client = new Minio.Client({endPoint: host!, port: Number(port), useSSL: false, accessKey, secretKey, region: 'us-east-1', retryOptions: {disableRetry: true}})
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const there = await Promise.all(buckets.map((b) => client.bucketExists(b)))
      if (there.every(Boolean)) return
      last = `buckets ${buckets.filter((_, i) => !there[i]).join(', ')} not there yet`
    } catch (e) {
      last = e
    }
    if (mp.exited()) throw new Error(`SeaweedFS exited before it was ready:\n${mp.output()}`)
    if (Date.now() > deadline) throw new Error(`SeaweedFS S3 at ${endpoint} not ready after ${timeoutMs} ms (${String(last)}):\n${mp.output()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
