// The console shell: navigation and hash routes (#/, #/dead, #/conflicts,
// #/tenants[/tenant[/type/id]], #/entry[/tenant/entry]). Each page owns its
// element while it is shown and stops its timers when left.
import 'uplot/dist/uPlot.min.css';
import './style.css';

import { html, render } from 'lit-html';

import { conflictsPage } from './pages/conflicts';
import { deadPage } from './pages/dead';
import { entryPage } from './pages/entry';
import { overviewPage } from './pages/overview';
import { tenantsPage } from './pages/tenants';

export interface Page {
  mount(el: HTMLElement, params: string[]): void;
  unmount(): void;
}

const routes: { name: string; path: string; label: string; page: () => Page }[] = [
  { name: 'overview', path: '', label: 'Overview', page: overviewPage },
  { name: 'dead', path: 'dead', label: 'Dead letters', page: deadPage },
  { name: 'conflicts', path: 'conflicts', label: 'Conflicts', page: conflictsPage },
  { name: 'tenants', path: 'tenants', label: 'Tenants', page: tenantsPage },
  { name: 'entry', path: 'entry', label: 'Entry lookup', page: entryPage },
];

let current: Page | null = null;

function parseHash(): { route: (typeof routes)[number]; params: string[] } {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const route = routes.find((r) => r.path === parts[0]) ?? routes[0];
  return { route, params: parts.slice(1).filter((p) => p !== '') };
}

function shell(active: string) {
  return html`<header class="top">
      <a class="brand" href="#/">syncd <span>console</span></a>
      <nav aria-label="Pages">
        ${routes.map(
          (r) =>
            html`<a href="#/${r.path}" class=${r.name === active ? 'active' : ''} aria-current=${r.name === active ? 'page' : 'false'}
              >${r.label}</a
            >`,
        )}
      </nav>
    </header>
    <main id="page" data-page=${active}></main>`;
}

function navigate(): void {
  const { route, params } = parseHash();
  current?.unmount();
  const app = document.getElementById('app') as HTMLElement;
  if (!current) app.replaceChildren(); // the static "Loading…" placeholder
  render(shell(route.name), app);
  // A fresh element per page: lit-html keeps its render state on the
  // container, so a page never renders into the previous page's element.
  const el = document.createElement('div');
  (document.getElementById('page') as HTMLElement).replaceChildren(el);
  current = route.page();
  current.mount(el, params);
  document.title = `${route.label} · syncd console`;
}

window.addEventListener('hashchange', navigate);
navigate();
