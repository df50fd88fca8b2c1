// Overview: health, queue, rates, latency, batches and connections, pushed
// every 2 s by the server over Server-Sent Events (GET /api/v1/events, an
// `overview` event carrying the JSON of GET /api/v1/overview), with charts
// of the last 15 minutes (GET /api/v1/metrics/history first, then the live
// points appended). EventSource reconnects by itself; only after
// SSE_FAILURES errors in a row without an event in between, when the
// browser gives up on the stream (an answer that is not a 200 event
// stream), or without EventSource at all, does the page fall back to
// polling GET /api/v1/overview every 2 s. `data-live` says which it uses.
import { html, render } from 'lit-html';
import uPlot from 'uplot';

import { api, overviewEvents, type Overview, type StatsPoint } from '../api';
import type { Page } from '../main';
import { errorText, fmtNum } from '../ui';

const POLL_MS = 2000;
const SSE_FAILURES = 3;
const WINDOW_MS = 15 * 60 * 1000;

interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  series: { label: string; key: keyof StatsPoint; color: string }[];
}

const CHARTS: ChartSpec[] = [
  {
    id: 'rates',
    title: 'Entries per second',
    unit: '/s',
    series: [
      { label: 'received', key: 'received_per_s', color: '#1f5f99' },
      { label: 'acked', key: 'acked_per_s', color: '#2e8b57' },
    ],
  },
  {
    id: 'queue',
    title: 'Queue depth',
    unit: '',
    series: [
      { label: 'pending', key: 'pending', color: '#1f5f99' },
      { label: 'in flight', key: 'in_flight', color: '#7b4fa3' },
      { label: 'retry wait', key: 'retry_wait', color: '#c47f00' },
      { label: 'dead', key: 'dead', color: '#b3261e' },
    ],
  },
  {
    id: 'latency',
    title: 'Ack latency (ms)',
    unit: 'ms',
    series: [
      { label: 'p50', key: 'ack_p50_ms', color: '#2e8b57' },
      { label: 'p95', key: 'ack_p95_ms', color: '#c47f00' },
      { label: 'p99', key: 'ack_p99_ms', color: '#b3261e' },
    ],
  },
  {
    id: 'conns',
    title: 'Batch size and connections',
    unit: '',
    series: [
      { label: 'batch size', key: 'batch_size', color: '#7b4fa3' },
      { label: 'connections', key: 'connections', color: '#1f5f99' },
      { label: 'tenants', key: 'tenants', color: '#5f6b7a' },
    ],
  },
];

