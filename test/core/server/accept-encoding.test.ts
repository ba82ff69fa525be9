import assert from 'node:assert/strict'
import type {IncomingMessage} from 'node:http'
import {acceptsGzip} from '../../../src/core/server/accept-encoding.js'

const req = (v?: string): IncomingMessage => ({headers: v === undefined ? {} : {'accept-encoding': v}}) as IncomingMessage

describe('acceptsGzip', () => {
  it('reads Accept-Encoding as RFC 9110 does: tokens, qualities, the wildcard', () => {
    assert.equal(acceptsGzip(req()), false)
    assert.equal(acceptsGzip(req('')), false)
    assert.equal(acceptsGzip(req('gzip')), true)
    assert.equal(acceptsGzip(req('deflate, GZIP;q=0.5')), true)
    assert.equal(acceptsGzip(req('gzip;q=0')), false)
    assert.equal(acceptsGzip(req('gzip;q=0.0, deflate')), false)
    assert.equal(acceptsGzip(req('br, *')), true)
    assert.equal(acceptsGzip(req('*;q=0')), false)
    assert.equal(acceptsGzip(req('gzip;q=0, *')), false, 'an explicit refusal wins over the wildcard')
    assert.equal(acceptsGzip(req('x-gzip')), true)
    assert.equal(acceptsGzip(req('identity')), false)
    assert.equal(acceptsGzip(req('gzipped')), false)
  })
})
