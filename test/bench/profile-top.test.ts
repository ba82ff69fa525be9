/** profile-top attributes each sample's time delta to its node's function and file, idle apart. */
import assert from 'node:assert/strict'
import {summarizeProfile} from '../../bench/profile-top.js'

describe('bench profile-top', () => {
  it('sums self time per function and per file, leaving idle out', () => {
    const cf = (functionName: string, url: string, lineNumber = 0) => ({functionName, url, lineNumber})
    const s = summarizeProfile({
      nodes: [
        {id: 1, callFrame: cf('(root)', ''), children: [2, 3, 4]},
        {id: 2, callFrame: cf('decode', 'file:///x/dist/src/core/a.js', 9)},
        {id: 3, callFrame: cf('encode', 'file:///x/dist/src/core/a.js', 19)},
        {id: 4, callFrame: cf('(idle)', '')},
      ],
      samples: [2, 2, 3, 4, 2],
      timeDeltas: [1000, 2000, 4000, 8000, 16000],
    })
    assert.equal(s.totalMs, 31)
    assert.equal(s.idleMs, 8)
    assert.deepEqual(s.byFunction, [
      ['decode /x/dist/src/core/a.js:10', 19],
      ['encode /x/dist/src/core/a.js:20', 4],
    ])
    assert.deepEqual(s.byFile, [['/x/dist/src/core/a.js', 23]])
  })
})
