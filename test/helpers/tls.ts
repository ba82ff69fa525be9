/** A self-signed certificate for 127.0.0.1 (its own CA), made by openssl, for TLS tests. */
import {execFile} from 'node:child_process'
import path from 'node:path'
import {promisify} from 'node:util'

const execFileP = promisify(execFile)

export interface SelfSignedCert {
  /** PEM certificate: also the CA file clients trust. */
  certFile: string
  keyFile: string
}

export async function selfSignedCert(dir: string, name = 'cert'): Promise<SelfSignedCert> {
  const certFile = path.join(dir, `${name}.pem`)
  const keyFile = path.join(dir, `${name}-key.pem`)
  await execFileP('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
  return {certFile, keyFile}
}
