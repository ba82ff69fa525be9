/**
 * Prometheus's own native-histogram code as a test oracle: test/peers/prometheus/histogram-oracle/main.go, built against the
 * Prometheus module the peers pin (test/peers/prometheus/go.mod and go.sum, copied into a
 * temp module so that there is one pin), run as a child process that answers one JSON line
 * per request. The property tests send it the same random inputs as our model and compare
 * the answers bit for bit.
 *
 *   const oracle = await PrometheusHistogramOracle.start()
 *   const [r] = await oracle.call([{op: 'add', a: wire(h1), b: wire(h2)}])
 *   await oracle.close() // kills it by pid
 *
 * Needs the Go toolchain, which the peers need anyway; the binary is cached by content hash.
 */
import {spawn, execFile, type ChildProcess} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync} from 'node:fs'
import {mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {isStaleNaN} from '../../../src/core/chunkenc/value.js'
import {FloatHistogram} from '../../../src/core/histogram/float-histogram.js'
import {Histogram} from '../../../src/core/histogram/histogram.js'
import type {CounterResetHint} from '../../../src/core/histogram/schema.js'

const execFileP = promisify(execFile)

/** A histogram on the wire: floats as the hex of their bits. */
export interface WireHistogram {
  hint: number
  schema: number
  zt: string
  zc: string
  c: string
  sum: string
  ps: number[]
  pb: string[]
  ns: number[]
  nb: string[]
  cv: string[] | null
}

export interface OracleRequest {
  op: string
  a?: WireHistogram
  b?: WireHistogram
  n?: number
  f?: string
  /** For 'chunks': the series. */
  hs?: WireHistogram[]
  ts?: number[]
  float?: boolean
  /** For 'convertnhcb': a classic histogram's pieces in order (b: bucket, c: count, s: sum; floats as hex). */
  classic?: {k: 'b' | 'c' | 's'; le?: string; v: string}[]
}

export interface OracleResponse {
  h?: WireHistogram
  collision?: boolean
  reconciled?: boolean
  bool?: boolean
  err?: string
  panic?: string
  json?: string
  /** Hex of each chunk's bytes. */
  chunks?: string[]
  /** For 'kahanSum': the compensation histogram. */
  comp?: WireHistogram
}

const dv = new DataView(new ArrayBuffer(8))

export function hexOf(v: number): string {
  // The stale marker's signalling NaN may reach us quieted (see chunkenc/value.ts): send it canonical.
  if (isStaleNaN(v)) return '7ff0000000000002'
  dv.setFloat64(0, v)
  return dv.getBigUint64(0).toString(16)
}

export function fromHex(s: string): number {
  dv.setBigUint64(0, BigInt('0x' + s))
  return dv.getFloat64(0)
}

export function wire(h: FloatHistogram | Histogram): WireHistogram {
  return {
    hint: h.counterResetHint,
    schema: h.schema,
    zt: hexOf(h.zeroThreshold),
    zc: hexOf(h.zeroCount),
    c: hexOf(h.count),
    sum: hexOf(h.sum),
    ps: [...h.positiveSpans],
    pb: [...h.positiveBuckets].map(hexOf),
    ns: [...h.negativeSpans],
    nb: [...h.negativeBuckets].map(hexOf),
    cv: h.customValues ? [...h.customValues].map(hexOf) : null,
  }
}

function unwireInto<T extends FloatHistogram | Histogram>(w: WireHistogram, h: T): T {
  h.counterResetHint = w.hint as CounterResetHint
  h.schema = w.schema
  h.zeroThreshold = fromHex(w.zt)
  h.zeroCount = fromHex(w.zc)
  h.count = fromHex(w.c)
  h.sum = fromHex(w.sum)
  h.positiveSpans = Int32Array.from(w.ps ?? [])
  h.negativeSpans = Int32Array.from(w.ns ?? [])
  h.positiveBuckets = Float64Array.from((w.pb ?? []).map(fromHex))
  h.negativeBuckets = Float64Array.from((w.nb ?? []).map(fromHex))
  h.customValues = w.cv && w.cv.length > 0 ? Float64Array.from(w.cv.map(fromHex)) : null
  return h
}

export function unwire(w: WireHistogram): FloatHistogram {
  return unwireInto(w, new FloatHistogram())
}

export function unwireInt(w: WireHistogram): Histogram {
  return unwireInto(w, new Histogram())
}

async function build(): Promise<string> {
  const src = await readFile(path.resolve('test/peers/prometheus/histogram-oracle/main.go'))
  const mod = (await readFile(path.resolve('test/peers/prometheus/go.mod'), 'utf8')).replace(/^module .*$/m, 'module thanosts.test/histogram-oracle')
  const sum = await readFile(path.resolve('test/peers/prometheus/go.sum'))
  const key = createHash('sha256').update(src).update(mod).update(sum).digest('hex').slice(0, 16)
  const dir = path.join(tmpdir(), `thanosts-histogram-oracle-${key}`)
  const bin = path.join(dir, 'oracle')
  if (existsSync(bin)) return bin
  const work = `${dir}.build-${process.pid}`
  await rm(work, {recursive: true, force: true})
  await mkdir(work, {recursive: true})
  await writeFile(path.join(work, 'go.mod'), mod)
  await writeFile(path.join(work, 'go.sum'), sum)
  await writeFile(path.join(work, 'main.go'), src)
  try {
    await execFileP('go', ['build', '-trimpath', '-o', 'oracle', '.'], {
      cwd: work,
      env: {...process.env, GOFLAGS: '-mod=readonly', CGO_ENABLED: '0'},
      maxBuffer: 16 << 20,
    })
  } catch (e) {
    const err = e as {stderr?: string; message: string}
    throw new Error(`building the Prometheus histogram oracle failed: ${err.stderr || err.message}`)
  }
  await rm(dir, {recursive: true, force: true})
  await rename(work, dir)
  return bin
}

export class PrometheusHistogramOracle {
  private buffered = ''
  private waiting: Array<(line: string) => void> = []

  private constructor(private readonly proc: ChildProcess) {
    proc.stdout!.setEncoding('utf8')
    proc.stdout!.on('data', (d: string) => {
      this.buffered += d
      let nl: number
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl)
        this.buffered = this.buffered.slice(nl + 1)
        this.waiting.shift()?.(line)
      }
    })
  }

  static async start(): Promise<PrometheusHistogramOracle> {
    const bin = await build()
    const proc = spawn(bin, [], {stdio: ['pipe', 'pipe', 'inherit']})
    if (proc.pid === undefined) throw new Error('could not start the histogram oracle')
    return new PrometheusHistogramOracle(proc)
  }

  /** Answers, in order, to a batch of requests. */
  call(reqs: OracleRequest[]): Promise<OracleResponse[]> {
    const out = reqs.map(
      () =>
        new Promise<OracleResponse>((resolve) => {
          this.waiting.push((line) => resolve(JSON.parse(line) as OracleResponse))
        }),
    )
    this.proc.stdin!.write(reqs.map((r) => JSON.stringify(r)).join('\n') + '\n')
    return Promise.all(out)
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return
    const gone = new Promise((r) => this.proc.once('exit', r))
    this.proc.stdin!.end()
    process.kill(this.proc.pid!, 'SIGTERM')
    await gone
  }
}
