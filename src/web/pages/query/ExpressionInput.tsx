/**
 * The PromQL editor: CodeMirror 6 with Prometheus's own PromQL language support
 * (@prometheus-io/codemirror-promql): highlighting, completion of functions, keywords, metric
 * names and label names/values fetched from our API (under the UI prefix), and the linter that
 * underlines parse errors inline. Enter runs the query, Shift+Enter adds a line, as Prometheus.
 */
import {acceptCompletion, autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, completionStatus} from '@codemirror/autocomplete'
import {defaultKeymap, history, historyKeymap, insertNewlineAndIndent} from '@codemirror/commands'
import {bracketMatching, HighlightStyle, indentOnInput, syntaxHighlighting} from '@codemirror/language'
import {lintKeymap} from '@codemirror/lint'
import {EditorState, Prec} from '@codemirror/state'
import {drawSelection, EditorView, highlightSpecialChars, keymap, placeholder} from '@codemirror/view'
import {tags} from '@lezer/highlight'
import {PromQLExtension} from '@prometheus-io/codemirror-promql'
import {useEffect, useRef} from 'preact/hooks'
import {PATH_PREFIX} from '../../lib/api.js'

/** One completion/lint setup for all panels: they share the metric-name cache. */
const promql = new PromQLExtension().activateCompletion(true).activateLinter(true).setComplete({
  remote: {
    url: PATH_PREFIX,
    // label values is GET-only in Prometheus's API; GET everywhere keeps requests cacheable
    httpMethod: 'GET',
    cache: {maxAge: 5 * 60_000},
  },
  maxMetricsMetadata: 10_000,
})

const highlight = HighlightStyle.define([
  {tag: tags.number, color: '#09885a'},
  {tag: tags.string, color: '#a31515'},
  {tag: tags.keyword, color: '#008080'},
  {tag: tags.function(tags.variableName), color: '#1f5fbf'},
  {tag: tags.labelName, color: '#b5520f'},
  {tag: tags.operator, color: '#5c2699'},
  {tag: tags.operatorKeyword, color: '#a626a4', fontWeight: '600'},
  {tag: tags.modifier, color: '#a626a4'},
  {tag: tags.logicOperator, color: '#a626a4'},
  {tag: tags.comment, color: '#888', fontStyle: 'italic'},
  {tag: tags.invalid, color: '#d0021b'},
])

const theme = EditorView.theme({
  '&': {fontSize: '14px'},
  '.cm-content': {fontFamily: 'var(--mono)', padding: '7px 0', caretColor: '#000'},
  '.cm-line': {padding: '0 10px'},
  '&.cm-focused': {outline: 'none'},
  '.cm-scroller': {overflow: 'auto', maxHeight: '260px'},
  '.cm-placeholder': {color: '#98a2b3'},
  // not overflow: hidden: the help of the selected metric (from /api/v1/metadata) sits beside the list
  '.cm-tooltip.cm-tooltip-autocomplete': {border: '1px solid var(--border)', borderRadius: '6px', boxShadow: '0 6px 20px rgba(16,24,40,.12)', background: '#fff'},
  '.cm-tooltip.cm-tooltip-autocomplete > ul': {fontFamily: 'var(--mono)', fontSize: '13px', maxHeight: '16em', borderRadius: '6px'},
  '.cm-tooltip.cm-tooltip-autocomplete > ul > li': {padding: '3px 10px 3px 6px'},
  '.cm-tooltip-autocomplete ul li[aria-selected]': {background: '#e8f0fe', color: '#1d2939'},
  '.cm-completionDetail': {color: '#667085', fontStyle: 'normal', marginLeft: '1em', fontSize: '12px'},
  '.cm-completionInfo': {fontFamily: 'var(--sans)', fontSize: '12.5px', padding: '6px 10px', maxWidth: '380px', border: '1px solid var(--border)', borderRadius: '6px', background: '#fff'},
  '.cm-completionMatchedText': {textDecoration: 'none', fontWeight: '700', color: '#1f5fbf'},
  '.cm-diagnostic': {fontFamily: 'var(--sans)', fontSize: '13px'},
  '.cm-tooltip-lint': {borderRadius: '6px', overflow: 'hidden'},
})

export interface ExpressionInputProps {
  initial: string
  onChange: (expr: string) => void
  onExecute: () => void
}

export function ExpressionInput({initial, onChange, onExecute}: ExpressionInputProps) {
  const host = useRef<HTMLDivElement>(null)
  // The editor lives across renders; callbacks are read through refs so it is never rebuilt.
  const cbs = useRef({onChange, onExecute})
  cbs.current = {onChange, onExecute}

  useEffect(() => {
    const view = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: initial,
        extensions: [
          Prec.highest(
            keymap.of([
              {
                key: 'Enter',
                run: (v) => {
                  // With the popup open, Enter picks the completion, as in Prometheus. In the
                  // popup's first moments CodeMirror refuses that (a keystroke racing the popup
                  // must not pick for the user); Enter is then swallowed, never a newline.
                  if (completionStatus(v.state) === 'active') {
                    acceptCompletion(v)
                    return true
                  }
                  cbs.current.onExecute()
                  return true
                },
              },
              {key: 'Shift-Enter', run: insertNewlineAndIndent},
            ]),
          ),
          highlightSpecialChars(),
          history(),
          drawSelection(),
          indentOnInput(),
          bracketMatching(),
          closeBrackets(),
          autocompletion({icons: false, activateOnTypingDelay: 50}),
          keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap]),
          placeholder('Enter expression (press Shift+Enter for newlines)'),
          syntaxHighlighting(highlight),
          theme,
          EditorView.lineWrapping,
          promql.asExtension(),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) cbs.current.onChange(u.state.doc.toString())
          }),
        ],
      }),
    })
    return () => view.destroy()
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])

  return <div class="expr-editor" ref={host} data-testid="expr-editor" />
}
