// The dashboard (/ui/) in a real headless Chromium (Debian's, driven by playwright-core): an
// admin signs in with the built-in issuer's client credentials, watches a team's use change
// after requests through the gateway, and changes its budget. Screenshots are kept as test
// artifacts (AIGW_TEST_ARTIFACTS, else a temporary directory; the path is printed).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { TEST_CLIENT, fetchToken, startAigw } from './harness.mjs';

const CHROMIUM = process.env.AIGW_CHROMIUM ?? '/usr/bin/chromium';
const ADMIN = { id: 'ui-admin', secret: 'ui-admin-secret-0123456789' };
const NEW_BUDGET = 10;  // tokens: below what the test's requests use
const INVOKE = 'https://gateway.internal/invoke';
const ADMIN_SCOPE = 'https://gateway.internal/admin';
// A model name a caller chose: refused (400), and the refusal, which quotes it, is shown in
// the recent requests. It must stay text.
const HOSTILE_MODEL = '<img src=x onerror="window.__pwned=1">';

const artifacts = process.env.AIGW_TEST_ARTIFACTS
  ? join(process.env.AIGW_TEST_ARTIFACTS, 'dashboard')
  : mkdtempSync(join(tmpdir(), 'aigw-dashboard-'));

let gw;
let browser;
let page;
const pageProblems = [];

before(async () => {
  gw = await startAigw(`auth:
  clients:
    - { client_id: ${TEST_CLIENT.id}, team: ${TEST_CLIENT.team}, client_secret: "${TEST_CLIENT.secret}" }
    - { client_id: ${ADMIN.id}, team: ops, client_secret: "${ADMIN.secret}", scopes: [ "${INVOKE}", "${ADMIN_SCOPE}" ] }
providers:
  mock: {}
teams:
  ${TEST_CLIENT.team}:
    budget: { tokens: 100000, period: monthly }
    limits: { requests_per_minute: 600, tokens_per_minute: 500000 }
`);
  mkdirSync(artifacts, { recursive: true });
  console.log(`dashboard screenshots: ${artifacts}`);
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (scripts/install-deps.sh --test installs it)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  // A CSP violation or a script error is a failure of the page (an error answer the page
  // expects, such as the 401 of a wrong secret, is logged by Chromium too: not a problem).
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageProblems.push(m.text());
  });
  page.on('pageerror', (e) => pageProblems.push(e.message));
});

after(async () => {
  await browser?.close();
  assert.equal(await gw.stop(), 0);
});

async function chat(token, model = 'mock-gpt', status = 200) {
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'x-portkey-provider': 'mock' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello from the dashboard test' }] }),
  });
  const body = await r.json();
  assert.equal(r.status, status, JSON.stringify(body));
  return body;
}

async function adminGet(path) {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: ADMIN.id, client_secret: ADMIN.secret, scope: ADMIN_SCOPE });
  const t = await fetch(`${gw.url}/oauth2/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
  const token = (await t.json()).access_token;
  const r = await fetch(`${gw.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  return r.json();
}

const teamRow = (name) => page.locator(`#teams tbody tr[data-team="${name}"]`);
const cellNumber = async (row, cls) => Number((await row.locator(`.${cls}`).innerText()).split(/\s/)[0].replace(/,/g, ''));

test('the page is served from the binary with a strict CSP, and asks for a sign-in', async () => {
  const r = await fetch(`${gw.url}/ui`, { redirect: 'manual' });
  assert.equal(r.status, 308);
  assert.equal(r.headers.get('location'), '/ui/');
  const index = await fetch(`${gw.url}/ui/`);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type'), /^text\/html/);
  assert.match(index.headers.get('content-security-policy'), /script-src 'self'/);
  assert.equal(index.headers.get('x-frame-options'), 'DENY');
  assert.equal((await fetch(`${gw.url}/ui/nothing.js`)).status, 404);
  // The admin data behind the page is not public.
  assert.equal((await fetch(`${gw.url}/admin/requests`)).status, 401);

  await page.goto(`${gw.url}/ui/`);
  await page.locator('#signin').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#admin-scope').innerText(), ADMIN_SCOPE);
});

test('a wrong secret is refused with the issuer\'s message', async () => {
  await page.fill('#client-id', ADMIN.id);
  await page.fill('#client-secret', 'not-the-secret');
  await page.click('#signin-button');
  await page.locator('#signin-error').filter({ hasText: /client/ }).waitFor();
  assert.ok(await page.locator('#signin').isVisible());
});

test('an admin signs in with client credentials and sees the teams', async () => {
  await page.fill('#client-id', ADMIN.id);
  await page.fill('#client-secret', ADMIN.secret);
  await page.click('#signin-button');
  await page.locator('#dashboard').waitFor({ state: 'visible' });
  assert.match(await page.locator('#whoami').innerText(), new RegExp(ADMIN.id));
  const row = teamRow(TEST_CLIENT.team);
  await row.waitFor();
  assert.equal(await cellNumber(row, 'budget-tokens'), 100000);
  assert.equal(await cellNumber(row, 'used-tokens'), 0);
  assert.match(await row.locator('.limits').innerText(), /600 \/ 500,000/);
  await page.locator('#providers tbody tr[data-provider="mock"]').waitFor();
  assert.equal(await page.locator('#providers tr[data-provider="mock"] .breaker').innerText(), 'closed');
  await page.screenshot({ path: join(artifacts, '1-signed-in.png'), fullPage: true });
});

test('the team\'s use changes after requests through the gateway', async () => {
  const token = await fetchToken(gw.url);
  let sent = 0;
  for (let i = 0; i < 3; ++i) {
    const { usage } = await chat(token);
    sent += usage.prompt_tokens + usage.completion_tokens;
  }
  await chat(token, HOSTILE_MODEL, 400);
  const team = await adminGet(`/admin/teams/${TEST_CLIENT.team}`);
  assert.ok(team.usage.tokens >= sent);
  assert.ok(team.usage.tokens > NEW_BUDGET, 'the next test lowers the budget below the use');

  await page.click('#refresh');
  const row = teamRow(TEST_CLIENT.team);
  await page.waitForFunction(
    ([name, tokens]) => document.querySelector(`#teams tr[data-team="${name}"] .used-tokens`)?.innerText.startsWith(tokens),
    [TEST_CLIENT.team, team.usage.tokens.toLocaleString('en-US')]);
  assert.equal(await cellNumber(row, 'remaining'), 100000 - team.usage.tokens);

  // Recent requests: the four calls, newest first, the refusal quoting the model as text.
  const recent = page.locator('#recent tbody tr');
  await page.waitForFunction(() => document.querySelectorAll('#recent tbody tr[data-request-id]').length >= 4);
  assert.equal(await recent.first().locator('.status-client').innerText(), '400');
  assert.ok((await recent.first().locator('.failure').innerText()).includes('<img src=x'));
  assert.equal(await recent.nth(1).locator('.model').innerText(), 'mock-gpt');
  assert.equal(await recent.nth(1).locator('.team').innerText(), TEST_CLIENT.team);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator('#recent img').count(), 0);

  // Usage over time, top clients and models come from the ledger.
  const today = new Date().toISOString().slice(0, 10);
  await page.waitForFunction((day) => Number(document.querySelector(`#usage-chart rect[data-day="${day}"]`)?.dataset.tokens) > 0, today);
  await page.locator(`#top-clients li[data-name="${TEST_CLIENT.id}"]`).waitFor();
  await page.locator('#top-models li[data-name="mock-gpt"]').waitFor();
  await page.screenshot({ path: join(artifacts, '2-after-requests.png'), fullPage: true });
});

