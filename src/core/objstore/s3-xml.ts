/**
 * The few S3 XML documents the bucket reads: ListBucketResult (ListObjects V1 and V2), Error,
 * InitiateMultipartUploadResult. Parsed here rather than with minio-js's parsers, which run
 * every text through a number parser: a key or continuation token made of digits ("000001",
 * "0x10") comes back as a number ("1", "16").
 * These documents are flat (no element nests inside one of the same name), so a scan for the
 * named elements is exact; only the five XML entities and numeric character references occur.
 */

export interface ListPage {
  keys: string[]
  prefixes: string[]
  isTruncated: boolean
  /** V2 continuation token (opaque, not URL-encoded by the server). */
  nextContinuationToken: string
  /** V1 NextMarker (decoded), '' when absent. */
  nextMarker: string
}

export function parseListBucketResult(xml: string): ListPage {
  if (!/<ListBucketResult[\s>]/.test(xml)) throw new Error(`not a ListBucketResult: ${xml.slice(0, 200)}`)
  // With encoding-type=url the server encodes keys, prefixes and markers; servers that ignore the
  // parameter say nothing and send raw keys, which must not be decoded.
  const urlEncoded = firstText(xml, 'EncodingType') === 'url'
  const name = (s: string): string => (urlEncoded ? decodeURIComponent(s.replace(/\+/g, ' ')) : s)
  const keys = blocks(xml, 'Contents').map((b) => name(firstText(b, 'Key') ?? ''))
  const prefixes = blocks(xml, 'CommonPrefixes').map((b) => name(firstText(b, 'Prefix') ?? ''))
  // Only the parts outside the entries hold the list's own fields.
  const rest = xml.replace(/<Contents>[\s\S]*?<\/Contents>|<CommonPrefixes>[\s\S]*?<\/CommonPrefixes>/g, '')
  const marker = firstText(rest, 'NextMarker')
  return {
    keys,
    prefixes,
    isTruncated: firstText(rest, 'IsTruncated') === 'true',
    nextContinuationToken: firstText(rest, 'NextContinuationToken') ?? '',
    nextMarker: marker ? name(marker) : '',
  }
}

export interface S3ErrorBody {
  code: string
  message: string
}

/** `<Error><Code>…</Code><Message>…</Message>…</Error>`, or undefined for another body. */
export function parseErrorBody(xml: string): S3ErrorBody | undefined {
  const m = /<Error>([\s\S]*)<\/Error>/.exec(xml)
  if (!m) return undefined
  return {code: firstText(m[1]!, 'Code') ?? '', message: firstText(m[1]!, 'Message') ?? ''}
}

export function parseUploadId(xml: string): string {
  const id = firstText(xml, 'UploadId')
  if (!id) throw new Error(`no UploadId in InitiateMultipartUploadResult: ${xml.slice(0, 200)}`)
  return id
}

function blocks(xml: string, tag: string): string[] {
  const out: string[] = []
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g')
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(m[1]!)
  return out
}

function firstText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>|<${tag}\\s*/>`).exec(xml)
  return m ? unescapeXml(m[1] ?? '') : undefined
}

const ENTITIES: Record<string, string> = {lt: '<', gt: '>', amp: '&', quot: '"', apos: "'"}

export function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (_, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : ENTITIES[e]!,
  )
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({'<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;'})[c]!)
}
