import assert from 'node:assert/strict'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {errorKind} from '../../../src/core/errors.js'
import {expandEnv} from '../../../src/core/config/path-or-content.js'
import {bucketFromConfig, objstoreConfigFromFlags, parseBucketConfig} from '../../../src/core/objstore/config.js'
import {FilesystemBucket} from '../../../src/core/objstore/filesystem.js'
import {PrefixedBucket} from '../../../src/core/objstore/prefixed.js'
import {S3Bucket} from '../../../src/core/objstore/s3.js'

/** Rejects with a bad_data error whose message matches every pattern. */
function assertBad(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: Error) => {
    assert.equal(errorKind(e), 'bad_data', e.message)
    for (const p of patterns) assert.match(e.message, p)
    return true
  })
}

const s3 = (config: string, extraTop = ''): string => `type: S3\nconfig:\n  bucket: b\n  endpoint: s3.example.com:9000\n${config}${extraTop}`

/** The S3 section of thanos-io/objstore's README ("S3"), generated there from DefaultConfig, with bucket and endpoint filled in. */
const UPSTREAM_S3_DEFAULTS = `type: S3
config:
  bucket: "thanos"
  endpoint: "s3.example.com:9000"
  region: ""
  disable_dualstack: false
  aws_sdk_auth: false
  access_key: ""
  insecure: false
  signature_version2: false
  secret_key: ""
  session_token: ""
  put_user_metadata: {}
  http_config:
    idle_conn_timeout: 1m30s
    response_header_timeout: 2m
    insecure_skip_verify: false
    tls_handshake_timeout: 10s
    expect_continue_timeout: 1s
    max_idle_conns: 100
    max_idle_conns_per_host: 100
    max_conns_per_host: 0
    tls_config:
      ca_file: ""
      cert_file: ""
      key_file: ""
      server_name: ""
      insecure_skip_verify: false
    disable_compression: false
  trace:
    enable: false
  list_objects_version: ""
  bucket_lookup_type: auto
  send_content_md5: true
  disable_multipart: false
  part_size: 67108864
  sse_config:
    type: ""
    kms_key_id: ""
    kms_encryption_context: {}
    encryption_key: ""
  sts_endpoint: ""
  max_retries: 0
prefix: ""
`

