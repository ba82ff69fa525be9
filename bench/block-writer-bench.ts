/**
 * `node dist/bench/block-writer-bench.js [--series N]`: writeBlock alone, the compactor's last
 * step. N series (default 100000) of 3 labels, one of them unique per series (the worst case
 * for postings: one list per series), each with the same 120-sample XOR chunk (its content
 * does not matter to the writer). Prints the median
 * and minimum CPU time (user + system) of 5 runs, µs per series, and the peak RSS.
 * Not a test: numbers depend on the machine; compare runs on the same machine.
 */
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'
import {ChunkEncoding} from '../src/core/block/chunks-reader.js'
import {writeBlock, type WriterSeries} from '../src/core/block/writer/write-block.js'
import {encodeXorChunks} from '../src/core/chunkenc/xor-encoder.js'

const {values} = parseArgs({options: {series: {type: 'string', default: '100000'}}})
const N = Number(values.series)
const T0 = Date.UTC(2025, 0, 1)
const ts = Array.from({length: 120}, (_, i) => T0 + i * 15_000)
const chunk = encodeXorChunks(
  ts,
  ts.map((_, i) => i * 1.5),
)[0]!
const METRICS = Array.from({length: 50}, (_, m) => `metric_${m}`).sort()

function* series(): Generator<WriterSeries> {
  for (const [m, name] of METRICS.entries()) {
    for (let i = m; i < N; i += METRICS.length) {
      yield {
        labels: [
          {name: '__name__', value: name},
          {name: 'id', value: String(i).padStart(9, '0')},
          {name: 'job', value: `job_${i % 10}`},
        ],
        chunks: [{minTime: chunk.minTime, maxTime: chunk.maxTime, encoding: ChunkEncoding.XOR, data: chunk.data}],
      }
    }
  }
}

const dir = await mkdtemp(path.join(tmpdir(), 'thanosts-block-writer-bench-'))
try {
  const times: number[] = []
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage()
    const meta = await writeBlock(series(), {dir})
    const d = process.cpuUsage(c0)
    times.push((d.user + d.system) / 1000)
    if (meta?.stats.numSeries !== N) throw new Error(`wrote ${meta?.stats.numSeries} series, want ${N}`)
    await rm(path.join(dir, meta.ulid), {recursive: true})
  }
  times.sort((a, b) => a - b)
  const median = times[2]!
  console.log(`${N} series × 1 chunk: CPU ms median ${median.toFixed(0)} | min ${times[0]!.toFixed(0)}; ${((median * 1000) / N).toFixed(2)} µs/series; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`)
} finally {
  await rm(dir, {recursive: true, force: true})
}
