/** The top bar: brand, Query, Alerts, Rules, Targets, Stores, Status ▾ (Runtime & build info, Command-line flags). */
import type {ComponentChildren, TargetedMouseEvent} from 'preact'
import {useEffect, useRef, useState} from 'preact/hooks'
import {navigate, uiPath} from '../lib/api.js'

function NavLink({route, current, children}: {route: string; current: string; children: ComponentChildren}) {
  const active = current === route || (route === '/query' && current === '/graph')
  return (
    <a
      href={uiPath(route)}
      class={`nav-link${active ? ' active' : ''}`}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return
        e.preventDefault()
        navigate(route)
      }}
    >
      {children}
    </a>
  )
}

export function Header({route, version}: {route: string; version: string}) {
  const [open, setOpen] = useState(false)
  const menu = useRef<HTMLDivElement>(null)
  useEffect(() => {
    if (!open) return
    const close = (e: MouseEvent): void => {
      if (!menu.current?.contains(e.target as Node)) setOpen(false)
    }
    document.addEventListener('mousedown', close)
    return () => document.removeEventListener('mousedown', close)
  }, [open])
  const statusActive = route === '/status' || route === '/flags'
  const go = (r: string) => (e: TargetedMouseEvent<HTMLAnchorElement>) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey) return
    e.preventDefault()
    setOpen(false)
    navigate(r)
  }
  return (
    <header class="topbar">
      <a class="brand" href={uiPath('/query')} onClick={go('/query')}>
        <svg class="brand-logo" viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
          <circle cx="16" cy="16" r="15" fill="#6d4aff" />
          <path d="M9 11h14M16 11v12" stroke="#fff" stroke-width="3.2" stroke-linecap="round" />
          <circle cx="23.5" cy="22.5" r="2.2" fill="#fff" />
        </svg>
        <span class="brand-name">thanosts</span>
        <span class="brand-sub">query</span>
      </a>
      <nav class="nav">
        <NavLink route="/query" current={route}>
          Query
        </NavLink>
        <NavLink route="/alerts" current={route}>
          Alerts
        </NavLink>
        <NavLink route="/rules" current={route}>
          Rules
        </NavLink>
        <NavLink route="/targets" current={route}>
          Targets
        </NavLink>
        <NavLink route="/stores" current={route}>
          Stores
        </NavLink>
        <div class="dropdown" ref={menu}>
          <button class={`nav-link${statusActive ? ' active' : ''}`} onClick={() => setOpen(!open)} aria-haspopup="menu" aria-expanded={open} data-testid="status-menu">
            Status <span class="caret">▾</span>
          </button>
          {open && (
            <div class="dropdown-menu" role="menu">
              <a role="menuitem" href={uiPath('/status')} onClick={go('/status')}>
                Runtime &amp; build information
              </a>
              <a role="menuitem" href={uiPath('/flags')} onClick={go('/flags')}>
                Command-line flags
              </a>
            </div>
          )}
        </div>
      </nav>
      <div class="topbar-right">{version && <span class="version">v{version}</span>}</div>
    </header>
  )
}