test('an admin changes a team\'s budget in the page, and the gateway enforces it', async () => {
  const row = teamRow(TEST_CLIENT.team);
  await row.locator('.edit-budget').click();
  await page.locator('#budget-editor').waitFor({ state: 'visible' });
  assert.equal(await page.inputValue('#budget-tokens'), '100000');
  await page.fill('#budget-tokens', String(NEW_BUDGET));
  assert.equal(await page.inputValue('#budget-period'), 'monthly');
  await page.selectOption('#budget-period', 'daily');
  await page.screenshot({ path: join(artifacts, '3-editing-budget.png'), fullPage: true });
  await page.click('#budget-save');
  await page.locator('#budget-editor').waitFor({ state: 'hidden' });
  await page.waitForFunction(([name, tokens]) => document.querySelector(`#teams tr[data-team="${name}"] .budget-tokens`)?.innerText === tokens,
    [TEST_CLIENT.team, String(NEW_BUDGET)]);
  assert.match(await row.locator('.period').innerText(), /^daily/);

  const team = await adminGet(`/admin/teams/${TEST_CLIENT.team}`);
  assert.equal(team.budget.tokens, NEW_BUDGET);
  assert.equal(team.budget.period, 'daily');
  // Today's use carried into the new daily period (from the ledger), not zero.
  assert.ok(team.usage.tokens > NEW_BUDGET, JSON.stringify(team.usage));
  // The limits were kept, and the team is now over its budget: the gateway refuses.
  assert.equal(team.limits.requests_per_minute, 600);
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${await fetchToken(gw.url)}`, 'Content-Type': 'application/json', 'x-portkey-provider': 'mock' },
    body: JSON.stringify({ model: 'mock-gpt', messages: [{ role: 'user', content: 'over budget?' }] }),
  });
  assert.equal(r.status, 429);
  assert.equal((await r.json()).error.code, 'budget_exceeded');
  await page.click('#refresh');
  await page.locator(`#teams tr[data-team="${TEST_CLIENT.team}"] .meter.full`).waitFor();
  await page.screenshot({ path: join(artifacts, '4-budget-changed.png'), fullPage: true });
});

test('an invalid budget is refused with the gateway\'s message, nothing changes', async () => {
  await teamRow(TEST_CLIENT.team).locator('.edit-budget').click();
  await page.fill('#budget-tokens', '-5');
  // The browser's own check would stop a negative number: send what a hand-made request would.
  await page.evaluate(() => { document.getElementById('budget-tokens').removeAttribute('min'); });
  await page.click('#budget-save');
  await page.locator('#budget-error').filter({ hasText: /budget\.tokens/ }).waitFor();
  await page.click('#budget-cancel');
  assert.equal((await adminGet(`/admin/teams/${TEST_CLIENT.team}`)).budget.tokens, NEW_BUDGET);
});

test('an admin adds a client and sees its secret once; signing out forgets the token', async () => {
  await page.fill('#new-client-id', 'new-agent');
  await page.fill('#new-client-team', TEST_CLIENT.team);
  await page.click('#new-client-create');
  await page.locator('#client-secret-shown').filter({ hasText: 'new-agent' }).waitFor();
  await page.locator('#clients tbody tr[data-client="new-agent"]').waitFor();
  const clients = await adminGet('/admin/clients');
  assert.ok(clients.data.some((c) => c.client_id === 'new-agent' && c.team === TEST_CLIENT.team));
  await page.screenshot({ path: join(artifacts, '5-clients.png'), fullPage: true });

  await page.click('#signout');
  await page.locator('#signin').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.deepEqual(pageProblems, []);
});
