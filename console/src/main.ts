// The console shell: navigation and hash routes (#/, #/dead, #/conflicts,
// #/tenants[/tenant[/type/id]], #/entry[/tenant/entry]). Each page owns its
// element while it is shown and stops its timers when left.
import 'uplot/dist/uPlot.min.css';
import './style.css';

import { html, render } from 'lit-html';

import { ApiError, hasAuthToken, login, logout, NotOperatorError, onAuthRequired, refreshSession } from './api';
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
// The element the shell renders into; a fresh one after the sign-in form
// (lit-html keeps its render state on the container).
let shellRoot: HTMLElement | null = null;

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
        ${hasAuthToken()
          ? html`<a href="#/" data-testid="sign-out" @click=${signOut}>Sign out</a>`
          : null}
      </nav>
    </header>
    <main id="page" data-page=${active}></main>`;
}

function signOut(e: Event): void {
  e.preventDefault();
  void logout();
  showSignIn('');
}

// Token mode (accounts.md): syncd answered 401, so the operator signs in
// (POST /login); the page they were on comes back afterwards.
function showSignIn(message: string): void {
  current?.unmount();
  current = null;
  shellRoot = null;
  const root = document.createElement('div');
  root.className = 'root';
  (document.getElementById('app') as HTMLElement).replaceChildren(root);
  let error = message;
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    try {
      await login(String(data.get('email') ?? ''), String(data.get('password') ?? ''));
      navigate();
    } catch (err) {
      error =
        err instanceof NotOperatorError
          ? 'Not an operator account: the console needs an operator account.'
          : err instanceof ApiError && err.status === 429
          ? 'Too many failed sign-ins; try again later.'
          : err instanceof ApiError && err.status === 401
            ? 'Wrong email or password.'
            : String(err instanceof Error ? err.message : err);
      draw();
    }
  };
  const draw = () =>
    render(
      html`<main class="sign-in" data-page="sign-in">
        <form @submit=${submit} aria-labelledby="sign-in-title">
          <h1 id="sign-in-title">syncd console</h1>
          <p>This server needs an operator account.</p>
          <label class="field">Email <input name="email" type="email" autocomplete="username" required /></label>
          <label class="field"
            >Password <input name="password" type="password" autocomplete="current-password" required
          /></label>
          ${error ? html`<p class="notice error" role="alert">${error}</p>` : null}
          <button type="submit" class="primary">Sign in</button>
        </form>
      </main>`,
      root,
    );
  draw();
  document.title = 'Sign in · syncd console';
}

onAuthRequired((expired) => {
  if (current) showSignIn(expired ? 'Your session ended; sign in again.' : '');
});

function navigate(): void {
  const { route, params } = parseHash();
  current?.unmount();
  if (!shellRoot) {
    // Replaces the static "Loading…" placeholder or the sign-in form.
    shellRoot = document.createElement('div');
    shellRoot.className = 'root';
    (document.getElementById('app') as HTMLElement).replaceChildren(shellRoot);
  }
  render(shell(route.name), shellRoot);
  // A fresh element per page: lit-html keeps its render state on the
  // container, so a page never renders into the previous page's element.
  const el = document.createElement('div');
  (document.getElementById('page') as HTMLElement).replaceChildren(el);
  current = route.page();
  current.mount(el, params);
  document.title = `${route.label} · syncd console`;
}

window.addEventListener('hashchange', navigate);
// A reload keeps only the refresh token (sessionStorage): a new access
// token first, so the pages (and the event stream) start signed in.
void refreshSession().finally(navigate);
