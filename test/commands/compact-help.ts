/**
 * Parsers of the two `compact --help` outputs, Thanos's (kingpin) and ours (oclif), into
 * flag -> {default, description} with whitespace collapsed, so the test compares them.
 */
export interface HelpFlag {
  /** Undefined when the help shows none (booleans, placeholders such as <file-path>). */
  default: string | undefined
  description: string
  negatable: boolean
}

const norm = (s: string): string => s.replace(/\s+/g, ' ').trim()

/** kingpin: `      --name=default  description` or the description on the next lines, indented. */
export function parseKingpinHelp(text: string): Map<string, HelpFlag> {
  const out = new Map<string, HelpFlag>()
  let cur: {name: string; flag: HelpFlag} | undefined
  for (const line of text.split('\n')) {
    const m = /^ {2}(?:-\w, | {4})--(\[no-\])?([\w.-]+)(?:=(\S*(?: \.\.\.)?))?(?: {2,}(.*))?$/.exec(line)
    if (m) {
      let def: string | undefined = m[3]
      if (def !== undefined && (/^<.*>$/.test(def) || /^[A-Z.-]+( \.\.\.)?$/.test(def))) def = undefined
      else if (def !== undefined && def.startsWith('"') && def.endsWith('"')) def = def.slice(1, -1)
      cur = {name: m[2]!, flag: {default: def, description: m[4] ?? '', negatable: m[1] !== undefined}}
      out.set(cur.name, cur.flag)
      continue
    }
    if (cur && /^ {20,}\S/.test(line)) cur.flag.description += ` ${line.trim()}`
    else if (line.trim() === '') cur = undefined
  }
  for (const f of out.values()) f.description = norm(f.description)
  return out
}

/** oclif: `  --name=<value>` then `      [default: X] description` lines, flags apart by a blank line. */
export function parseOclifHelp(text: string): Map<string, HelpFlag> {
  const out = new Map<string, HelpFlag>()
  const start = text.indexOf('\nFLAGS\n')
  const end = text.indexOf('\nDESCRIPTION\n')
  let cur: {name: string; flag: HelpFlag} | undefined
  for (const line of text.slice(start, end < 0 ? undefined : end).split('\n')) {
    const m = /^ {2}(?:-\w, )?--(\[no-\])?([\w.-]+)(?:=\S+)?$/.exec(line)
    if (m) {
      cur = {name: m[2]!, flag: {default: undefined, description: '', negatable: m[1] !== undefined}}
      out.set(cur.name, cur.flag)
      continue
    }
    if (cur && /^ {6}\S/.test(line)) cur.flag.description += ` ${line.trim()}`
  }
  for (const f of out.values()) {
    let d = norm(f.description)
    const dm = /^\[default: ([^\]]*)\] ?/.exec(d)
    if (dm) {
      f.default = dm[1]
      d = d.slice(dm[0].length)
    }
    f.description = d.replace(/ <options: [^>]*>$/, '')
  }
  return out
}
