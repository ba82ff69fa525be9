import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {goLog, goLog10, goLog2, promDate, daysInMonth} from '../../../../src/core/promql/functions/go-math.js'

/**
 * The oracle is Go itself (the toolchain the peers are built with): a small program reads
 * float64 bit patterns and prints math.Log/Log2/Log10 and the fields Prometheus's date
 * functions read from time.Unix(int64(f), 0).UTC(), for the same inputs.
 */
const ORACLE = `package main
import ("bufio";"fmt";"math";"os";"strconv";"time")
func main() {
	sc := bufio.NewScanner(os.Stdin)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for sc.Scan() {
		b, _ := strconv.ParseUint(sc.Text(), 16, 64)
		f := math.Float64frombits(b)
		t := time.Unix(int64(f), 0).UTC()
		dim := 32 - time.Date(t.Year(), t.Month(), 32, 0, 0, 0, 0, time.UTC).Day()
		fmt.Fprintf(w, "%x %x %x %d %d %d %d %d %d %d %d\\n", math.Float64bits(math.Log(f)), math.Float64bits(math.Log2(f)), math.Float64bits(math.Log10(f)),
			t.Year(), int(t.Month()), t.Day(), int(t.Weekday()), t.YearDay(), t.Hour(), t.Minute(), dim)
	}
}
`

const buf = new Float64Array(1)
const bits = new BigUint64Array(buf.buffer)
const toHex = (f: number): string => {
  buf[0] = f
  return bits[0]!.toString(16)
}
const fromHex = (h: string): number => {
  bits[0] = BigInt('0x' + h)
  return buf[0]!
}

function inputs(): number[] {
  // a fixed LCG, so a failure reproduces
  let seed = 12345
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  }
  const xs = [0, -0, 1, -1, 0.5, 2, 1024, 7, 0.3, 5850, 1234.5, -1.5, 1.5, -86401, 1e15, -1e15, 9e18, -9e18, -9.2233e18, NaN, Infinity, -Infinity, 1e19, -1e19]
  xs.push(-62135596800, -62135596801, 951782400, 4107542400, 5e-324, 2.2250738585072014e-308, 1e-310, Number.MAX_VALUE)
  for (let i = 0; i < 3000; i++) {
    xs.push(0.5 + rnd() * 1.5) // where V8's Math.log and Go's differ most
    xs.push(Math.exp(rnd() * 1400 - 700))
    xs.push((rnd() - 0.5) * 2 * 10 ** Math.floor(rnd() * 19)) // seconds from ±1 to ±1e19
  }
  return xs
}

describe('functions/go-math: Go bit for bit', function () {
  this.timeout(120_000)
  let dir = ''
  let xs: number[] = []
  let want: string[][] = []

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'thanosts-gomath-'))
    writeFileSync(join(dir, 'go.mod'), 'module gomath\ngo 1.22\n')
    writeFileSync(join(dir, 'main.go'), ORACLE)
    xs = inputs()
    const out = execFileSync('go', ['run', '.'], {cwd: dir, input: xs.map(toHex).join('\n') + '\n', env: {...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod'}, maxBuffer: 64 << 20}).toString()
    want = out.trim().split('\n').map((l) => l.split(' '))
    assert.equal(want.length, xs.length)
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('ln, log2 and log10 equal math.Log, Log2 and Log10 (subnormals included)', () => {
    const bad: string[] = []
    xs.forEach((x, i) => {
      const [l, l2, l10] = want[i]!.map((h, j) => (j < 3 ? fromHex(h) : 0))
      for (const [name, got, exp] of [['ln', goLog(x), l], ['log2', goLog2(x), l2], ['log10', goLog10(x), l10]] as const) {
        if (!Object.is(got, exp)) bad.push(`${name}(${x}) = ${got}, Go ${exp}`)
      }
    })
    assert.deepEqual(bad.slice(0, 10), [])
  })

  it('date fields equal time.Unix(int64(f), 0).UTC(): truncation, NaN/Inf as MinInt64, wrap-around before Go\'s absolute epoch', () => {
    const bad: string[] = []
    xs.forEach((x, i) => {
      const d = promDate(x)
      const got = [d.year, d.month, d.day, d.weekday, d.yearDay, d.hour, d.minute, daysInMonth(d)].join(' ')
      const exp = want[i]!.slice(3).join(' ')
      if (got !== exp) bad.push(`${x}: ${got}, Go ${exp}`)
    })
    assert.deepEqual(bad.slice(0, 10), [])
  })
})
