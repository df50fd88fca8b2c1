// The console in a real browser (Debian's Chromium driven by playwright-core)
// against a real syncd (scripts/console-test.sh starts it; make-dead.mjs has
// dead-lettered entry dead-1 of tenant acme in an earlier run on the same
// database). Checks what an operator would notice:
//   1. the overview's numbers move while entries flow (Server-Sent Events);
//   2. a dead entry retried from the console reaches the waiting WebSocket
//      client as a sync_ack;
//   3. a conflict resolved with "take incoming" reaches a second client as a
//      data_update, and the conflict then shows as resolved, with who; a tie
//      won by the incoming change offers "restore replaced" instead, whose
//      data_update brings the replaced state back;
//   4. tenants, an entity with its history, and an entry's timeline show;
//   5. no page scrolls sideways at 390 px, and no page logs an error.
// Screenshots of every page (1280×800 and 390×844) go to SCREENSHOT_DIR.
// Every wait is on a condition; nothing random.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { chromium } from 'playwright-core';

import { account, SyncClient } from './wsclient.mjs';

const HTTP = process.env.SYNCD_HTTP_URL;
const WS = process.env.SYNCD_WS_URL;
const SHOTS = process.env.SCREENSHOT_DIR;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
assert.ok(HTTP && WS, 'SYNCD_HTTP_URL and SYNCD_WS_URL must be set');

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const PAGES = [
  { name: 'overview', hash: '#/', ready: '[data-testid="q-pending"]' },
  { name: 'dead-letters', hash: '#/dead', ready: '[data-testid="dead-row"]' },
  { name: 'conflicts', hash: '#/conflicts', ready: '[data-testid="conflict"]' },
  { name: 'tenants', hash: '#/tenants', ready: '[data-testid="tenant-row"]' },
  { name: 'tenant', hash: '#/tenants/acme', ready: '[data-testid="entity-row"]' },
  { name: 'entity', hash: '#/tenants/acme/Account/acc-c', ready: '[data-testid="checksum"]' },
  { name: 'entry-lookup', hash: '#/entry/acme/dead-1', ready: '[data-testid="entry-state"]' },
];

const started = Date.now();
let passed = 0;
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
  } catch (e) {
    console.log(`FAIL ${name}`);
    const shot = path.join(process.env.TMPDIR || '/tmp', 'console-test-failure.png');
    await page.screenshot({ path: shot }).catch(() => {});
    console.log(`page ${page.url()} (screenshot ${shot}):\n${(await page.locator('main').innerText().catch(() => '?')).slice(0, 2000)}`);
    if (errors.length) console.log(`browser errors:\n${errors.join('\n')}`);
    throw e;
  }
  passed++;
  console.log(`ok   ${name} (${Date.now() - t0} ms)`);
}

