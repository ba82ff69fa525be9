/**
 * storepb/: the wire contracts. `proto/` holds our .proto files (upstream names and field
 * numbers); this module loads them with protobufjs reflection, which is the typed reference
 * for every message: tests and cold paths encode/decode through it, and the hand-written
 * hot-path codecs (store-wire.ts with pb-reader.ts/pb-writer.ts, remote-read/remote-read-codec.ts) are checked against it.
 *
 * int64 fields decode as numbers (protobufjs without the optional `long` package): every
 * timestamp in ms fits a double exactly; the only values that don't, Thanos's MaxInt64 and
 * MinInt64 "open-ended" times, are handled by the hand-written codecs, which decide by the
 * varint length rather than the double value.
 */
import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import protobuf from 'protobufjs'

/** The repository's proto/ folder, found from this file both in src/ (tsx) and dist/src/. */
export function protoDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'proto')
    if (existsSync(path.join(candidate, 'thanos'))) return candidate
    dir = path.dirname(dir)
  }
  throw new Error('thanosts: proto/ directory not found next to the installed package')
}

/** Loads .proto files whose imports are relative to `includeDir` (as upstream's `-I pkg/`). */
export function loadProtoRoot(includeDir: string, files: string[]): protobuf.Root {
  const root = new protobuf.Root()
  root.resolvePath = (_origin, target) =>
    target.startsWith('google/protobuf/') || path.isAbsolute(target) ? target : path.join(includeDir, target)
  root.loadSync(files.map((f) => path.join(includeDir, f)), {keepCase: true})
  root.resolveAll()
  return root
}

let cachedThanos: protobuf.Root | undefined
let cachedPrometheus: protobuf.Root | undefined

/** The .proto files of thanosRoot(), relative to proto/thanos (upstream's pkg/). */
export const THANOS_PROTO_FILES = [
  'store/storepb/rpc.proto',
  'info/infopb/rpc.proto',
  'store/storepb/prompb/remote.proto',
  'rules/rulespb/rpc.proto',
  'targets/targetspb/rpc.proto',
  'metadata/metadatapb/rpc.proto',
  'exemplars/exemplarspb/rpc.proto',
]

/**
 * thanos.* (Store, Info, Rules, Targets, Metadata, Exemplars services and messages) and
 * prometheus_copy.* from proto/thanos.
 */
export function thanosRoot(): protobuf.Root {
  cachedThanos ??= loadProtoRoot(path.join(protoDir(), 'thanos'), THANOS_PROTO_FILES)
  return cachedThanos
}

/** prometheus.* remote read/write messages from proto/prometheus. */
export function prometheusRoot(): protobuf.Root {
  cachedPrometheus ??= loadProtoRoot(path.join(protoDir(), 'prometheus'), ['remote.proto', 'types.proto'])
  return cachedPrometheus
}
