// The aigw dashboard. Everything it shows comes from the admin API with the token its user
// signed in for; nothing is loaded from elsewhere. Values from the gateway (team, client and
// model names, error messages: partly chosen by callers) only ever become text nodes, never
// markup, and the page's CSP allows no inline script besides.
'use strict';

const REFRESH_MS = 5000;
const REPORT_DAYS = 30;
const TOKEN_KEY = 'aigw.dashboard.token';

const state = {
  settings: { auth: true, admin_scope: '', invoke_scope: '', token_endpoint: null },
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  // Kept in memory only (never stored): to fetch a new token when this one expires.
  credentials: null,
  timer: null,
  busy: false,
};

const $ = (id) => document.getElementById(id);

// Builds an element; strings and numbers among `children` become text nodes.
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const number = (n) => (n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US'));
const dollars = (n) => (n === null || n === undefined ? '—' : `$${Number(n).toFixed(6).replace(/\.?0+$/, '') || '0'}`);

function when(iso) {
  if (!iso) return '—';
  const at = new Date(iso);
  const minutes = Math.round((at - Date.now()) / 60000);
  const hours = Math.floor(Math.abs(minutes) / 60);
  const span = hours >= 48 ? `${Math.floor(hours / 24)} d` : hours >= 1 ? `${hours} h` : `${Math.abs(minutes)} min`;
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC (${minutes >= 0 ? 'in ' + span : span + ' ago'})`;
}

function dayString(date) {
  return date.toISOString().slice(0, 10);
}

// ---- talking to the gateway ------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// The message of an error answer in any of the gateway's formats.
function errorMessage(body, status) {
  if (body && typeof body === 'object') {
    if (body.error && typeof body.error === 'object' && body.error.message) return body.error.message;
    if (body.error_description) return body.error_description;
    if (typeof body.error === 'string') return body.error;
    if (body.message) return body.message;
  }
  return `the gateway answered ${status}`;
}

async function requestToken(clientId, secret) {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: secret,
    scope: state.settings.admin_scope,
  });
  const r = await fetch(state.settings.token_endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const body = await r.json().catch(() => null);
  if (r.status !== 200 || !body || !body.access_token) throw new ApiError(r.status, errorMessage(body, r.status));
  return body.access_token;
}

function setToken(token) {
  state.token = token;
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

async function api(path, options = {}, retried = false) {
  const headers = { ...(options.headers || {}) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  if (options.json !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, {
    method: options.method || 'GET',
    headers,
    body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
  });
  if (r.status === 401 && state.credentials && !retried) {
    // The token expired (they last an hour): a new one from the credentials signed in with.
    setToken(await requestToken(state.credentials.id, state.credentials.secret));
    return api(path, options, true);
  }
  const text = await r.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!r.ok) throw new ApiError(r.status, errorMessage(body, r.status));
  return body;
}

// ---- signing in -------------------------------------------------------------------------

function showSignIn(message = '') {
  stopRefresh();
  $('dashboard').hidden = true;
  $('signin').hidden = false;
  $('signout').hidden = true;
  $('refresh').hidden = true;
  $('auto-refresh-label').hidden = true;
  $('whoami').textContent = '';
  $('signin-error').textContent = message;
  $('credentials-form').hidden = !state.settings.token_endpoint;
  document.querySelector('.or').hidden = !state.settings.token_endpoint;
}

// The token's claims, for "signed in as" (not verified here: the gateway verifies every call).
function tokenClaims(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload));
  } catch {
    return {};
  }
}

async function showDashboard() {
  $('signin').hidden = true;
  $('dashboard').hidden = false;
  $('signout').hidden = !state.settings.auth;
  $('refresh').hidden = false;
  $('auto-refresh-label').hidden = false;
  const claims = state.token ? tokenClaims(state.token) : {};
  $('whoami').textContent = state.settings.auth ? `signed in as ${claims.client_id || claims.sub || 'token'}` : 'auth off';
  await refresh();
  startRefresh();
}

async function signInWithCredentials(event) {
  event.preventDefault();
  const id = $('client-id').value.trim();
  const secret = $('client-secret').value;
  try {
    setToken(await requestToken(id, secret));
    state.credentials = { id, secret };
    $('client-secret').value = '';
    await showDashboard();
  } catch (e) {
    $('signin-error').textContent = e.message;
  }
}

async function signInWithToken(event) {
  event.preventDefault();
  setToken($('token-input').value.trim());
  state.credentials = null;
  $('token-input').value = '';
  await showDashboard();
}

function signOut() {
  setToken('');
  state.credentials = null;
  showSignIn();
}

// ---- refreshing -------------------------------------------------------------------------

function startRefresh() {
  stopRefresh();
  state.timer = setInterval(() => {
    if ($('auto-refresh').checked) refresh();
  }, REFRESH_MS);
}

function stopRefresh() {
  if (state.timer) clearInterval(state.timer);
  state.timer = null;
}

function reportFrom() {
  const from = new Date(Date.now() - (REPORT_DAYS - 1) * 86400000);
  return dayString(from);
}

// Reloads every panel; a panel that fails says so in the banner, the others still update.
async function refresh() {
  if (state.busy) return;
  state.busy = true;
  const problems = [];
  const panel = async (name, load) => {
    try {
      await load();
    } catch (e) {
      if (e.status === 401) throw e;
      problems.push(`${name}: ${e.message}`);
    }
  };
  try {
    await panel('teams', loadTeams);
    await Promise.all([
      panel('usage', loadChart),
      panel('top clients', () => loadTop('client', 'top-clients')),
      panel('top models', () => loadTop('model', 'top-models')),
      panel('recent requests', loadRecent),
      panel('providers', loadProviders),
      panel('clients', loadClients),
    ]);
    $('error-banner').hidden = problems.length === 0;
    $('error-banner').textContent = problems.join(' · ');
    $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
  } catch (e) {
    setToken('');
    showSignIn(`Signed out: ${e.message}`);
  } finally {
    state.busy = false;
  }
}

// ---- teams ------------------------------------------------------------------------------

function meter(used, budget) {
  if (!budget) return null;
  const share = Math.min(1, used / budget);
  const bar = el('span');
  bar.style.width = `${Math.round(share * 100)}%`;
  return el('span', { class: `meter${share >= 1 ? ' full' : share >= 0.8 ? ' high' : ''}`, title: `${Math.round(share * 100)} %` }, bar);
}

function teamRow(team) {
  const budget = team.budget || {};
  const usage = team.usage || {};
  const limits = team.limits;
  return el('tr', { dataset: { team: team.name } },
    el('td', { class: 'name' }, team.name),
    el('td', { class: 'period' }, budget.period ? `${budget.period} (${usage.period || ''})` : '—'),
    el('td', { class: 'num used-tokens' }, number(usage.tokens), meter(usage.tokens, budget.tokens)),
    el('td', { class: 'num budget-tokens' }, budget.tokens ? number(budget.tokens) : '—'),
    el('td', { class: 'num remaining' }, number(usage.remaining_tokens)),
    el('td', { class: 'num used-usd' }, dollars(usage.usd)),
    el('td', { class: 'num budget-usd' }, budget.usd !== undefined ? dollars(budget.usd) : '—'),
    el('td', { class: 'resets' }, budget.period ? when(usage.resets_at) : '—'),
    el('td', { class: 'limits' }, limits ? `${number(limits.requests_per_minute)} / ${number(limits.tokens_per_minute)}` : '—'),
    el('td', {},
      el('button', { class: 'secondary edit-budget', type: 'button', onclick: () => openBudgetEditor(team) }, 'Budget…'),
      ' ',
      el('button', { class: 'secondary edit-limits', type: 'button', onclick: () => openLimitsEditor(team) }, 'Limits…')));
}

async function loadTeams() {
  const teams = (await api('/admin/teams')).data || [];
  const body = $('teams').tBodies[0];
  body.replaceChildren(...teams.map(teamRow));
  if (teams.length === 0) body.append(el('tr', {}, el('td', { class: 'empty', colspan: 10 }, 'no teams yet')));
  const select = $('chart-team');
  const chosen = select.value;
  select.replaceChildren(el('option', { value: '' }, 'all teams'), ...teams.map((t) => el('option', { value: t.name }, t.name)));
  select.value = teams.some((t) => t.name === chosen) ? chosen : '';
}

function openBudgetEditor(team) {
  const budget = team.budget || {};
  $('limits-editor').hidden = true;
  $('budget-editor').hidden = false;
  $('budget-editor').dataset.team = team.name;
  $('budget-team').textContent = team.name;
  $('budget-tokens').value = budget.tokens ?? '';
  $('budget-usd').value = budget.usd ?? '';
  $('budget-period').value = budget.period || 'monthly';
  $('budget-error').textContent = '';
  $('budget-tokens').focus();
}

function openLimitsEditor(team) {
  const limits = team.limits || {};
  $('budget-editor').hidden = true;
  $('limits-editor').hidden = false;
  $('limits-editor').dataset.team = team.name;
  $('limits-team').textContent = team.name;
  $('limits-rpm').value = limits.requests_per_minute ?? '';
  $('limits-tpm').value = limits.tokens_per_minute ?? '';
  $('limits-error').textContent = '';
  $('limits-rpm').focus();
}

function wholeNumber(input) {
  return input.value === '' ? undefined : Number.parseInt(input.value, 10);
}

async function saveBudget(event) {
  event.preventDefault();
  const team = $('budget-editor').dataset.team;
  const change = { period: $('budget-period').value };
  const tokens = wholeNumber($('budget-tokens'));
  if (tokens !== undefined) change.tokens = tokens;
  change.usd = $('budget-usd').value === '' ? null : Number($('budget-usd').value);
  try {
    await api(`/admin/teams/${encodeURIComponent(team)}/budget`, { method: 'POST', json: change });
    $('budget-editor').hidden = true;
    await refresh();
  } catch (e) {
    $('budget-error').textContent = e.message;
  }
}

async function saveLimits(event) {
  event.preventDefault();
  const team = $('limits-editor').dataset.team;
  const change = {};
  const rpm = wholeNumber($('limits-rpm'));
  const tpm = wholeNumber($('limits-tpm'));
  if (rpm !== undefined) change.requests_per_minute = rpm;
  if (tpm !== undefined) change.tokens_per_minute = tpm;
  try {
    await api(`/admin/teams/${encodeURIComponent(team)}/limits`, { method: 'POST', json: change });
    $('limits-editor').hidden = true;
    await refresh();
  } catch (e) {
    $('limits-error').textContent = e.message;
  }
}

async function createTeam(event) {
  event.preventDefault();
  const name = $('new-team-name').value.trim();
  const settings = { budget: { tokens: wholeNumber($('new-team-tokens')), period: $('new-team-period').value } };
  try {
    await api(`/admin/teams/${encodeURIComponent(name)}`, { method: 'PUT', json: settings });
    $('new-team-name').value = '';
    $('new-team-tokens').value = '';
    $('new-team-error').textContent = '';
    await refresh();
  } catch (e) {
    $('new-team-error').textContent = e.message;
  }
}

// ---- usage --------------------------------------------------------------------------------

const tokensOf = (row) => (row.input_tokens || 0) + (row.output_tokens || 0);

async function loadChart() {
  const team = $('chart-team').value;
  const query = new URLSearchParams({ group_by: 'day', from: reportFrom() });
  if (team) query.set('team', team);
  const report = await api(`/admin/usage?${query}`);
  const byDay = new Map((report.rows || []).map((r) => [r.day, tokensOf(r)]));
  const days = [];
  for (let i = REPORT_DAYS - 1; i >= 0; --i) days.push(dayString(new Date(Date.now() - i * 86400000)));
  drawChart(days.map((d) => ({ day: d, tokens: byDay.get(d) || 0 })));
}

function drawChart(points) {
  const width = 900;
  const height = 220;
  const left = 56;
  const bottom = 24;
  const top = 10;
  const max = Math.max(1, ...points.map((p) => p.tokens));
  const step = (width - left) / points.length;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'tokens per day' });
  chart.append(svg('line', { class: 'axis', x1: left, y1: height - bottom, x2: width, y2: height - bottom }));
  for (const share of [0.5, 1]) {
    const y = top + (height - bottom - top) * (1 - share);
    chart.append(svg('line', { class: 'axis', x1: left, y1: y, x2: width, y2: y }));
    chart.append(svg('text', { x: left - 6, y: y + 3, 'text-anchor': 'end' }, number(Math.round(max * share))));
  }
  points.forEach((p, i) => {
    const h = ((height - bottom - top) * p.tokens) / max;
    const bar = svg('rect', { class: 'bar', x: left + i * step + 2, y: height - bottom - h, width: Math.max(1, step - 4), height: h });
    bar.dataset.day = p.day;
    bar.dataset.tokens = p.tokens;
    bar.append(svg('title', {}, `${p.day}: ${number(p.tokens)} tokens`));
    chart.append(bar);
    if (i % 5 === 0 || i === points.length - 1) {
      chart.append(svg('text', { x: left + i * step + step / 2, y: height - 8, 'text-anchor': 'middle' }, p.day.slice(5)));
    }
  });
  $('usage-chart').replaceChildren(chart);
}

async function loadTop(field, listId) {
  const report = await api(`/admin/usage?${new URLSearchParams({ group_by: field, from: reportFrom() })}`);
  const rows = (report.rows || []).map((r) => ({ name: r[field] || '(none)', tokens: tokensOf(r), requests: r.requests }))
    .sort((a, b) => b.tokens - a.tokens)
    .slice(0, 8);
  const max = Math.max(1, ...rows.map((r) => r.tokens));
  const list = $(listId);
  list.replaceChildren(...rows.map((r) => {
    const bar = el('span', { class: 'bar' });
    bar.style.width = `${Math.max(1, Math.round((r.tokens / max) * 100))}%`;
    return el('li', { dataset: { name: r.name } },
      el('span', { class: 'name', title: r.name }, r.name),
      el('span', {}, bar),
      el('span', { class: 'value' }, `${number(r.tokens)} tokens · ${number(r.requests)} req`));
  }));
  if (rows.length === 0) list.append(el('li', { class: 'empty' }, 'no usage yet'));
}

// ---- activity -----------------------------------------------------------------------------

function statusClass(status) {
  return status < 400 ? 'status-ok' : status < 500 ? 'status-client' : 'status-server';
}

async function loadRecent() {
  const records = (await api('/admin/requests?limit=50')).data || [];
  const body = $('recent').tBodies[0];
  body.replaceChildren(...records.map((r) => el('tr', { dataset: { requestId: r.request_id || '' } },
    el('td', {}, (r.time || '').slice(11, 19)),
    el('td', { class: statusClass(r.status) }, r.status),
    el('td', {}, `${r.method} ${r.path}`),
    el('td', { class: 'team' }, r.team || ''),
    el('td', {}, r.client_id || ''),
    el('td', {}, r.provider || ''),
    el('td', { class: 'model wrap' }, r.model || ''),
    el('td', { class: 'num' }, r.input_tokens === undefined ? '—' : `${number(r.input_tokens)} / ${number(r.output_tokens)}`),
    el('td', { class: 'num' }, `${Math.round(r.latency_ms)} ms`),
    el('td', { class: 'failure wrap' }, r.error || ''))));
  if (records.length === 0) body.append(el('tr', {}, el('td', { class: 'empty', colspan: 10 }, 'no requests yet')));
}

async function loadProviders() {
  const providers = (await api('/admin/providers')).data || [];
  $('providers').tBodies[0].replaceChildren(...providers.map((p) => el('tr', { dataset: { provider: p.name } },
    el('td', {}, p.name),
    el('td', {}, p.dialect),
    el('td', { class: `breaker breaker-${p.breaker.state}` }, p.breaker.state.replace('_', '-')),
    el('td', { class: 'num' }, `${number(p.breaker.window_failures)} of ${number(p.breaker.window_requests)}`),
    el('td', { class: 'wrap' }, (p.models || []).join(', ') || 'any'))));
}

// ---- clients ------------------------------------------------------------------------------

async function loadClients() {
  let clients;
  try {
    clients = (await api('/admin/clients')).data || [];
  } catch (e) {
    if (e.status === 404) {
      $('clients-card').hidden = true;  // an external IdP holds the clients
      return;
    }
    throw e;
  }
  $('clients').tBodies[0].replaceChildren(...clients.map((c) => el('tr', { dataset: { client: c.client_id } },
    el('td', {}, c.client_id),
    el('td', {}, c.team || ''),
    el('td', { class: 'wrap' }, (c.scopes || []).join(' ')),
    el('td', {}, c.source),
    el('td', {}, clientActions(c)))));
}

function clientActions(client) {
  if (client.source !== 'admin') return el('span', { class: 'muted' }, 'from the config file');
  const cell = document.createDocumentFragment();
  cell.append(
    el('button', { class: 'secondary', type: 'button', onclick: () => rotateSecret(client.client_id) }, 'Rotate secret'),
    ' ',
    el('button', { class: 'danger', type: 'button', onclick: () => removeClient(client.client_id) }, 'Remove'));
  return cell;
}

function showSecret(answer) {
  const shown = $('client-secret-shown');
  shown.hidden = false;
  shown.textContent = `Secret of ${answer.client_id} (shown once; the gateway keeps only its hash): ${answer.client_secret}`;
}

async function clientAction(action) {
  $('clients-error').textContent = '';
  try {
    await action();
    await refresh();
  } catch (e) {
    $('clients-error').textContent = e.message;
  }
}

function addClient(event) {
  event.preventDefault();
  const scopes = [state.settings.invoke_scope];
  if ($('new-client-admin').checked) scopes.push(state.settings.admin_scope);
  const request = { client_id: $('new-client-id').value.trim(), team: $('new-client-team').value.trim(), scopes };
  clientAction(async () => {
    showSecret(await api('/admin/clients', { method: 'POST', json: request }));
    $('new-client-id').value = '';
  });
}

function rotateSecret(id) {
  if (!confirm(`Rotate the secret of ${id}? Its current secret stops working.`)) return;
  clientAction(async () => showSecret(await api(`/admin/clients/${encodeURIComponent(id)}/rotate-secret`, { method: 'POST' })));
}

function removeClient(id) {
  if (!confirm(`Remove client ${id}? Its tokens stop working when they expire.`)) return;
  clientAction(() => api(`/admin/clients/${encodeURIComponent(id)}`, { method: 'DELETE' }));
}

function rotateKey() {
  if (!confirm('Make a new signing key? Tokens signed with the previous key stay valid until they expire.')) return;
  clientAction(async () => {
    const answer = await api('/admin/keys/rotate', { method: 'POST' });
    $('client-secret-shown').hidden = false;
    $('client-secret-shown').textContent = `New signing key: ${answer.kid}`;
  });
}

// ---- start --------------------------------------------------------------------------------

async function start() {
  $('credentials-form').addEventListener('submit', signInWithCredentials);
  $('token-form').addEventListener('submit', signInWithToken);
  $('signout').addEventListener('click', signOut);
  $('refresh').addEventListener('click', () => refresh());
  $('budget-editor').addEventListener('submit', saveBudget);
  $('budget-cancel').addEventListener('click', () => { $('budget-editor').hidden = true; });
  $('limits-editor').addEventListener('submit', saveLimits);
  $('limits-cancel').addEventListener('click', () => { $('limits-editor').hidden = true; });
  $('new-team').addEventListener('submit', createTeam);
  $('chart-team').addEventListener('change', () => loadChart().catch((e) => { $('error-banner').hidden = false; $('error-banner').textContent = e.message; }));
  $('new-client').addEventListener('submit', addClient);
  $('rotate-key').addEventListener('click', rotateKey);
  try {
    state.settings = await (await fetch('/ui/settings.json')).json();
  } catch {
    // keep the defaults: auth on, no built-in issuer known
  }
  $('admin-scope').textContent = state.settings.admin_scope;
  if (!state.settings.auth || state.token) await showDashboard();
  else showSignIn();
}

start();
