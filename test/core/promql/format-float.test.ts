import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {formatGoG, parseGoFloat} from '../../../src/core/promql/format-float.js'

/**
 * The oracle is Go itself: a program reads float64 bit patterns and prints fmt's %g and %.2g
 * of them (what annotations print), then reads strings and prints what strconv.ParseFloat makes
 * of them (how Prometheus reads a classic bucket's `le`).
 */
const ORACLE = `package main
import ("bufio";"fmt";"math";"os";"strconv";"strings")
func main() {
	sc := bufio.NewScanner(os.Stdin)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "f ") {
			b, _ := strconv.ParseUint(line[2:], 16, 64)
			f := math.Float64frombits(b)
			fmt.Fprintf(w, "%g %.2g\\n", f, f)
			continue
		}
		s, _ := strconv.Unquote(line[2:])
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			fmt.Fprintln(w, "err")
		} else if math.IsNaN(f) {
			fmt.Fprintln(w, "nan")
		} else {
			fmt.Fprintf(w, "%x\\n", math.Float64bits(f))
		}
	}
}
`

const buf = new Float64Array(1)
const bits = new BigUint64Array(buf.buffer)
const toHex = (f: number): string => {
  buf[0] = f
  return bits[0]!.toString(16)
}

function floats(): number[] {
  let seed = 777
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed / 2147483648
  }
  const xs = [0, -0, 1, -1, 1.5, -1.5, 2, 10, 100, 0.5, 0.125, 0.25, 0.375, 125, 135, 145, 2.5, 3.5, 0.0001, 0.00001, 1e6, 999999, 123456, 1234567, 1e21, 1e20, 1e100, 1e-100]
  xs.push(5e-324, 2.2250738585072014e-308, Number.MAX_VALUE, NaN, Infinity, -Infinity, 0.1 + 0.2, 1 / 3, 95, 96, 9.5, 99.5, 0.995, 9.95)
  for (let i = 0; i < 1500; i++) {
    xs.push(Math.round(rnd() * 2000) / 8) // ties at two digits: 12.5, 0.125, ...
    xs.push((rnd() - 0.5) * 10 ** Math.floor(rnd() * 40 - 20))
    xs.push(Math.floor(rnd() * 1e6))
  }
  return xs
}

const STRINGS = [
  '', ' 1', '1 ', '1', '-1', '+1', '1.', '.5', '.', '5e', '1e+2', '1E-2', '1e400', '-1e400', '1e-400', '0.1', '+Inf', '-Inf', 'Inf', 'inf', '+inf', 'infinity',
  '-Infinity', 'infin', 'NaN', 'nan', 'NAN', '+NaN', '-nan', '0x10', '0x1p-2', '0X1P3', '0x.8p1', '0x1_0p0', '0xp1', '0x1.8p1', '0x1p1024', '0b1', '0o7', '1_0', '1__0',
  '_1', '1_', '1_.5', '1.5_5', '1e1_0', '0.25', '2.5e-1', '1,5', 'Hello World', '+', '-', 'e5', '00012', '1e', '0x1fffffffffffffp-52', '0x1.fffffffffffff8p0', '10000000000000000000000000',
]

describe('format-float: Go\'s %g and ParseFloat', function () {
  this.timeout(120_000)
  let dir = ''
  const xs = floats()
  let want: string[] = []

  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'thanosts-gofloat-'))
    writeFileSync(join(dir, 'go.mod'), 'module gofloat\ngo 1.22\n')
    writeFileSync(join(dir, 'main.go'), ORACLE)
    const input = [...xs.map((x) => `f ${toHex(x)}`), ...STRINGS.map((s) => `s ${JSON.stringify(s)}`)].join('\n') + '\n'
    const out = execFileSync('go', ['run', '.'], {cwd: dir, input, env: {...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod'}, maxBuffer: 64 << 20}).toString()
    want = out.trim().split('\n')
    assert.equal(want.length, xs.length + STRINGS.length)
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('formatGoG prints %g and %.2g as fmt does (ties at the precision round half to even)', () => {
    const bad: string[] = []
    xs.forEach((x, i) => {
      const got = `${formatGoG(x)} ${formatGoG(x, 2)}`
      if (got !== want[i]) bad.push(`${x}: ${got}, Go ${want[i]}`)
    })
    assert.deepEqual(bad.slice(0, 10), [])
  })

  it('parseGoFloat accepts and rejects what strconv.ParseFloat does', () => {
    const bad: string[] = []
    STRINGS.forEach((s, i) => {
      const v = parseGoFloat(s)
      const got = v === undefined ? 'err' : Number.isNaN(v) ? 'nan' : toHex(v)
      const exp = want[xs.length + i]!
      if (got !== exp) bad.push(`${JSON.stringify(s)}: ${got}, Go ${exp}`)
    })
    assert.deepEqual(bad, [])
  })
})