describe('objstore bucket config', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'thanosts-objstore-config-'))
  })
  after(() => rm(dir, {recursive: true, force: true}))

  describe('top level', () => {
    it('takes the type case-insensitively', () => {
      for (const t of ['FILESYSTEM', 'filesystem', 'FileSystem']) {
        assert.deepEqual(parseBucketConfig(`type: ${t}\nconfig:\n  directory: /data\n`), {type: 'FILESYSTEM', prefix: '', config: {directory: '/data'}})
      }
      assert.equal(parseBucketConfig(s3('', '').replace('type: S3', 'type: s3')).type, 'S3')
    })

    it('rejects unknown keys at every level, naming them', () => {
      assertBad(() => parseBucketConfig('type: FILESYSTEM\nconfig:\n  directory: /d\nprefixx: a\n'), /prefixx/, /unknown key/)
      assertBad(() => parseBucketConfig('type: FILESYSTEM\nconfig:\n  directory: /d\n  dir: /e\n'), /config\.dir\b/)
      assertBad(() => parseBucketConfig(s3('  bukcet: x\n')), /config\.bukcet/)
      assertBad(() => parseBucketConfig(s3('  http_config:\n    idle_timeout: 1s\n')), /config\.http_config\.idle_timeout/)
      assertBad(() => parseBucketConfig(s3('  http_config:\n    tls_config:\n      ca: /x\n')), /config\.http_config\.tls_config\.ca\b/)
      assertBad(() => parseBucketConfig(s3('  trace:\n    enabled: true\n')), /config\.trace\.enabled/)
      assertBad(() => parseBucketConfig(s3('  sse_config:\n    kind: x\n')), /config\.sse_config\.kind/)
    })

    it('rejects a key given twice and malformed YAML', () => {
      assertBad(() => parseBucketConfig('type: FILESYSTEM\ntype: S3\n'), /type/, /twice/)
      assertBad(() => parseBucketConfig('type: [FILESYSTEM\n'), /invalid YAML/)
      assertBad(() => parseBucketConfig('type: FILESYSTEM\nconfig: /data\n'), /config/, /mapping/)
    })

    it('names unsupported Thanos providers and unknown types', () => {
      for (const t of ['GCS', 'AZURE', 'SWIFT', 'COS', 'ALIYUNOSS', 'BOS', 'OCI', 'OBS', 'gcs']) {
        assertBad(() => parseBucketConfig(`type: ${t}\nconfig:\n  bucket: x\n`), new RegExp(`${t}.*not supported by thanosts`))
      }
      assertBad(() => parseBucketConfig('type: MEMORY\n'), /MEMORY is not supported/)
      assertBad(() => parseBucketConfig('config:\n  directory: /d\n'), /type: missing/)
      assertBad(() => parseBucketConfig(''), /type: missing/)
    })

    it('needs a directory for FILESYSTEM (upstream message)', () => {
      assertBad(() => parseBucketConfig('type: FILESYSTEM\n'), /missing directory for filesystem bucket/)
      assertBad(() => parseBucketConfig('type: FILESYSTEM\nconfig:\n  directory: ""\n'), /missing directory/)
    })
  })

  describe('S3', () => {
    it("parses every key of upstream's documented defaults, to the same values", () => {
      const c = parseBucketConfig(UPSTREAM_S3_DEFAULTS)
      assert.equal(c.type, 'S3')
      assert.ok(c.type === 'S3')
      assert.deepEqual(c.config, {
        bucket: 'thanos',
        endpoint: 's3.example.com:9000',
        region: '',
        disableDualstack: false,
        accessKey: '',
        secretKey: '',
        sessionToken: '',
        insecure: false,
        putUserMetadata: {},
        http: {
          idleConnTimeoutMs: 90_000,
          responseHeaderTimeoutMs: 120_000,
          insecureSkipVerify: false,
          tlsHandshakeTimeoutMs: 10_000,
          expectContinueTimeoutMs: 1_000,
          maxIdleConns: 100,
          maxIdleConnsPerHost: 100,
          maxConnsPerHost: 0,
          tlsConfig: {caFile: '', certFile: '', keyFile: '', serverName: '', insecureSkipVerify: false},
          disableCompression: false,
        },
        traceEnable: false,
        listObjectsVersion: '',
        bucketLookupType: 'auto',
        sendContentMd5: true,
        disableMultipart: false,
        partSize: 67108864,
        maxRetries: 0,
      })
      // The defaults apply when the keys are left out.
      assert.deepEqual(parseBucketConfig(s3('').replace('bucket: b', 'bucket: thanos')).config, c.config)
    })

    it('reads the keys thanosts honours', () => {
      const c = parseBucketConfig(
        s3(
          [
            '  region: eu-west-1',
            '  access_key: AK',
            '  secret_key: SK',
            '  session_token: TOK',
            '  insecure: true',
            '  bucket_lookup_type: path',
            '  part_size: 5242880',
            '  disable_multipart: true',
            '  list_objects_version: v1',
            '  max_retries: 3',
            '  send_content_md5: false',
            '  disable_dualstack: true',
            '  put_user_metadata:',
            '    X-Amz-Storage-Class: STANDARD_IA',
            '  trace:',
            '    enable: true',
            '  http_config:',
            '    response_header_timeout: 30s',
            '    insecure_skip_verify: true',
            '    max_conns_per_host: 8',
            '    tls_config:',
            '      ca_file: /etc/ca.pem',
            '      server_name: s3.internal',
            '',
          ].join('\n'),
        ),
      )
      assert.ok(c.type === 'S3')
      const s = c.config
      assert.deepEqual(
        [s.region, s.accessKey, s.secretKey, s.sessionToken, s.insecure, s.bucketLookupType, s.partSize, s.disableMultipart, s.listObjectsVersion, s.maxRetries, s.sendContentMd5, s.disableDualstack, s.traceEnable],
        ['eu-west-1', 'AK', 'SK', 'TOK', true, 'path', 5242880, true, 'v1', 3, false, true, true],
      )
      assert.deepEqual(s.putUserMetadata, {'X-Amz-Storage-Class': 'STANDARD_IA'})
      assert.equal(s.http.responseHeaderTimeoutMs, 30_000)
      assert.equal(s.http.idleConnTimeoutMs, 90_000, 'keys left out of http_config keep their defaults')
      assert.equal(s.http.insecureSkipVerify, true)
      assert.equal(s.http.maxConnsPerHost, 8)
      assert.deepEqual(s.http.tlsConfig, {caFile: '/etc/ca.pem', certFile: '', keyFile: '', serverName: 's3.internal', insecureSkipVerify: false})
    })

    it('decodes scalars as yaml.v2 does', () => {
      const c = parseBucketConfig(s3('  insecure: yes\n  part_size: 0x500000\n  max_retries: 010\n  access_key: 0123\n  secret_key: "null"\n').replace('bucket: b', 'bucket: 00042'))
      assert.ok(c.type === 'S3')
      assert.equal(c.config.bucket, '00042', 'a string field keeps the source text of a number')
      assert.equal(c.config.insecure, true, 'yes is a YAML 1.1 boolean')
      assert.equal(c.config.partSize, 5 * 1024 * 1024)
      assert.equal(c.config.maxRetries, 8, "010 is octal in YAML 1.1")
      assert.equal(c.config.accessKey, '0123')
      assert.equal(c.config.secretKey, 'null', 'a quoted null is a string')
      // An explicit null zeroes the field (and a struct), where leaving the key out keeps the default.
      const z = parseBucketConfig(s3('  send_content_md5:\n  http_config:\n'))
      assert.ok(z.type === 'S3')
      assert.equal(z.config.sendContentMd5, false)
      assert.equal(z.config.http.responseHeaderTimeoutMs, 0)
      assert.equal(z.config.http.maxIdleConnsPerHost, 0)
      assertBad(() => parseBucketConfig(s3('  insecure: maybe\n')), /config\.insecure/, /bool/)
      assertBad(() => parseBucketConfig(s3('  part_size: 5MiB\n')), /config\.part_size/, /integer/)
      assertBad(() => parseBucketConfig(s3('  http_config:\n    idle_conn_timeout: 90\n')), /config\.http_config\.idle_conn_timeout/, /duration/)
      assertBad(() => parseBucketConfig(s3('  put_user_metadata: [a]\n')), /put_user_metadata/)
    })

    it('rejects keys it parses but cannot honour, when set', () => {
      assertBad(() => parseBucketConfig(s3('  aws_sdk_auth: true\n')), /config\.aws_sdk_auth/, /not supported by thanosts/)
      assertBad(() => parseBucketConfig(s3('  signature_version2: true\n')), /config\.signature_version2/, /not supported by thanosts/)
      assertBad(() => parseBucketConfig(s3('  sts_endpoint: https://sts.example.com\n')), /config\.sts_endpoint/, /not supported by thanosts/)
      for (const t of ['SSE-S3', 'SSE-KMS', 'SSE-C']) {
        assertBad(() => parseBucketConfig(s3(`  sse_config:\n    type: ${t}\n    kms_key_id: k\n    encryption_key: /k\n`)), /config\.sse_config\.type/, new RegExp(`${t}.*not supported by thanosts`))
      }
      assertBad(() => parseBucketConfig(s3('  sse_config:\n    type: AES\n')), /unsupported type "AES"/)
      assertBad(() => parseBucketConfig(s3('  sse_config:\n    kms_key_id: k\n')), /config\.sse_config/, /not supported by thanosts/)
      // Set to their defaults they are fine (upstream's full default config parses, above).
      parseBucketConfig(s3('  aws_sdk_auth: false\n  signature_version2: false\n  sts_endpoint: ""\n  sse_config:\n    type: ""\n'))
    })

    it('validates as upstream: endpoint without scheme, keys in pairs, known enums', () => {
      assertBad(() => parseBucketConfig('type: S3\nconfig:\n  bucket: b\n'), /no s3 endpoint in config file/)
      assertBad(() => parseBucketConfig('type: S3\nconfig:\n  endpoint: s3:9000\n'), /no s3 bucket/)
      for (const e of ['http://minio:9000', 'https://s3.amazonaws.com', 'minio:9000/path']) {
        assertBad(() => parseBucketConfig(s3('').replace('s3.example.com:9000', e)), /config\.endpoint/, /without a scheme/)
      }
      assertBad(() => parseBucketConfig(s3('  access_key: AK\n')), /no s3 secret_key specified while access_key is present/)
      assertBad(() => parseBucketConfig(s3('  secret_key: SK\n')), /no s3 access_key specified while secret_key is present/)
      assertBad(() => parseBucketConfig(s3('  bucket_lookup_type: dns\n')), /unsupported bucket lookup type: dns/)
      assertBad(() => parseBucketConfig(s3('  list_objects_version: v3\n')), /Supported values are v1, v2|supported values are v1, v2/)
      assertBad(() => parseBucketConfig(s3('  part_size: 1048576\n')), /config\.part_size/, /5 MiB/)
      assertBad(() => parseBucketConfig(s3('  http_config:\n    tls_config:\n      cert_file: /c.pem\n')), /without client key file/)
    })

    it('builds an S3 bucket, reading the CA file at once', async () => {
      const b = bucketFromConfig(s3(''))
      assert.ok(b instanceof S3Bucket)
      assert.equal(b.name, 'S3')
      assert.equal(b.bucketName, 'b')
      await b.close()
      assertBad(() => bucketFromConfig(s3(`  http_config:\n    tls_config:\n      ca_file: ${path.join(dir, 'missing-ca.pem')}\n`)), /unable to load specified CA cert/)
    })
  })

  describe('prefix', () => {
    it('wraps the bucket, trimming slashes; an empty prefix is no prefix', async () => {
      const d = path.join(dir, 'prefixed')
      const b = bucketFromConfig(`type: FILESYSTEM\nconfig:\n  directory: ${d}\nprefix: /team/a/\n`)
      assert.ok(b instanceof PrefixedBucket)
      assert.equal(b.prefix, 'team/a')
      assert.equal(b.name, 'FILESYSTEM')
      await b.upload('x/y', Buffer.from('under the prefix'))
      assert.equal(await readFile(path.join(d, 'team/a/x/y'), 'utf8'), 'under the prefix')
      const keys: string[] = []
      for await (const k of b.iter('')) keys.push(k)
      assert.deepEqual(keys, ['x/'])
      for (const p of ['""', '/', '//']) {
        assert.ok(bucketFromConfig(`type: FILESYSTEM\nconfig:\n  directory: ${d}\nprefix: ${p}\n`) instanceof FilesystemBucket)
      }
    })
  })

  describe('environment substitution (as Thanos: $(NAME) only)', () => {
    it('substitutes $(NAME), leaves ${NAME} and $NAME, errors on unset variables', () => {
      const env = {A: 'alpha', B_2: '', EMPTY: ''}
      assert.equal(expandEnv('x: $(A)\ny: "$(B_2)"\nz: ${A} $A $(A)$(A)', env), 'x: alpha\ny: ""\nz: ${A} $A alphaalpha')
      assert.equal(expandEnv('# comment $(A)\n', env), '# comment alpha\n')
      assert.equal(expandEnv('$(A-B) $() $( A)', env), '$(A-B) $() $( A)')
      assertBad(() => expandEnv('secret_key: $(NOPE)', env), /unset environment variable "NOPE"/)
    })
  })

  describe('--objstore.config-file / --objstore.config', () => {
    it('reads the file or the content, substituted; neither (or empty) is no config', async () => {
      const f = path.join(dir, 'objstore.yml')
      await writeFile(f, 'type: FILESYSTEM\nconfig:\n  directory: $(DATA_DIR)\n')
      const env = {DATA_DIR: '/var/data'}
      assert.equal(await objstoreConfigFromFlags({configFile: f}, {env}), 'type: FILESYSTEM\nconfig:\n  directory: /var/data\n')
      assert.equal(await objstoreConfigFromFlags({config: 'type: FILESYSTEM\nconfig:\n  directory: $(DATA_DIR)\n'}, {env}), 'type: FILESYSTEM\nconfig:\n  directory: /var/data\n')
      assert.equal(await objstoreConfigFromFlags({}), undefined)
      assert.equal(await objstoreConfigFromFlags({configFile: '', config: ''}), undefined)
      const empty = path.join(dir, 'empty.yml')
      await writeFile(empty, '')
      assert.equal(await objstoreConfigFromFlags({configFile: empty}), undefined)
    })

    it('rejects both flags at once, a missing file, and unset variables', async () => {
      const f = path.join(dir, 'both.yml')
      await writeFile(f, 'type: FILESYSTEM\n')
      await assert.rejects(objstoreConfigFromFlags({configFile: f, config: 'type: S3'}), (e: Error) => errorKind(e) === 'bad_data' && /both --objstore.config-file and --objstore.config/.test(e.message))
      await assert.rejects(objstoreConfigFromFlags({configFile: path.join(dir, 'nope.yml')}), (e: Error) => errorKind(e) === 'bad_data' && /nope\.yml/.test(e.message) && /--objstore.config-file/.test(e.message))
      await assert.rejects(objstoreConfigFromFlags({config: 'x: $(THANOSTS_SURELY_UNSET_VAR)'}, {env: {}}), /THANOSTS_SURELY_UNSET_VAR/)
      await assert.rejects(objstoreConfigFromFlags({configFile: f, config: 'x'}, {flagName: 'objstore-backup.config'}), /--objstore-backup.config-file/)
    })
  })
})
