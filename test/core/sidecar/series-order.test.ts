import assert from 'node:assert/strict'
import fc from 'fast-check'
import {compareLabels, mergeLabels, sortLabels, type Label, type Labels} from '../../../src/core/labels/labels.js'
import {sortedByMergedLabels, type KeyedSeries} from '../../../src/core/sidecar/series-order.js'

async function* from<T>(items: T[], pulled?: {n: number}): AsyncGenerator<T> {
  for (const x of items) {
    if (pulled) pulled.n++
    yield x
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

function keyed(keys: Labels[], ext: Labels): KeyedSeries<number>[] {
  return keys.map((key, i) => ({key, labels: mergeLabels(key, ext), value: i}))
}

const NAMES = ['__name__', 'a', 'b', 'c', 'cluster', 'job', 'z']

describe('sidecar: series order after merging external labels', () => {
  it('any Prometheus-sorted input comes out sorted by merged labels, with nothing lost', async () => {
    // Small name and value alphabets make prefixes and collisions of order frequent.
    const labelSet = fc.uniqueArray(fc.record({name: fc.constantFrom(...NAMES.filter((n) => n !== 'cluster')), value: fc.constantFrom('1', '2', 'x')}), {minLength: 1, maxLength: 4, selector: (l) => l.name})
    const ext = fc.uniqueArray(fc.record({name: fc.constantFrom('b', 'cluster', 'replica', 'aa', 'zz'), value: fc.constantFrom('e1', 'e2')}), {minLength: 1, maxLength: 3, selector: (l) => l.name})
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(labelSet, {maxLength: 40, selector: (ls) => JSON.stringify(sortLabels([...ls]))}), ext, async (sets, extRaw) => {
        const e = sortLabels([...extRaw] as Label[])
        const extNames = new Set(e.map((l) => l.name))
        // Prometheus's own labels never carry external names in this property (see the collision test).
        const keys = sets.map((ls) => sortLabels(ls.filter((l) => !extNames.has(l.name)) as Label[])).filter((k) => k.length > 0)
        const uniq = [...new Map(keys.map((k) => [JSON.stringify(k), k])).values()].sort(compareLabels)
        const input = keyed(uniq, e)
        const out = await collect(sortedByMergedLabels(from(input)))
        const expected = [...input].sort((a, b) => compareLabels(a.labels, b.labels))
        assert.deepEqual(out.map((s) => s.value), expected.map((s) => s.value))
      }),
      {numRuns: 300},
    )
  })

  it('the classic reorder: {a=1} before {a=1,b=2} moves after it once c=x is added', async () => {
    const ext = sortLabels([{name: 'c', value: 'x'}])
    const keys = [[{name: 'a', value: '1'}], [{name: 'a', value: '1'}, {name: 'b', value: '2'}], [{name: 'a', value: '2'}]].map((k) => sortLabels(k))
    const out = await collect(sortedByMergedLabels(from(keyed(keys, ext))))
    assert.deepEqual(out.map((s) => s.value), [1, 0, 2])
  })

  it('streams: with one label shape per metric, each series is sent before the next two are read', async () => {
    const ext = sortLabels([{name: 'cluster', value: 'eu1'}])
    const keys = Array.from({length: 50}, (_, i) => sortLabels([{name: '__name__', value: 'up'}, {name: 'instance', value: `i${String(i).padStart(3, '0')}`}]))
    const pulled = {n: 0}
    let i = 0
    for await (const s of sortedByMergedLabels(from(keyed(keys, ext), pulled))) {
      assert.equal(s.value, i++)
      assert.ok(pulled.n <= s.value + 2, `series ${s.value} held back until ${pulled.n} were read`)
    }
    assert.equal(i, 50)
  })

  it('input that is not sorted by its own labels (an own label named like an external one) is buffered and sorted from there on', async () => {
    const ext = sortLabels([{name: 'b', value: 'e'}])
    // keys as recovered by dropping `b`, which one series had of its own: the order breaks after the first.
    const keys = [[{name: 'a', value: '2'}], [{name: 'a', value: '1'}], [{name: 'a', value: '3'}]].map((k) => sortLabels(k))
    const out = await collect(sortedByMergedLabels(from(keyed(keys, ext))))
    // the first series was still held when the disorder showed: all three come out sorted
    assert.deepEqual(out.map((s) => s.value), [1, 0, 2])
  })
})
