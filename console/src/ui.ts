// Small shared pieces: formatting, the confirmation dialog, result notices.
import { html, render, type TemplateResult } from 'lit-html';

import { ApiError } from './api';
import type { Page } from './main';

export function fmtTime(ms: number | null | undefined): string {
  if (!ms) return '—';
  const d = new Date(ms);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function fmtAgo(ms: number | null | undefined, now = Date.now()): string {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function fmtNum(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '—';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

// A modal confirmation: resolves with the typed value (or '' without an
// input) when confirmed, null when cancelled.
export function confirmDialog(opts: {
  title: string;
  body: TemplateResult | string;
  confirmLabel: string;
  danger?: boolean;
  input?: { label: string; placeholder?: string; value?: string };
}): Promise<string | null> {
  return new Promise((resolve) => {
    const host = document.createElement('div');
    document.body.appendChild(host);
    const dialog = (): HTMLDialogElement => host.querySelector('dialog') as HTMLDialogElement;
    const close = (value: string | null) => {
      dialog().close();
      host.remove();
      resolve(value);
    };
    const submit = (e: Event) => {
      e.preventDefault();
      const input = host.querySelector('input');
      close(input ? input.value : '');
    };
    render(
      html`<dialog class="modal" aria-labelledby="modal-title" @cancel=${() => close(null)}>
        <form @submit=${submit}>
          <h2 id="modal-title">${opts.title}</h2>
          <div class="modal-body">${opts.body}</div>
          ${opts.input
            ? html`<label class="field"
                >${opts.input.label}
                <input name="value" .value=${opts.input.value ?? ''} placeholder=${opts.input.placeholder ?? ''}
              /></label>`
            : null}
          <div class="modal-actions">
            <button type="button" class="secondary" @click=${() => close(null)}>Cancel</button>
            <button type="submit" class=${opts.danger ? 'danger' : 'primary'} data-testid="confirm">
              ${opts.confirmLabel}
            </button>
          </div>
        </form>
      </dialog>`,
      host,
    );
    dialog().showModal();
  });
}

export interface Notice {
  kind: 'ok' | 'error' | 'info';
  text: string;
}

// What a failed request tells the operator: syncd's error message, or the
// browser's reason when the request never got an answer.
export function errorText(e: unknown): string {
  return e instanceof ApiError ? e.message : String(e);
}

export function errorNotice(e: unknown): Notice {
  return { kind: 'error', text: errorText(e) };
}

// The life every list and lookup page shares: mount() takes the route's
// parameters, paints and starts a load; paint() renders view() into the
// mounted element until the page is unmounted, so a load that finishes after
// the operator has moved on paints nothing.
export function pageLife(
  view: () => TemplateResult,
  load: () => Promise<void>,
  onMount: (params: string[]) => void = () => {},
): { page: Page; paint: () => void } {
  let el: HTMLElement | null = null;
  let stopped = false;
  const paint = () => {
    if (el && !stopped) render(view(), el);
  };
  return {
    paint,
    page: {
      mount(target, params) {
        el = target;
        onMount(params);
        paint();
        void load();
      },
      unmount() {
        stopped = true;
      },
    },
  };
}

export function noticeView(n: Notice | null): TemplateResult | null {
  if (!n) return null;
  return html`<div class="notice ${n.kind}" role=${n.kind === 'error' ? 'alert' : 'status'}>${n.text}</div>`;
}

export function pager(
  total: number,
  limit: number,
  offset: number,
  go: (offset: number) => void,
): TemplateResult {
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(total, offset + limit);
  return html`<div class="pager">
    <button class="secondary" ?disabled=${offset === 0} @click=${() => go(Math.max(0, offset - limit))}>
      ‹ Newer
    </button>
    <span>${first}–${last} of ${total}</span>
    <button class="secondary" ?disabled=${offset + limit >= total} @click=${() => go(offset + limit)}>
      Older ›
    </button>
  </div>`;
}
