/**
 * DNS discovery for endpoint addresses, as Thanos's `dns+` / `dnssrv+` / `dnssrvnoa+` prefixes
 * (`pkg/discovery/dns`):
 * - `dns+host:port`: every A/AAAA address of host (the system resolver, so /etc/hosts too);
 * - `dnssrv+_grpc._tcp.name`: SRV records, each target:port resolved to its addresses;
 * - `dnssrvnoa+name`: SRV records, target:port used as is.
 * Plain `host:port` is returned unchanged. A name that fails to resolve yields nothing (and an
 * error message), so one bad name does not hide the others.
 */
import {lookup, resolveSrv} from 'node:dns/promises'

export function isDnsSpec(spec: string): boolean {
  return /^(dns|dnssrv|dnssrvnoa)\+/.test(spec)
}

function splitHostPort(hp: string): [string, string] {
  const i = hp.lastIndexOf(':')
  if (i <= 0) throw new Error(`missing port in address ${hp}`)
  return [hp.slice(0, i).replace(/^\[|\]$/g, ''), hp.slice(i + 1)]
}

function join(host: string, port: string | number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

async function addresses(host: string): Promise<string[]> {
  return (await lookup(host, {all: true})).map((a) => a.address)
}

export async function resolveSpec(spec: string): Promise<string[]> {
  if (spec.startsWith('dns+')) {
    const [host, port] = splitHostPort(spec.slice(4))
    return (await addresses(host)).map((a) => join(a, port))
  }
  if (spec.startsWith('dnssrv+') || spec.startsWith('dnssrvnoa+')) {
    const noA = spec.startsWith('dnssrvnoa+')
    const name = spec.slice(spec.indexOf('+') + 1)
    const out: string[] = []
    for (const r of await resolveSrv(name)) {
      if (noA) out.push(join(r.name, r.port))
      else for (const a of await addresses(r.name)) out.push(join(a, r.port))
    }
    return out
  }
  return [spec]
}

/** Resolves every spec; failures are reported, not thrown. */
export async function resolveSpecs(specs: readonly string[]): Promise<{addresses: string[]; errors: string[]}> {
  const out: string[] = []
  const errors: string[] = []
  await Promise.all(
    specs.map(async (s) => {
      try {
        out.push(...(await resolveSpec(s)))
      } catch (e) {
        errors.push(`resolving ${s}: ${(e as Error).message}`)
      }
    }),
  )
  return {addresses: [...new Set(out)].sort(), errors}
}
