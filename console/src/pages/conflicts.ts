// Conflicts (GET /api/v1/conflicts), newest first: both versions and the
// stored and incoming states side by side with the differing fields marked.
// The actions depend on the conflict's kind (POST /api/v1/conflicts/{id}/resolve):
// - server_wins (the incoming change lost): "take incoming" sends the
//   incoming state as a new, newer change through the pipeline; "keep
//   stored" only marks the conflict resolved.
// - client_wins_tie (a tie won by the incoming change, which is stored now;
//   the conflict kept the state it replaced): "keep stored" keeps what is
//   stored now (the incoming state) and marks it resolved; "restore
//   replaced" sends the replaced state as a new, newer change.
import { html } from 'lit-html';

import { api, type Conflict, type Paged, type ResolveAction } from '../api';
import type { Page } from '../main';
import { confirmDialog, errorNotice, fmtTime, type Notice, noticeView, pageLife, pager } from '../ui';

const LIMIT = 20;

function cell(v: unknown): string {
  if (v === undefined) return '—';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

const isTie = (c: Conflict) => c.resolution === 'client_wins_tie';

const ACTION_LABEL: Record<string, string> = {
  take_incoming: 'take incoming',
  keep_stored: 'keep stored',
  restore_replaced: 'restore replaced',
};

function sideBySide(c: Conflict) {
  const stored = c.stored_data ?? {};
  const incoming = c.incoming_data ?? {};
  const fields = [...new Set([...Object.keys(stored), ...Object.keys(incoming)])].sort();
  // For a tie the incoming state is the stored one now; the "stored" side is
  // the state it replaced.
  const storedHead = isTie(c) ? 'replaced (was stored)' : 'stored';
  const incomingHead = isTie(c) ? 'incoming (stored now)' : 'incoming';
  return html`<div class="sbs" role="table" aria-label="stored and incoming state">
    <div class="sbs-row sbs-head" role="row">
      <span role="columnheader">field</span><span role="columnheader" data-testid="stored-head">${storedHead}</span
      ><span role="columnheader">${incomingHead}${c.incoming_operation === 'delete' ? ' (delete)' : ''}</span>
    </div>
    ${fields.map((f) => {
      const a = (stored as Record<string, unknown>)[f];
      const b = (incoming as Record<string, unknown>)[f];
      const differs = JSON.stringify(a) !== JSON.stringify(b);
      return html`<div class="sbs-row ${differs ? 'differs' : ''}" role="row" data-differs=${differs}>
        <span role="cell" class="mono">${differs ? '≠ ' : ''}${f}</span>
        <span role="cell" class="mono">${cell(a)}</span>
        <span role="cell" class="mono">${cell(b)}</span>
      </div>`;
    })}
    ${c.incoming_data === null ? html`<p class="muted">The incoming state was not recorded for this conflict.</p>` : null}
  </div>`;
}

export function conflictsPage(): Page {
  const filter = { tenant_id: '', status: 'open' };
  let offset = 0;
  let page: Paged<Conflict> | null = null;
  let notice: Notice | null = null;
  let busy = false;

  async function load() {
    try {
      page = await api.conflicts({ ...filter, limit: LIMIT, offset });
    } catch (e) {
      notice = errorNotice(e);
    }
    paint();
  }

  function confirmText(c: Conflict, how: ResolveAction) {
    const what = `${c.entity_type} ${c.entity_id}`;
    switch (how) {
      case 'take_incoming':
        return {
          title: `Take the incoming state of ${what}?`,
          body: 'syncd sends the incoming state as a new change (a newer version) through the pipeline: it is stored and every connection of the tenant gets a data_update.',
          confirmLabel: 'Take incoming',
          danger: true,
        };
      case 'restore_replaced':
        return {
          title: `Restore the replaced state of ${what}?`,
          body: 'The incoming change won this tie and is stored now. syncd sends the state it replaced as a new change (a newer version) through the pipeline: it is stored again and every connection of the tenant gets a data_update.',
          confirmLabel: 'Restore replaced',
          danger: true,
        };
      default:
        return {
          title: `Keep the stored state of ${what}?`,
          body: isTie(c)
            ? 'The incoming change that won the tie stays stored; nothing changes in the data. The conflict is marked resolved.'
            : 'Nothing changes in the data; the conflict is marked resolved.',
          confirmLabel: 'Keep stored',
          danger: false,
        };
    }
  }

  async function resolve(c: Conflict, how: ResolveAction) {
    const ok = await confirmDialog(confirmText(c, how));
    if (ok === null) return;
    busy = true;
    paint();
    try {
      const r = await api.resolve(c.id, how);
      const outcome = r.result ? ` → ${r.result.status}${r.result.outcome ? ' (' + r.result.outcome + ')' : ''}` : '';
      notice = {
        kind: 'ok',
        text: `Conflict ${c.id} resolved (${ACTION_LABEL[how]}) by ${r.conflict.resolved_by}${r.entry_id ? `; new entry ${r.entry_id}${outcome}` : ''}.`,
      };
    } catch (e) {
      notice = errorNotice(e);
    }
    busy = false;
    await load();
  }

  function conflictView(c: Conflict) {
    return html`<article class="conflict" data-testid="conflict" data-conflict=${c.id} data-status=${c.status}>
      <header>
        <h2>${c.entity_type} <span class="mono">${c.entity_id}</span></h2>
        <span class="badge ${c.status}">${c.status}</span>
        ${isTie(c) ? html`<span class="badge" data-testid="kind" title="an updated_at tie won by the incoming change">tie: incoming won</span>` : null}
      </header>
      <dl class="meta">
        <div><dt>Tenant</dt><dd class="mono">${c.tenant_id}</dd></div>
        <div><dt>Entry</dt><dd class="mono"><a href="#/entry/${encodeURIComponent(c.tenant_id)}/${encodeURIComponent(c.entry_id)}">${c.entry_id}</a></dd></div>
        <div><dt>Stored version</dt><dd>${fmtTime(c.stored_version)}</dd></div>
        <div><dt>Incoming version</dt><dd>${fmtTime(c.incoming_version)}</dd></div>
        <div><dt>Detected</dt><dd>${fmtTime(c.detected_at_ms)}</dd></div>
        ${c.status === 'resolved'
          ? html`<div data-testid="resolved-by"><dt>Resolved</dt><dd>${ACTION_LABEL[c.resolved_action ?? ''] ?? c.resolved_action ?? ''} by <strong>${c.resolved_by}</strong> at ${fmtTime(c.resolved_at_ms)}${c.resolution_entry_id ? html` (entry <span class="mono">${c.resolution_entry_id}</span>)` : null}</dd></div>`
          : null}
      </dl>
      ${sideBySide(c)}
      ${c.status === 'open'
        ? isTie(c)
          ? html`<div class="actions">
              <button class="danger" ?disabled=${busy || c.stored_data === null} @click=${() => resolve(c, 'restore_replaced')} data-testid="restore-replaced">Restore replaced</button>
              <button class="secondary" ?disabled=${busy} @click=${() => resolve(c, 'keep_stored')} data-testid="keep-stored">Keep stored (incoming won)</button>
            </div>`
          : html`<div class="actions">
              <button class="danger" ?disabled=${busy || c.incoming_data === null} @click=${() => resolve(c, 'take_incoming')} data-testid="take-incoming">Take incoming</button>
              <button class="secondary" ?disabled=${busy} @click=${() => resolve(c, 'keep_stored')} data-testid="keep-stored">Keep stored</button>
            </div>`
        : null}
    </article>`;
  }

  function view() {
    return html`<h1>Conflicts</h1>
      <p class="muted">Changes that lost last-write-wins against a newer stored version, and ties won by a differing incoming change (with the state it replaced), newest first.</p>
      <form
        class="filters"
        @submit=${(e: Event) => {
          e.preventDefault();
          const f = new FormData(e.target as HTMLFormElement);
          filter.tenant_id = String(f.get('tenant_id') ?? '').trim();
          filter.status = String(f.get('status') ?? 'open');
          offset = 0;
          void load();
        }}
      >
        <label class="field">Tenant<input name="tenant_id" .value=${filter.tenant_id} placeholder="any" /></label>
        <label class="field"
          >Status
          <select name="status">
            ${['open', 'resolved', 'all'].map((s) => html`<option ?selected=${filter.status === s}>${s}</option>`)}
          </select></label
        >
        <button class="secondary" type="submit">Filter</button>
        <button class="secondary" type="button" @click=${() => load()}>Refresh</button>
      </form>
      ${noticeView(notice)}
      ${page === null
        ? html`<p class="muted">Loading…</p>`
        : page.items.length === 0
          ? html`<p class="empty">No ${filter.status === 'all' ? '' : filter.status + ' '}conflicts.</p>`
          : page.items.map(conflictView)}
      ${page ? pager(page.total, LIMIT, offset, (o) => ((offset = o), void load())) : null}`;
  }

  const { page: shell, paint } = pageLife(view, load);
  return shell;
}
