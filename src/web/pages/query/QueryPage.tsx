/** The query page: several panels, their state mirrored in the URL (shareable links). */
import {useEffect, useState} from 'preact/hooks'
import {decodePanels, encodePanels, newPanel, type PanelState} from '../../lib/url-state.js'
import {Panel} from './Panel.js'

export interface QueryPageProps {
  replicaLabels: string[]
  defaultPartialResponse: boolean
}

const LOCAL_TIME_KEY = 'thanosts.useLocalTime'

export function QueryPage({replicaLabels, defaultPartialResponse}: QueryPageProps) {
  const defaults = {partialResponse: defaultPartialResponse}
  const [panels, setPanels] = useState<PanelState[]>(() => {
    const p = decodePanels(window.location.search, defaults)
    return p.length > 0 ? p : [newPanel(defaults)]
  })
  const [localTime, setLocalTime] = useState(() => window.localStorage.getItem(LOCAL_TIME_KEY) === '1')

  useEffect(() => {
    const search = '?' + encodePanels(panels)
    if (search !== window.location.search) window.history.replaceState(null, '', window.location.pathname + search)
  }, [panels])

  const update = (id: number, p: Partial<PanelState>): void => setPanels((ps) => ps.map((x) => (x.id === id ? {...x, ...p} : x)))

  return (
    <div class="page query-page">
      <div class="page-toolbar">
        <h1 class="page-title">Query</h1>
        <label class="check">
          <input
            type="checkbox"
            checked={localTime}
            onChange={(e) => {
              const v = (e.target as HTMLInputElement).checked
              window.localStorage.setItem(LOCAL_TIME_KEY, v ? '1' : '0')
              setLocalTime(v)
            }}
          />
          Use local time
        </label>
      </div>
      {panels.map((p, i) => (
        <Panel
          key={p.id}
          panel={p}
          index={i}
          replicaLabels={replicaLabels}
          localTime={localTime}
          removable={panels.length > 1}
          onChange={(c) => update(p.id, c)}
          onRemove={() => setPanels((ps) => ps.filter((x) => x.id !== p.id))}
        />
      ))}
      <button class="btn btn-secondary add-panel" onClick={() => setPanels((ps) => [...ps, newPanel(defaults)])} data-testid="add-panel">
        + Add query
      </button>
    </div>
  )
}
