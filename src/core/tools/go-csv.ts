/**
 * Records as Go's encoding/csv Writer writes them (Thanos's printCSV and printTSV in
 * cmd/thanos/tools_bucket.go): a field is quoted only when it holds the separator, `"`, `\r` or
 * `\n`, is exactly `\.`, or starts with a Unicode space; inside quotes `"` doubles; records end
 * with `\n` (UseCRLF false).
 */

/** unicode.IsSpace: Go's White_Space set (no U+FEFF, unlike JavaScript's \s). */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u

function needsQuotes(field: string, comma: string): boolean {
  if (field === '') return false
  if (field === '\\.') return true
  if (field.includes(comma) || field.includes('"') || field.includes('\r') || field.includes('\n')) return true
  return GO_SPACE.test(field)
}

export function goCsvRecord(fields: readonly string[], comma = ','): string {
  return fields.map((f) => (needsQuotes(f, comma) ? `"${f.replace(/"/g, '""')}"` : f)).join(comma) + '\n'
}
