// Entry lookup by tenant and entry id: state, attempts, result and timeline
// (GET /api/v1/entries/{tenant_id}/{entry_id}/timeline).
import { html } from 'lit-html';

import { api, type EntryTimeline } from '../api';
import type { Page } from '../main';
import { errorText, fmtTime, json, pageLife } from '../ui';

export function entryPage(): Page {
  let tenant = '';
  let entryId = '';
  let data: EntryTimeline | null = null;
  let error: string | null = null;
  let loading = false;

  async function load() {
    if (!tenant || !entryId) return;
    loading = true;
    paint();
    try {
      data = await api.timeline(tenant, entryId);
      error = null;
    } catch (e) {
      data = null;
      error = errorText(e);
    }
    loading = false;
    paint();
  }

  function view() {
    const d = data;
    return html`<h1>Entry lookup</h1>
      <form
        class="filters"
        @submit=${(e: Event) => {
          e.preventDefault();
          const f = new FormData(e.target as HTMLFormElement);
          const t = String(f.get('tenant') ?? '').trim();
          const id = String(f.get('entry') ?? '').trim();
          location.hash = `#/entry/${encodeURIComponent(t)}/${encodeURIComponent(id)}`;
        }}
      >
        <label class="field">Tenant<input name="tenant" required .value=${tenant} /></label>
        <label class="field">Entry id<input name="entry" required .value=${entryId} /></label>
        <button class="primary" type="submit">Look up</button>
      </form>
      ${error ? html`<div class="notice error" role="alert">${error}</div>` : null}
      ${loading ? html`<p class="muted">Loading…</p>` : null}
      ${d
        ? html`<section class="entry" data-testid="entry">
            <dl class="meta">
              <div><dt>State</dt><dd><span class="badge ${d.entry.state}" data-testid="entry-state">${d.entry.state}</span></dd></div>
              <div><dt>Attempts</dt><dd>${d.entry.attempts}</dd></div>
              <div><dt>Entity</dt><dd>${d.entity_type} <a class="mono" href="#/tenants/${encodeURIComponent(tenant)}/${encodeURIComponent(d.entity_type)}/${encodeURIComponent(d.entity_id)}">${d.entity_id}</a> (${d.operation})</dd></div>
              <div><dt>Received</dt><dd>${fmtTime(d.received_at_ms)}</dd></div>
              <div><dt>Finished</dt><dd>${fmtTime(d.finished_at_ms)}</dd></div>
              ${d.entry.last_error ? html`<div><dt>Last error</dt><dd class="wrap">${d.entry.last_error}</dd></div>` : null}
            </dl>
            <h2>Result</h2>
            <pre class="json">${d.entry.result ? json(d.entry.result) : 'none yet'}</pre>
            <h2>Timeline</h2>
            <ol class="timeline">
              ${d.timeline.map(
                (t) => html`<li>
                  <span class="when">${t.at_ms ? fmtTime(t.at_ms) : ''}</span>
                  <strong>${t.event.replace('_', ' ')}</strong>
                  ${t.detail ? html`<span class="wrap">${t.detail}</span>` : null}
                  ${t.actor ? html`<span class="muted">by ${t.actor}</span>` : null}
                </li>`,
              )}
            </ol>
            <p class="muted">Failed attempts come from the attempt log, finishes and operator actions from the sync log.</p>
          </section>`
        : null}`;
  }

  const { page, paint } = pageLife(view, load, (params) => {
    tenant = params[0] ?? '';
    entryId = params[1] ?? '';
  });
  return page;
}
