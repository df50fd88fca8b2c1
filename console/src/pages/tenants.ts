// Tenants (GET /api/v1/tenants); one tenant's entities, searchable and paged
// (GET /api/v1/tenants/{t}/entities); one entity with its stored JSON,
// checksum and history from the sync log (.../entities/{type}/{id}).
import { html } from 'lit-html';

import { api, ENTITY_TYPES, type EntityDetail, type EntitySummary, type Paged, type TenantSummary } from '../api';
import type { Page } from '../main';
import { errorText, fmtAgo, fmtTime, json, pageLife, pager } from '../ui';

const LIMIT = 25;
const enc = encodeURIComponent;

export function tenantsPage(): Page {
  let params: string[] = [];
  let error: string | null = null;
  let tenants: TenantSummary[] | null = null;
  let entities: Paged<EntitySummary> | null = null;
  let entity: EntityDetail | null = null;
  const search = { q: '', entity_type: '' };
  let offset = 0;

  async function load() {
    error = null;
    try {
      if (params.length === 0) {
        tenants = (await api.tenants()).items;
      } else if (params.length === 1) {
        entities = await api.entities(params[0], { ...search, limit: LIMIT, offset });
      } else {
        entity = await api.entity(params[0], params[1], params[2]);
      }
    } catch (e) {
      error = errorText(e);
    }
    paint();
  }

  function listView() {
    return html`<h1>Tenants</h1>
      ${tenants === null
        ? html`<p class="muted">Loading…</p>`
        : tenants.length === 0
          ? html`<p class="empty">No tenants yet.</p>`
          : html`<table class="list">
              <thead>
                <tr><th>Tenant</th><th>Entities</th><th>Queue</th><th>Dead</th><th>Open conflicts</th><th>Connections</th><th>Last sync</th></tr>
              </thead>
              <tbody>
                ${tenants.map(
                  (t) => html`<tr data-testid="tenant-row">
                    <td data-label="Tenant"><a class="mono" href="#/tenants/${enc(t.tenant_id)}">${t.tenant_id}</a></td>
                    <td data-label="Entities">
                      <strong>${t.entity_total}</strong>
                      <div class="muted">${Object.entries(t.entities).map(([k, v]) => `${k} ${v}`).join(', ') || '—'}</div>
                    </td>
                    <td data-label="Queue">${t.queue_depth}</td>
                    <td data-label="Dead">${t.dead}</td>
                    <td data-label="Open conflicts">${t.open_conflicts}</td>
                    <td data-label="Connections">${t.connections}</td>
                    <td data-label="Last sync" title=${fmtTime(t.last_sync_ms)}>${fmtAgo(t.last_sync_ms)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`}`;
  }

  function tenantView() {
    const tenant = params[0];
    return html`<p class="crumbs"><a href="#/tenants">Tenants</a> › <span class="mono">${tenant}</span></p>
      <h1>Tenant <span class="mono">${tenant}</span></h1>
      <form
        class="filters"
        @submit=${(e: Event) => {
          e.preventDefault();
          const f = new FormData(e.target as HTMLFormElement);
          search.q = String(f.get('q') ?? '').trim();
          search.entity_type = String(f.get('entity_type') ?? '');
          offset = 0;
          void load();
        }}
      >
        <label class="field">Search id or name<input name="q" type="search" .value=${search.q} /></label>
        <label class="field"
          >Entity type
          <select name="entity_type">
            <option value="">any</option>
            ${ENTITY_TYPES.map((t) => html`<option ?selected=${search.entity_type === t}>${t}</option>`)}
          </select></label
        >
        <button class="secondary" type="submit">Search</button>
      </form>
      ${entities === null
        ? html`<p class="muted">Loading…</p>`
        : entities.items.length === 0
          ? html`<p class="empty">No entities match.</p>`
          : html`<table class="list">
              <thead><tr><th>Type</th><th>Id</th><th>Name</th><th>Version</th><th>Modified</th></tr></thead>
              <tbody>
                ${entities.items.map(
                  (e) => html`<tr data-testid="entity-row">
                    <td data-label="Type">${e.entity_type}</td>
                    <td data-label="Id"><a class="mono" href="#/tenants/${enc(tenant)}/${enc(e.entity_type)}/${enc(e.entity_id)}">${e.entity_id}</a></td>
                    <td data-label="Name">${e.deleted ? html`<em>deleted</em>` : (e.name ?? '—')}</td>
                    <td data-label="Version">${fmtTime(e.version)}</td>
                    <td data-label="Modified">${fmtTime(e.modified_at_ms)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
      ${entities ? pager(entities.total, LIMIT, offset, (o) => ((offset = o), void load())) : null}`;
  }

  function entityView() {
    const [tenant, type, id] = params;
    const e = entity;
    return html`<p class="crumbs">
        <a href="#/tenants">Tenants</a> › <a class="mono" href="#/tenants/${enc(tenant)}">${tenant}</a> › ${type}
        <span class="mono">${id}</span>
      </p>
      <h1>${type} <span class="mono">${id}</span></h1>
      ${e === null
        ? html`<p class="muted">Loading…</p>`
        : html`<dl class="meta">
              <div><dt>Checksum</dt><dd class="mono" data-testid="checksum">${e.checksum || '— (deleted)'}</dd></div>
              <div><dt>Version</dt><dd>${fmtTime(e.version)}</dd></div>
              <div><dt>Modified</dt><dd>${fmtTime(e.modified_at_ms)}</dd></div>
              <div><dt>Last entry</dt><dd class="mono"><a href="#/entry/${enc(tenant)}/${enc(e.source_entry_id)}">${e.source_entry_id}</a></dd></div>
            </dl>
            <h2>Stored JSON${e.deleted ? ' (tombstone)' : ''}</h2>
            <pre class="json" data-testid="entity-json">${json(e.data)}</pre>
            <h2>History</h2>
            ${e.history.length === 0
              ? html`<p class="empty">No sync log rows (older rows are removed after the retention period).</p>`
              : html`<table class="list">
                  <thead><tr><th>When</th><th>Entry</th><th>Operation</th><th>Result</th><th>Operator</th></tr></thead>
                  <tbody>
                    ${e.history.map(
                      (h) => html`<tr>
                        <td data-label="When">${fmtTime(h.at_ms)}</td>
                        <td data-label="Entry"><a class="mono" href="#/entry/${enc(tenant)}/${enc(h.entry_id)}">${h.entry_id}</a></td>
                        <td data-label="Operation">${h.operation}</td>
                        <td data-label="Result">${h.result}</td>
                        <td data-label="Operator">${h.actor ?? '—'}</td>
                      </tr>`,
                    )}
                  </tbody>
                </table>`}`}`;
  }

  function view() {
    const body = params.length === 0 ? listView() : params.length === 1 ? tenantView() : entityView();
    return html`${error ? html`<div class="notice error" role="alert">${error}</div>` : null}${body}`;
  }

  const { page, paint } = pageLife(view, load, (p) => {
    params = p.length >= 3 ? p.slice(0, 3) : p.slice(0, 1);
  });
  return page;
}