export function overviewPage(): Page {
  let el: HTMLElement;
  let timer: number | undefined;
  let stopped = false;
  let data: Overview | null = null;
  let error: string | null = null;
  let points: StatsPoint[] = [];
  const plots = new Map<string, uPlot>();
  let resize: (() => void) | null = null;
  let source: EventSource | null = null;
  let failures = 0; // EventSource errors since its last event
  let live: 'sse' | 'poll' | '' = '';

  function card(label: string, value: string, testid: string, sub?: string) {
    return html`<div class="card" data-testid=${testid}>
      <div class="card-label">${label}</div>
      <div class="card-value">${value}</div>
      ${sub ? html`<div class="card-sub">${sub}</div>` : null}
    </div>`;
  }

  function view() {
    const d = data;
    const health = d?.health;
    return html`<h1>Overview</h1>
      ${error ? html`<div class="notice error" role="alert">${error}</div>` : null}
      <section class="health ${health?.status ?? 'unknown'}" data-testid="health">
        <strong>${health ? health.status : '…'}</strong>
        ${health?.reason ? html`<span>${health.reason}</span>` : html`<span>all parts answer</span>`}
        ${d ? html`<span class="muted">version ${d.version}, up ${fmtNum(d.uptime_s)} s</span>` : null}
        <span class="muted" data-testid="live" data-live=${live}
          >${live === 'sse' ? 'live' : live === 'poll' ? 'polling every 2 s' : ''}</span
        >
      </section>
      ${d
        ? html`<div class="cards">
            ${card('Pending', fmtNum(d.queue.pending), 'q-pending')}
            ${card('In flight', fmtNum(d.queue.in_flight), 'q-in-flight')}
            ${card('Retry wait', fmtNum(d.queue.retry_wait), 'q-retry-wait')}
            ${card('Dead', fmtNum(d.queue.dead), 'q-dead')}
            ${card('Received / s', fmtNum(d.point.received_per_s), 'received-rate', `${fmtNum(d.totals.received)} total`)}
            ${card('Acked / s', fmtNum(d.point.acked_per_s), 'acked-rate', `${fmtNum(d.totals.applied)} applied`)}
            ${card(
              'Ack latency p50 / p95 / p99',
              `${fmtNum(d.point.ack_p50_ms)} / ${fmtNum(d.point.ack_p95_ms)} / ${fmtNum(d.point.ack_p99_ms)} ms`,
              'latency',
            )}
            ${card('Batch size', fmtNum(d.point.batch_size), 'batch', `avg ${fmtNum(d.batch.avg_size)}, max ${d.batch.max_size}`)}
            ${card('Connections', fmtNum(d.point.connections), 'connections', `${fmtNum(d.point.tenants)} tenants`)}
          </div>`
        : html`<p class="muted">Loading…</p>`}
      <div class="charts">
        ${CHARTS.map(
          (c) => html`<figure class="chart">
            <figcaption>${c.title}</figcaption>
            <div id="chart-${c.id}" class="chart-box"></div>
          </figure>`,
        )}
      </div>`;
  }

  function chartData(spec: ChartSpec): uPlot.AlignedData {
    return [points.map((p) => p.t_ms / 1000), ...spec.series.map((s) => points.map((p) => Number(p[s.key])))];
  }

  function drawCharts() {
    for (const spec of CHARTS) {
      const box = el.querySelector<HTMLElement>(`#chart-${spec.id}`);
      if (!box) continue;
      const width = Math.max(200, box.clientWidth);
      const existing = plots.get(spec.id);
      if (existing) {
        existing.setData(chartData(spec));
        continue;
      }
      const plot = new uPlot(
        {
          width,
          height: 180,
          series: [{}, ...spec.series.map((s) => ({ label: s.label, stroke: s.color, width: 2 }))],
          axes: [{ stroke: '#5f6b7a' }, { stroke: '#5f6b7a', size: 50 }],
          scales: { x: { time: true } },
          legend: { show: true },
          cursor: { drag: { x: false, y: false } },
        },
        chartData(spec),
        box,
      );
      plots.set(spec.id, plot);
    }
  }

  function paint() {
    render(view(), el);
    drawCharts();
  }

  function apply(o: Overview) {
    data = o;
    error = null;
    const last = points[points.length - 1];
    if (!last || o.point.t_ms > last.t_ms) points.push(o.point);
    const cutoff = Date.now() - WINDOW_MS;
    while (points.length > 0 && points[0].t_ms < cutoff) points.shift();
  }

  async function poll() {
    try {
      apply(await api.overview());
    } catch (e) {
      error = errorText(e);
    }
    if (stopped) return;
    paint();
    timer = window.setTimeout(poll, POLL_MS);
  }

  // Server-Sent Events first; polling when they keep failing.
  async function follow() {
    source = overviewEvents(
      (o) => {
        failures = 0;
        live = 'sse';
        apply(o);
        if (!stopped) paint();
      },
      (closed) => {
        failures += 1;
        if ((!closed && failures < SSE_FAILURES) || stopped) return;
        source?.close();
        source = null;
        live = 'poll';
        void poll();
      },
    );
    if (!source) {
      live = 'poll';
      await poll();
    }
  }

  return {
    async mount(target) {
      el = target;
      paint();
      try {
        points = (await api.history(15)).points;
      } catch (e) {
        error = `history: ${errorText(e)}`;
      }
      if (stopped) return;
      resize = () => {
        for (const spec of CHARTS) {
          const box = el.querySelector<HTMLElement>(`#chart-${spec.id}`);
          const plot = plots.get(spec.id);
          if (box && plot) plot.setSize({ width: Math.max(200, box.clientWidth), height: 180 });
        }
      };
      window.addEventListener('resize', resize);
      await follow();
    },
    unmount() {
      stopped = true;
      source?.close();
      source = null;
      window.clearTimeout(timer);
      if (resize) window.removeEventListener('resize', resize);
      for (const p of plots.values()) p.destroy();
      plots.clear();
    },
  };
}
