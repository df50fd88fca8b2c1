// Dead letters across tenants (GET /api/v1/dead-letters), newest first, with
// retry / ack / nack for one or many (POST /api/v1/dead-letters/actions),
// each confirmed first. The waiting client gets the same reply as with
// POST /api/v1/sync/acknowledge: the route uses the same pipeline path.
import { html } from 'lit-html';

import { api, ENTITY_TYPES, type DeadLetter, type OperatorAction, type Paged } from '../api';
import type { Page } from '../main';
import { confirmDialog, errorNotice, fmtTime, json, type Notice, noticeView, pageLife, pager } from '../ui';

const LIMIT = 25;

export function deadPage(): Page {
  const filter = { tenant_id: '', entity_type: '', error: '' };
  let offset = 0;
  let page: Paged<DeadLetter> | null = null;
  let notice: Notice | null = null;
  let busy = false;
  const selected = new Set<string>();
  const key = (d: { tenant_id: string; entry_id: string }) => `${d.tenant_id}\u0000${d.entry_id}`;

  async function load() {
    try {
      page = await api.deadLetters({ ...filter, limit: LIMIT, offset });
      const present = new Set(page.items.map(key));
      for (const k of [...selected]) if (!present.has(k)) selected.delete(k);
    } catch (e) {
      notice = errorNotice(e);
    }
    paint();
  }

  async function act(action: OperatorAction, items: DeadLetter[]) {
    if (items.length === 0) return;
    const what = items.length === 1 ? `entry ${items[0].entry_id} (tenant ${items[0].tenant_id})` : `${items.length} entries`;
    const verbs: Record<OperatorAction, string> = {
      retry: 'Retry',
      ack: 'Acknowledge (manual)',
      nack: 'Reject (nack)',
    };
    const detail = await confirmDialog({
      title: `${verbs[action]} ${what}?`,
      body:
        action === 'retry'
          ? 'The entries go back to the queue with their attempts reset; the waiting clients get the result when they finish.'
          : action === 'ack'
            ? 'The entries finish as outcome "manual" without being applied; the waiting clients get a sync_ack.'
            : 'The entries finish as a permanent constraint_error; the waiting clients get a sync_nack with the reason.',
      confirmLabel: verbs[action],
      danger: action !== 'retry',
      input: action === 'nack' ? { label: 'Reason sent to the client', placeholder: 'rejected by an operator' } : undefined,
    });
    if (detail === null) return;
    busy = true;
    paint();
    try {
      const r = await api.act(
        action,
        items.map((d) => ({ tenant_id: d.tenant_id, entry_id: d.entry_id })),
        action === 'nack' && detail ? detail : undefined,
      );
      const failures = r.results.filter((x) => !x.success);
      notice = {
        kind: failures.length ? 'error' : 'ok',
        text:
          `${action}: ${r.succeeded} done` +
          (failures.length ? `, ${failures.length} failed: ${failures.map((f) => `${f.entry_id}: ${f.message}`).join('; ')}` : '') +
          ` (as ${r.actor})`,
      };
      selected.clear();
    } catch (e) {
      notice = errorNotice(e);
    }
    busy = false;
    await load();
  }

  function rowView(d: DeadLetter) {
    const k = key(d);
    return html`<tr data-testid="dead-row" data-entry=${d.entry_id}>
      <td data-label="Select">
        <input
          type="checkbox"
          aria-label="select ${d.entry_id}"
          .checked=${selected.has(k)}
          @change=${(e: Event) => {
            if ((e.target as HTMLInputElement).checked) selected.add(k);
            else selected.delete(k);
            paint();
          }}
        />
      </td>
      <td data-label="Entry">
        <a href="#/entry/${encodeURIComponent(d.tenant_id)}/${encodeURIComponent(d.entry_id)}" class="mono">${d.entry_id}</a>
        <div class="muted">tenant <span class="mono">${d.tenant_id}</span></div>
      </td>
      <td data-label="Entity">${d.entity_type} <span class="mono">${d.entity_id}</span><div class="muted">${d.operation}</div></td>
      <td data-label="Attempts">${d.attempts}</td>
      <td data-label="Last error" class="wrap">${d.last_error || '—'}</td>
      <td data-label="Times">
        <div>dead ${fmtTime(d.dead_at_ms)}</div>
        <div class="muted">received ${fmtTime(d.received_at_ms)}</div>
      </td>
      <td data-label="Payload">
        <details><summary>payload</summary><pre class="json">${json(d.payload)}</pre></details>
      </td>
      <td data-label="Actions" class="actions-cell">
        <div class="actions">
          <button class="primary" ?disabled=${busy} @click=${() => act('retry', [d])} data-testid="retry">Retry</button>
          <button class="secondary" ?disabled=${busy} @click=${() => act('ack', [d])}>Ack</button>
          <button class="danger" ?disabled=${busy} @click=${() => act('nack', [d])}>Nack</button>
        </div>
      </td>
    </tr>`;
  }

  function view() {
    const items = page?.items ?? [];
    const chosen = items.filter((d) => selected.has(key(d)));
    return html`<h1>Dead letters</h1>
      <p class="muted">Entries whose last attempt failed, across tenants, newest first.</p>
      <form
        class="filters"
        @submit=${(e: Event) => {
          e.preventDefault();
          const f = new FormData(e.target as HTMLFormElement);
          filter.tenant_id = String(f.get('tenant_id') ?? '').trim();
          filter.entity_type = String(f.get('entity_type') ?? '');
          filter.error = String(f.get('error') ?? '').trim();
          offset = 0;
          void load();
        }}
      >
        <label class="field">Tenant<input name="tenant_id" .value=${filter.tenant_id} placeholder="any" /></label>
        <label class="field"
          >Entity type
          <select name="entity_type">
            <option value="">any</option>
            ${ENTITY_TYPES.map((t) => html`<option ?selected=${filter.entity_type === t}>${t}</option>`)}
          </select></label
        >
        <label class="field">Error contains<input name="error" .value=${filter.error} placeholder="any" /></label>
        <button class="secondary" type="submit">Filter</button>
      </form>
      ${noticeView(notice)}
      <div class="bulk">
        <span>${chosen.length} selected</span>
        <button class="secondary" ?disabled=${items.length === 0} @click=${() => {
          const all = items.every((d) => selected.has(key(d)));
          for (const d of items) all ? selected.delete(key(d)) : selected.add(key(d));
          paint();
        }}>Select page</button>
        <button class="primary" ?disabled=${busy || chosen.length === 0} @click=${() => act('retry', chosen)}>Retry selected</button>
        <button class="secondary" ?disabled=${busy || chosen.length === 0} @click=${() => act('ack', chosen)}>Ack selected</button>
        <button class="danger" ?disabled=${busy || chosen.length === 0} @click=${() => act('nack', chosen)}>Nack selected</button>
        <button class="secondary" @click=${() => load()}>Refresh</button>
      </div>
      ${page === null
        ? html`<p class="muted">Loading…</p>`
        : items.length === 0
          ? html`<p class="empty" data-testid="dead-empty">No dead entries${filter.tenant_id || filter.entity_type || filter.error ? ' match the filter' : ''}.</p>`
          : html`<table class="list">
              <thead>
                <tr>
                  <th></th>
                  <th>Entry</th>
                  <th>Entity</th>
                  <th>Attempts</th>
                  <th>Last error</th>
                  <th>Times</th>
                  <th>Payload</th>
                  <th>Actions</th>
                </tr>
              </thead>
              <tbody>
                ${items.map(rowView)}
              </tbody>
            </table>`}
      ${page ? pager(page.total, LIMIT, offset, (o) => ((offset = o), void load())) : null}`;
  }

  const { page: shell, paint } = pageLife(view, load);
  return shell;
}
