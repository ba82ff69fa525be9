/**
 * A grpc-js server with Thanos's message size limits (MaxInt32 both ways: series frames can
 * be large) and a graceful stop: no new calls, in-flight streams get `graceMs` to finish.
 */
import {Server, ServerCredentials} from '@grpc/grpc-js'
import {parseHostPort} from './http-server.js'

export const GRPC_SERVER_OPTIONS = {
  'grpc.max_receive_message_length': 2 ** 31 - 1,
  'grpc.max_send_message_length': 2 ** 31 - 1,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.http2.min_ping_interval_without_data_ms': 5000,
} as const

export function createGrpcServer(): Server {
  return new Server(GRPC_SERVER_OPTIONS)
}

/** Binds (insecure) and returns the bound port. */
export async function bindGrpcServer(server: Server, address: string): Promise<number> {
  const {host, port} = parseHostPort(address)
  const h = host.includes(':') ? `[${host}]` : host
  return new Promise((resolve, reject) => {
    server.bindAsync(`${h}:${port}`, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)))
  })
}

export async function stopGrpcServer(server: Server, graceMs: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      server.forceShutdown()
      resolve()
    }, graceMs)
    server.tryShutdown(() => {
      clearTimeout(t)
      resolve()
    })
  })
}
