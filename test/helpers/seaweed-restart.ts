/**
 * Taking a real SeaweedFS (test/helpers/s3.ts) down and bringing it back on the same ports and
 * data, for tests of clients that must survive an object store outage:
 *
 *   const s3 = await startSeaweedS3()
 *   const outage = seaweedOutage(s3)
 *   await outage.down()   // SIGTERM by pid; connections are refused from here on
 *   await outage.up()     // the same command line again: same ports, same data
 *   await outage.stop()   // before s3.stop()
 *
 * The command line is read back from /proc/<pid>/cmdline, so the restart is exactly the
 * process the helper started.
 */
import {readFile} from 'node:fs/promises'
import {startProcess, type ManagedProcess} from './process.js'
import type {SeaweedS3} from './s3.js'
import * as Minio from 'minio'

export interface SeaweedOutage {
  down(): Promise<void>
  up(timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

export function seaweedOutage(s3: SeaweedS3): SeaweedOutage {
  let args: string[] | undefined
  let current: {pid: number; mp?: ManagedProcess} = {pid: s3.pid()}
  const gone = async (pid: number): Promise<void> => {
    const deadline = Date.now() + 30_000
    while (await readFile(`/proc/${pid}/stat`, 'utf8').then((s) => !/^\d+ \(.*\) Z/.test(s), () => false)) {
      if (Date.now() > deadline) throw new Error(`SeaweedFS pid ${pid} still running 30 s after SIGTERM`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  return {
    async down() {
      args ??= (await readFile(`/proc/${current.pid}/cmdline`, 'utf8')).split('\0').filter(Boolean)
      if (current.mp) await current.mp.stop()
      else {
        process.kill(current.pid, 'SIGTERM')
        await gone(current.pid)
      }
    },
    async up(timeoutMs = 60_000) {
      if (!args) throw new Error('up() before down()')
      const mp = startProcess('seaweedfs-restarted', args[0]!, args.slice(1), {cwd: s3.dir})
      current = {pid: mp.pid, mp}
      const [host, port] = s3.endpoint.split(':')
      const client = new Minio.Client({endPoint: host!, port: Number(port), useSSL: false, accessKey: s3.accessKey, secretKey: s3.secretKey, region: 'us-east-1', retryOptions: {disableRetry: true}})
      const deadline = Date.now() + timeoutMs
      for (;;) {
        try {
          if (await client.bucketExists(s3.bucket)) return
        } catch {
          // not up yet
        }
        if (mp.exited()) throw new Error(`restarted SeaweedFS exited:\n${mp.output()}`)
        if (Date.now() > deadline) throw new Error(`restarted SeaweedFS not ready after ${timeoutMs} ms:\n${mp.output()}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    async stop() {
      await current.mp?.stop()
    },
  }
}
