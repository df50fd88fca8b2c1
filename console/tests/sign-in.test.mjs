// The console against a token-mode syncd (accounts.md): the console routes
// are operator-only there, so the console first shows its sign-in form; a
// wrong password is refused, the operator's password opens the overview,
// which then follows the Server-Sent Events stream with the token, and
// "Sign out" brings the form back. The access token lives in memory only;
// the refresh token in sessionStorage brings the session back after a
// reload. A non-operator account is refused with a clear message. scripts/console-test.sh starts syncd
// with --auth token and an operator made by `syncd user add` (OPERATOR_EMAIL,
// OPERATOR_PASSWORD). Every wait is on a condition.
import assert from 'node:assert/strict';

import { chromium } from 'playwright-core';

const HTTP = process.env.SYNCD_HTTP_URL;
const EMAIL = process.env.OPERATOR_EMAIL;
const PASSWORD = process.env.OPERATOR_PASSWORD;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
assert.ok(HTTP && EMAIL && PASSWORD, 'SYNCD_HTTP_URL, OPERATOR_EMAIL and OPERATOR_PASSWORD must be set');

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
const errors = [];
let passed = 0;
try {
  const page = await (await browser.newContext()).newPage();
  page.on('pageerror', (err) => errors.push(err.message));

  await page.goto(`${HTTP}/console/`);
  await page.waitForSelector('[data-page="sign-in"]', { timeout: 10000 });
  console.log('ok   the console asks an operator to sign in');
  passed++;

  // A user who is no operator (registered through the API) cannot use it.
  const reg = await fetch(`${HTTP}/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'Plain User', email: 'plain@example.org', password: 'plain-password-1' }),
  });
  assert.equal(reg.status, 201, 'registered a plain user');
  await page.fill('input[name="email"]', 'plain@example.org');
  await page.fill('input[name="password"]', 'plain-password-1');
  await page.click('button[type="submit"]');
  await page.waitForSelector('[data-page="sign-in"] [role="alert"]', { timeout: 10000 });
  assert.match(await page.locator('[role="alert"]').innerText(), /not an operator account/i);
  assert.equal(await page.locator('[data-testid="q-pending"]').count(), 0, 'no overview for a user');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'nothing kept for a user');
  console.log('ok   a non-operator account is refused with a clear message');
  passed++;

  await page.fill('input[name="email"]', EMAIL);
  await page.fill('input[name="password"]', 'not-the-password');
  await page.click('button[type="submit"]');
  // The alert of the refused user is still up: wait for its new text.
  await page
    .locator('[data-page="sign-in"] [role="alert"]', { hasText: 'Wrong email or password' })
    .waitFor({ timeout: 10000 });
  console.log('ok   a wrong password is refused');
  passed++;

  await page.fill('input[name="password"]', PASSWORD);
  await page.click('button[type="submit"]');
  await page.waitForSelector('[data-testid="q-pending"]', { timeout: 10000 });
  await page.waitForSelector('[data-testid="live"][data-live="sse"]', { timeout: 10000 });
  const stored = await page.evaluate(() => Object.assign({}, sessionStorage));
  assert.deepEqual(Object.keys(stored), ['syncd-console-refresh'], 'only the refresh token is stored');
  assert.ok(!String(stored['syncd-console-refresh']).includes('.'), 'no JWT (access token) stored');
  console.log('ok   signed in: the overview follows the event stream; only the refresh token is stored');
  passed++;

  const before = stored['syncd-console-refresh'];
  await page.goto(`${HTTP}/console/#/tenants`);
  await page.reload();
  await page.waitForSelector('[data-page="tenants"]', { timeout: 10000 });
  assert.equal(await page.locator('[data-page="sign-in"]').count(), 0, 'a reload keeps the session');
  const after = await page.evaluate(() => sessionStorage.getItem('syncd-console-refresh'));
  assert.ok(after && after !== before, 'the reload used (and rotated) the refresh token');
  console.log('ok   a reload gets a new access token with the refresh token');
  passed++;

  await page.click('[data-testid="sign-out"]');
  await page.waitForSelector('[data-page="sign-in"]', { timeout: 10000 });
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  console.log('ok   sign out forgets the token');
  passed++;
  assert.deepEqual(errors, [], 'no page errors');
} finally {
  await browser.close();
}
console.log(`sign-in: ${passed} passed`);
