import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import fc from 'fast-check'
import {labelsFromRecord} from '../../../../src/core/labels/labels.js'
import {encodeStringLabels, labelsHash, xxhash64} from '../../../../src/core/promql/functions/xxhash64.js'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

/**
 * XXH64 of each input by the reference C library (libxxhash, the xxHash project's own code),
 * through Python's ctypes: one process for the whole batch.
 */
function referenceXxh64(inputs: Uint8Array[]): bigint[] {
  const script = [
    'import ctypes, sys',
    "l = ctypes.CDLL('libxxhash.so.0')",
    'l.XXH64.restype = ctypes.c_uint64',
    'l.XXH64.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]',
    'for line in sys.stdin.read().split():',
    "    b = bytes.fromhex(line[1:])",
    '    print(l.XXH64(b, len(b), 0))',
  ].join('\n')
  const stdin = inputs.map((b) => 'x' + Buffer.from(b).toString('hex')).join('\n')
  const out = execFileSync('python3', ['-c', script], {input: stdin, encoding: 'utf8'})
  return out.trim().split('\n').map((s) => BigInt(s))
}

describe('xxhash64 (Prometheus labels.Hash)', function () {
  it('matches the published XXH64 vectors', function () {
    // from the xxHash project's documentation and tests (seed 0)
    assert.equal(xxhash64(utf8('')), 0xef46db3751d8e999n)
    assert.equal(xxhash64(utf8('a')), 0xd24ec4f1a98c6e5bn)
    assert.equal(xxhash64(utf8('abc')), 0x44bc2cf5ad770999n)
  })

  it('matches the reference C implementation on random inputs of every length class', function () {
    const inputs = fc.sample(fc.uint8Array({minLength: 0, maxLength: 200}), 400)
    // every length from 0 to 70 covers each tail path (bytes, 4-byte word, 8-byte words) and the 32-byte stripes
    for (let n = 0; n <= 70; n++) inputs.push(Uint8Array.from({length: n}, (_, i) => (i * 37 + n) & 0xff))
    const want = referenceXxh64(inputs)
    inputs.forEach((b, i) => assert.equal(xxhash64(b), want[i], `length ${b.length}`))
  })

  it('hashes label sets in the stringlabels encoding: length-prefixed names and values, 255 + 3 bytes from 255 bytes on', function () {
    const ls = labelsFromRecord({__name__: 'up', job: 'api', long: 'x'.repeat(300)})
    const enc = encodeStringLabels(ls)
    assert.deepEqual([...enc.subarray(0, 12)], [8, ...utf8('__name__'), 2, ...utf8('up')])
    // the 300-byte value: 255 then 300 little-endian in three bytes
    const at = enc.length - 300 - 4
    assert.deepEqual([...enc.subarray(at, at + 4)], [255, 300 & 0xff, 300 >> 8, 0])
    assert.equal(labelsHash(ls), referenceXxh64([enc])[0])
  })
})