const errors = [];
function watch(page, label) {
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`${label}: console.error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => errors.push(`${label}: pageerror: ${err.message}`));
}

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-quic',
    '--no-first-run',
    '--disable-component-update',
    '--disable-sync',
  ],
});
// A fresh profile per context (playwright's default): no state between runs.
const context = await browser.newContext({ viewport: DESKTOP });
const page = await context.newPage();
watch(page, 'desktop');
const clients = [];
const client = async (tenant) => {
  const c = new SyncClient(WS, tenant);
  await c.open();
  clients.push(c);
  return c;
};

try {
  await step('/ redirects to /console/ and the console loads', async () => {
    const response = await page.goto(`${HTTP}/`);
    assert.equal(new URL(page.url()).pathname, '/console/');
    assert.equal(response.status(), 200);
    await page.waitForSelector('[data-testid="q-pending"]');
  });

  await step('the overview numbers move while entries flow', async () => {
    const totalText = () => page.locator('[data-testid="received-rate"] .card-sub').innerText();
    const before = await totalText();
    const loader = await client('load-tenant');
    // The numbers are pushed over Server-Sent Events (GET /api/v1/events),
    // not polled: the page says so once the first event came.
    await page.waitForSelector('[data-testid="live"][data-live="sse"]', { timeout: 10000 });
    // 40 batches of 25 entries, 50 ms apart, while the server pushes every 2 s.
    let sent = 0;
    const load = (async () => {
      for (let b = 0; b < 40; b++) {
        const entries = [];
        for (let i = 0; i < 25; i++, sent++) {
          entries.push(account(`acc-${sent % 200}`, `Load ${sent}`, new Date(Date.UTC(2026, 0, 1, 0, 0, 0, sent)).toISOString(), `load-${sent}`));
        }
        loader.sendBatch(entries);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await page.waitForFunction(
      (b) => {
        const sub = document.querySelector('[data-testid="received-rate"] .card-sub');
        const rate = document.querySelector('[data-testid="acked-rate"] .card-value');
        return sub && rate && sub.textContent !== b && parseFloat(rate.textContent.replace(/,/g, '')) > 0;
      },
      before,
      { timeout: 20000 },
    );
    await load;
    await loader.waitFor((m) => m.id === `load-${sent - 1}`, 'the last load ack', 20000);
    // The charts are drawn by uPlot from the history plus the live points.
    assert.ok((await page.locator('.chart-box canvas').count()) >= 4, 'four charts');
    const after = await totalText();
    assert.notEqual(after, before);
    assert.equal(await page.locator('[data-testid="live"]').getAttribute('data-live'), 'sse', 'still on SSE');
    // No poll of GET /api/v1/overview happened (an endless EventSource
    // request never lists as a finished resource).
    const polled = await page.evaluate(() =>
      performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/v1/overview')).length,
    );
    assert.equal(polled, 0, 'the overview was polled');
  });

  await step('without the event stream the overview falls back to polling every 2 s', async () => {
    // Not watched for console errors: the refused stream logs one on purpose.
    const other = await context.newPage();
    try {
      await other.route('**/api/v1/events', (route) =>
        route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":{"code":"shutting_down","message":"test"}}' }),
      );
      const polls = [];
      other.on('request', (r) => {
        if (r.url().includes('/api/v1/overview')) polls.push(Date.now());
      });
      await other.goto(`${HTTP}/console/#/`);
      await other.waitForSelector('[data-testid="live"][data-live="poll"]', { timeout: 10000 });
      await other.waitForSelector('[data-testid="q-pending"]');
      const t0 = Date.now();
      while (polls.length < 2 && Date.now() - t0 < 6000) await new Promise((r) => setTimeout(r, 100));
      assert.ok(polls.length >= 2, `polled ${polls.length} time(s)`);
      const gap = polls[1] - polls[0];
      assert.ok(gap >= 1900, `polled ${gap} ms apart, faster than every 2 s`);
    } finally {
      await other.close();
    }
  });

  await step('a dead entry retried from the console reaches the waiting client as sync_ack', async () => {
    const waiting = await client('acme');
    // The client reconnects and resends dead-1: the stored NACK comes back as
    // a duplicate and the connection stays waiting for the operator.
    waiting.sendEntry(account('acc-dead', 'Stuck account', '2026-01-01T10:00:00.000Z', 'dead-1'));
    await waiting.waitFor((m) => m.type === 'sync_nack' && m.id === 'dead-1' && m.duplicate, 'the duplicate nack');
    await page.goto(`${HTTP}/console/#/dead`);
    const row = page.locator('[data-testid="dead-row"][data-entry="dead-1"]');
    await row.waitFor();
    await row.locator('details summary').click();
    await row.locator('[data-testid="retry"]').click();
    await page.locator('dialog [data-testid="confirm"]').click();
    await page.locator('.notice.ok', { hasText: 'retry: 1 done' }).waitFor();
    const ack = await waiting.waitFor((m) => m.type === 'sync_ack' && m.id === 'dead-1' && !m.duplicate, 'the sync_ack after retry');
    assert.equal(ack.outcome, 'applied');
    await row.waitFor({ state: 'detached' });
    await page.locator('[data-testid="dead-row"][data-entry="dead-2"]').waitFor();
  });

  await step('a conflict resolved with "take incoming" reaches a second client as data_update', async () => {
    const sender = await client('acme');
    const second = await client('acme');
    sender.sendEntry(account('acc-c', 'Stored name', '2026-03-02T00:00:00.000Z', 'c-newer'));
    await sender.waitFor((m) => m.id === 'c-newer' && m.type === 'sync_ack', 'the newer ack');
    sender.sendEntry(account('acc-c', 'Incoming name', '2026-03-01T00:00:00.000Z', 'c-older'));
    const superseded = await sender.waitFor((m) => m.id === 'c-older' && m.type === 'sync_ack', 'the superseded ack');
    assert.equal(superseded.outcome, 'superseded');

    await page.goto(`${HTTP}/console/#/conflicts`);
    const card = page.locator('[data-testid="conflict"]', { hasText: 'acc-c' }).first();
    await card.waitFor();
    // The differing field is marked in the side-by-side view.
    await card.locator('.sbs-row.differs', { hasText: 'name' }).first().waitFor();
    await card.locator('[data-testid="take-incoming"]').click();
    await page.locator('dialog [data-testid="confirm"]').click();
    await page.locator('.notice.ok', { hasText: 'resolved (take incoming) by operator' }).waitFor();
    const update = await second.waitFor(
      (m) => m.type === 'data_update' && m.data?.single_entity?.id === 'acc-c' && m.data.single_entity.name === 'Incoming name',
      'the data_update with the incoming state',
    );
    assert.match(update.source_entry_id, /^console-\d+-\d+$/);

    await page.selectOption('select[name="status"]', 'resolved');
    await page.getByRole('button', { name: 'Filter' }).click();
    const resolved = page.locator('[data-testid="conflict"][data-status="resolved"]', { hasText: 'acc-c' }).first();
    await resolved.locator('[data-testid="resolved-by"]', { hasText: 'operator' }).waitFor();

    // One conflict stays open, for the screenshots of the page.
    sender.sendEntry({ ...account('acc-d', 'Savings', '2026-03-05T00:00:00.000Z', 'd-newer'), operationType: 'create' });
    await sender.waitFor((m) => m.id === 'd-newer' && m.type === 'sync_ack', 'the acc-d ack');
    const older = account('acc-d', 'Savings (old phone)', '2026-03-04T00:00:00.000Z', 'd-older');
    older.payload.note = 'edited offline';
    sender.sendEntry(older);
    await sender.waitFor((m) => m.id === 'd-older' && m.outcome === 'superseded', 'the acc-d conflict');
  });

  await step('a tie won by the incoming change: "restore replaced" brings the replaced state back', async () => {
    const sender = await client('acme');
    sender.sendEntry(account('acc-t', 'Phone A name', '2026-03-06T00:00:00.000Z', 't-first'));
    await sender.waitFor((m) => m.id === 't-first' && m.type === 'sync_ack', 'the first ack');
    sender.sendEntry(account('acc-t', 'Phone B name', '2026-03-06T00:00:00.000Z', 't-tie'));
    const tie = await sender.waitFor((m) => m.id === 't-tie' && m.type === 'sync_ack', 'the tie ack');
    assert.equal(tie.outcome, 'applied');
    // Connected after both changes: its only data_update for acc-t is the restore.
    const second = await client('acme');

    await page.goto(`${HTTP}/console/#/conflicts`);
    // The page still filters on "resolved" from the step before.
    await page.selectOption('select[name="status"]', 'open');
    await page.getByRole('button', { name: 'Filter' }).click();
    const card = page.locator('[data-testid="conflict"][data-status="open"]', { hasText: 'acc-t' }).first();
    await card.waitFor();
    await card.locator('[data-testid="kind"]').waitFor();
    await card.locator('[data-testid="stored-head"]', { hasText: 'replaced' }).waitFor();
    // The incoming state is stored already: nothing to take.
    assert.equal(await card.locator('[data-testid="take-incoming"]').count(), 0);
    await card.locator('[data-testid="restore-replaced"]').click();
    await page.locator('dialog [data-testid="confirm"]').click();
    await page.locator('.notice.ok', { hasText: 'resolved (restore replaced) by operator' }).waitFor();
    const update = await second.waitFor(
      (m) => m.type === 'data_update' && m.data?.single_entity?.id === 'acc-t' && m.data.single_entity.name === 'Phone A name',
      'the data_update with the replaced state',
    );
    assert.match(update.source_entry_id, /^console-\d+-\d+$/);
  });

  await step('tenants, an entity with its history, and the entry timeline', async () => {
    await page.goto(`${HTTP}/console/#/tenants`);
    await page.locator('[data-testid="tenant-row"]', { hasText: 'acme' }).waitFor();
    await page.locator('[data-testid="tenant-row"] a', { hasText: 'acme' }).click();
    await page.fill('input[name="q"]', 'Incoming');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('[data-testid="entity-row"] a', { hasText: 'acc-c' }).click();
    await page.locator('[data-testid="entity-json"]', { hasText: 'Incoming name' }).waitFor();
    await page.locator('td', { hasText: 'conflict_take_incoming' }).waitFor();
    await page.goto(`${HTTP}/console/#/entry/acme/dead-1`);
    await page.locator('[data-testid="entry-state"]', { hasText: 'done' }).waitFor();
    await page.locator('.timeline', { hasText: 'operator_retry' }).waitFor();
    await page.locator('.timeline li', { hasText: 'attempt 1: database unavailable; retry later' }).waitFor();
  });

  await step('every page at 1280×800 and 390×844: no sideways scrolling, screenshots', async () => {
    if (SHOTS) mkdirSync(SHOTS, { recursive: true });
    const phoneContext = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    const phone = await phoneContext.newPage();
    watch(phone, 'phone');
    for (const [label, p, size] of [
      ['desktop', page, DESKTOP],
      ['phone', phone, PHONE],
    ]) {
      for (const spec of PAGES) {
        await p.goto(`${HTTP}/console/${spec.hash}`);
        await p.locator(spec.ready).first().waitFor();
        if (spec.name === 'overview') {
          await p.waitForFunction(() => document.querySelectorAll('.chart-box canvas').length >= 4);
        }
        const widths = await p.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
        assert.ok(widths.scroll <= widths.inner, `${label} ${spec.name}: scrollWidth ${widths.scroll} > innerWidth ${widths.inner}`);
        assert.equal(widths.inner, size.width);
        if (SHOTS) await p.screenshot({ path: path.join(SHOTS, `${spec.name}-${label}.png`), fullPage: label === 'phone' ? false : false });
      }
    }
    await phoneContext.close();
  });

  await step('console files: content types, caching, and no way out of the folder', async () => {
    const index = await fetch(`${HTTP}/console/`);
    assert.equal(index.headers.get('cache-control'), 'no-cache');
    assert.match(index.headers.get('content-type'), /^text\/html/);
    const html = await index.text();
    const js = html.match(/\/console\/assets\/[\w.-]+\.js/)[0];
    const asset = await fetch(`${HTTP}${js}`);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(asset.headers.get('content-type'), /^text\/javascript/);
    // Sent byte for byte (fetch would resolve dot segments first).
    const rawStatus = (target) =>
      new Promise((resolve, reject) => {
        http.get(`${HTTP}/`, { path: target }, (res) => (res.resume(), resolve(res.statusCode))).on('error', reject);
      });
    for (const bad of [
      '/console/..%2f..%2fREADME.md',
      '/console/%2e%2e',
      '/console/%2e%2e/%2e%2e/README.md',
      '/console/assets/..%2Findex.html',
      '/console/assets/%2e%2e%2fCMakeLists.txt',
      '/console/.vite',
      '/console/assets/%2Fetc%2Fpasswd',
      '/console/package.json',
    ]) {
      assert.equal(await rawStatus(bad), 404, bad);
    }
  });

  assert.deepEqual(errors, [], 'no console errors or page errors');
  console.log(`console suite: ${passed} steps passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  for (const c of clients) c.close();
  const t0 = Date.now();
  await browser.close();
  console.log(`browser closed in ${Date.now() - t0} ms`);
}
// Keep-alive sockets of fetch/http would hold the process open for a while.
process.exit(0);
