/**
 * `--grpc-client-tls-*`: the endpoint set talks TLS (and mutual TLS) to a StoreAPI server with
 * certificates made by openssl for this test.
 */
import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {ServerCredentials} from '@grpc/grpc-js'
import {labelsFromRecord} from '../../../src/core/labels/labels.js'
import {EndpointSet} from '../../../src/core/discovery/endpoint-set.js'
import type {ClientTlsOptions} from '../../../src/core/storeapi/grpc-client-options.js'
import {TestStoreServer} from '../../helpers/test-store-server.js'

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, {cwd: dir, stdio: 'ignore'})
}

describe('store client TLS', function () {
  this.timeout(30_000)
  let dir: string
  let server: TestStoreServer

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'thanosts-tls-'))
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
    openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=thanosts test CA'])
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:store.test\n')
    openssl(dir, ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=store.test'])
    openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext'])
    openssl(dir, ['req', ...ec, '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=querier'])
    openssl(dir, ['x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2'])
    const f = (n: string) => readFileSync(join(dir, n))
    server = new TestStoreServer({externalLabels: labelsFromRecord({replica: 'tls'}), series: [{labels: labelsFromRecord({__name__: 'up'}), samples: [[1000, 1]]}]})
    await server.start(0, ServerCredentials.createSsl(f('ca.crt'), [{private_key: f('server.key'), cert_chain: f('server.crt')}], true))
  })

  after(() => {
    server?.stop()
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  async function check(tls: ClientTlsOptions): Promise<{healthy: boolean; error: string | undefined}> {
    const set = new EndpointSet({addresses: [server.address], infoTimeoutMs: 1500, updateIntervalMs: 60_000, client: {tls}})
    try {
      await set.start()
      const e = set.all()[0]!
      return {healthy: set.storeRefs().length === 1, error: e.lastError}
    } finally {
      await set.stop()
    }
  }

  it('mutual TLS with the CA, a client certificate and the server name', async () => {
    const r = await check({secure: true, caFile: join(dir, 'ca.crt'), certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key'), serverName: 'store.test'})
    assert.equal(r.error, undefined)
    assert.equal(r.healthy, true)
  })

  it('fails without a client certificate, with a wrong server name, or in plaintext', async () => {
    assert.equal((await check({secure: true, caFile: join(dir, 'ca.crt'), serverName: 'store.test'})).healthy, false)
    assert.equal((await check({secure: true, caFile: join(dir, 'ca.crt'), certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key'), serverName: 'other.test'})).healthy, false)
    assert.equal((await check({secure: false})).healthy, false)
  })

  it('skip-verify accepts a server certificate no CA vouches for', async () => {
    const r = await check({secure: true, certFile: join(dir, 'client.crt'), keyFile: join(dir, 'client.key'), skipVerify: true})
    assert.equal(r.error, undefined)
    assert.equal(r.healthy, true)
  })

  it('bad TLS settings are a clear error', () => {
    assert.throws(() => new EndpointSet({addresses: ['x:1'], client: {tls: {secure: true, certFile: join(dir, 'client.crt')}}}), /must be given together/)
    assert.throws(() => new EndpointSet({addresses: ['x:1'], client: {tls: {secure: true, caFile: join(dir, 'missing.crt')}}}), /cannot read gRPC client TLS CA/)
  })
})
