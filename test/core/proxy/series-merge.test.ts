import assert from 'node:assert/strict'
import fc from 'fast-check'
import {compareLabels, labelsFromRecord, labelsKey, type Labels} from '../../../src/core/labels/labels.js'
import {mergeSeriesStreams} from '../../../src/core/proxy/series-merge.js'

interface Item {
  labels: Labels
  tag: string
}

async function* fromArray(items: Item[], delayEvery = 0): AsyncGenerator<Item> {
  let i = 0
  for (const it of items) {
    if (delayEvery > 0 && i++ % delayEvery === 0) await new Promise((r) => setTimeout(r, 1))
    yield it
  }
}

const L = (r: Record<string, string>) => labelsFromRecord(r)

describe('mergeSeriesStreams', () => {
  it('merges sorted streams into sorted groups, equal label sets grouped with their sources', async () => {
    const a = [{labels: L({a: '1'}), tag: 'a1'}, {labels: L({a: '3'}), tag: 'a3'}]
    const b = [{labels: L({a: '1'}), tag: 'b1'}, {labels: L({a: '2'}), tag: 'b2'}, {labels: L({a: '3'}), tag: 'b3'}]
    const c: Item[] = []
    const out = []
    for await (const g of mergeSeriesStreams([fromArray(a), fromArray(b, 1), fromArray(c)])) out.push(g)
    assert.deepEqual(
      out.map((g) => [g.labels, g.parts.map((p) => [p.source, p.item.tag])]),
      [
        [L({a: '1'}), [[0, 'a1'], [1, 'b1']]],
        [L({a: '2'}), [[1, 'b2']]],
        [L({a: '3'}), [[0, 'a3'], [1, 'b3']]],
      ],
    )
  })

  it('keeps consecutive equal frames of one source in the same group, in order', async () => {
    const a = [{labels: L({a: '1'}), tag: 'x'}, {labels: L({a: '1'}), tag: 'y'}]
    const out = []
    for await (const g of mergeSeriesStreams([fromArray(a)])) out.push(g)
    assert.equal(out.length, 1)
    assert.deepEqual(out[0]!.parts.map((p) => p.item.tag), ['x', 'y'])
  })

  it('property: many stores, output equals the sorted union grouped by labels', async () => {
    const labelSet = fc.record({a: fc.constantFrom('1', '2', '3', '4'), b: fc.constantFrom('x', 'y', '')})
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(labelSet, {maxLength: 12}), {minLength: 1, maxLength: 8}), async (stores) => {
        const streams = stores.map((s, si) =>
          s
            .map((r) => L(r))
            .sort(compareLabels)
            .map((labels, i) => ({labels, tag: `${si}:${i}`})),
        )
        const out = []
        for await (const g of mergeSeriesStreams(streams.map((s) => fromArray(s)))) out.push(g)
        for (let i = 1; i < out.length; i++) assert.ok(compareLabels(out[i - 1]!.labels, out[i]!.labels) < 0)
        const want = new Map<string, number>()
        for (const s of streams) for (const it of s) want.set(labelsKey(it.labels), (want.get(labelsKey(it.labels)) ?? 0) + 1)
        assert.equal(out.length, want.size)
        for (const g of out) {
          assert.equal(g.parts.length, want.get(labelsKey(g.labels)))
          for (let i = 1; i < g.parts.length; i++) assert.ok(g.parts[i - 1]!.source <= g.parts[i]!.source)
        }
      }),
      {numRuns: 100},
    )
  })

  it('releases every source when the consumer stops early', async () => {
    const returned: number[] = []
    const src = (i: number) =>
      (async function* () {
        try {
          for (let k = 0; k < 100; k++) yield {labels: L({k: String(k).padStart(3, '0'), s: String(i)}), tag: ''}
        } finally {
          returned.push(i)
        }
      })()
    let n = 0
    for await (const _ of mergeSeriesStreams([src(0), src(1), src(2)])) if (++n === 3) break
    assert.deepEqual(returned.sort(), [0, 1, 2])
  })
})
