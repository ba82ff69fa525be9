/**
 * Snappy block format (not the framed format): remote read request and SAMPLES response
 * bodies. snappyjs is pure JS and installs everywhere without native builds.
 */
// @ts-expect-error snappyjs ships no types
import snappyjs from 'snappyjs'

interface SnappyJs {
  compress(input: Uint8Array): Uint8Array
  uncompress(input: Uint8Array, maxLength?: number): Uint8Array
}
const sj = snappyjs as SnappyJs

export function snappyCompress(data: Uint8Array): Uint8Array {
  return sj.compress(data)
}

/** @param maxLength refuse bodies that would inflate beyond this (memory guard). */
export function snappyUncompress(data: Uint8Array, maxLength?: number): Uint8Array {
  return sj.uncompress(data, maxLength)
}
