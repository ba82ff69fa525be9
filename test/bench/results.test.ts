import assert from 'node:assert/strict'
import {addHistoryLine} from '../../bench/results.js'

describe('bench history lines', () => {
  it('go after the last entry of the History list, before text that follows it', () => {
    const doc = '# B\n\n## History\n\n- one\n- two\n\nNotes about the runs.\n\n## Next\n\ntext\n'
    assert.equal(addHistoryLine(doc, '- three'), '# B\n\n## History\n\n- one\n- two\n- three\n\nNotes about the runs.\n\n## Next\n\ntext\n')
  })

  it('start the list under an empty heading, and add the heading when there is none', () => {
    assert.equal(addHistoryLine('# B\n\n## History\n', '- one'), '# B\n\n## History\n\n- one\n')
    assert.equal(addHistoryLine('# B\n\n## History\n\n## Next\n', '- one'), '# B\n\n## History\n\n- one\n\n## Next\n')
    assert.equal(addHistoryLine('# B\n', '- one'), '# B\n\n## History\n\n- one\n')
  })

  it('append at the end when the list ends the file', () => {
    assert.equal(addHistoryLine('## History\n\n- one\n', '- two'), '## History\n\n- one\n- two\n')
  })
})
