/**
 * Upstream's own .proto files (shared/reference/upstream-protos/thanos, gogoproto options
 * stripped: they only shape Go code) loaded with protobufjs, and a raw grpc-js client that
 * codes every message with them: the client side of a test then shares no code with ours.
 */
import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import * as grpc from '@grpc/grpc-js'
import protobuf from 'protobufjs'

const here = dirname(fileURLToPath(import.meta.url))
// dist/test/helpers → repo root → ../shared
export const UPSTREAM_THANOS_PROTOS = join(here, '..', '..', '..', '..', 'shared', 'reference', 'upstream-protos', 'thanos')

const FILES = [
  'store/labelpb/types.proto',
  'store/storepb/prompb/types.proto',
  'store/storepb/types.proto',
  'store/storepb/rpc.proto',
  'info/infopb/rpc.proto',
  'rules/rulespb/rpc.proto',
  'targets/targetspb/rpc.proto',
  'metadata/metadatapb/rpc.proto',
  'exemplars/exemplarspb/rpc.proto',
]

let cached: protobuf.Root | undefined

export function upstreamThanosRoot(): protobuf.Root {
  if (cached) return cached
  const root = new protobuf.Root()
  const common = (protobuf as unknown as {common: Record<string, {nested: protobuf.INamespace['nested']}>}).common
  for (const wkt of ['google/protobuf/any.proto', 'google/protobuf/timestamp.proto']) root.addJSON(common[wkt]!.nested!)
  for (const f of FILES) {
    const text = readFileSync(join(UPSTREAM_THANOS_PROTOS, f), 'utf8')
      .replace(/^import .*;$/gm, '')
      .replace(/^option \(gogoproto[^;]*;$/gm, '')
      .replace(/\[\s*\(gogoproto[^\]]*\]/g, '')
    protobuf.parse(text, root, {keepCase: true})
  }
  root.resolveAll()
  cached = root
  return root
}

export type Obj = Record<string, unknown>

/** Encodes with the upstream type; int64 may be given as decimal strings, enums by name. */
export function upstreamEncode(type: string, obj: Obj): Buffer {
  const T = upstreamThanosRoot().lookupType(type)
  return Buffer.from(T.encode(T.fromObject(obj)).finish())
}

/**
 * Decodes with the upstream type: int64 as numbers, enums by name, absent fields left out
 * (defaults: false), so that what is on the wire, and only that, shows.
 */
export function upstreamDecode(type: string, b: Uint8Array): Obj {
  const T = upstreamThanosRoot().lookupType(type)
  return T.toObject(T.decode(b), {longs: Number, enums: String, defaults: false, bytes: Array}) as Obj
}

const passthrough = (b: Buffer): Buffer => b

/** A raw client of one gRPC endpoint; messages are bytes, coded by the caller. */
export class RawGrpcClient {
  private readonly client: grpc.Client

  constructor(address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure())
  }

  unary(path: string, req: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) =>
      this.client.makeUnaryRequest(path, passthrough, passthrough, req, (err, res) => (err ? reject(err) : resolve(res!))),
    )
  }

  /** All frames of a server-streaming call; rejects with the grpc-js error (its `code`, `details`). */
  stream(path: string, req: Buffer): Promise<Buffer[]> {
    return new Promise((resolve, reject) => {
      const out: Buffer[] = []
      const call = this.client.makeServerStreamRequest(path, passthrough, passthrough, req)
      call.on('data', (b: Buffer) => out.push(b))
      call.on('error', reject)
      call.on('end', () => resolve(out))
    })
  }

  close(): void {
    this.client.close()
  }
}
