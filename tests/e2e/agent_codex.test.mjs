// The real Codex CLI (npm @openai/codex), configured only by `aigw setup codex`, asked one
// question through aigw: its provider's auth command (`aigw token`) gets a token from the
// gateway's built-in issuer, http_headers names the provider, and the Responses API answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIGW_BINARY, TEST_CLIENT, startAigw } from './harness.mjs';

const CODEX = new URL('./node_modules/.bin/codex', import.meta.url).pathname;

test('Codex set up by aigw setup answers through the gateway', async () => {
  const gw = await startAigw('providers:\n  mock: {}\n');
  try {
    const home = mkdtempSync(join(tmpdir(), 'aigw-codex-home-'));
    const printed = execFileSync(AIGW_BINARY, ['setup', 'codex', '--url', gw.url,
      '--provider', 'mock', '--model', 'gpt-4.1', '--home', home]).toString();
    assert.match(printed, /codex --profile gateway/);

    const run = spawnSync(CODEX, ['exec', '--skip-git-repo-check', '--profile', 'gateway',
      'Say hello'], {
      cwd: home,
      timeout: 120000,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? '',
        LSAN_OPTIONS: process.env.LSAN_OPTIONS ?? '',
        GATEWAY_TOKEN_ENDPOINT: `${gw.url}/oauth2/token`,
        GATEWAY_CLIENT_ID: TEST_CLIENT.id,
        GATEWAY_CLIENT_SECRET: TEST_CLIENT.secret,
        GATEWAY_TOKEN_CACHE: join(home, 'token-cache'),
      },
    });
    assert.equal(run.status, 0, `codex exited ${run.status}: ${run.stderr}`);
    assert.match(run.stdout.toString(), /aigw mock provider/);
    const answeredLines = () => gw.logs.map((l) => { try { return JSON.parse(l); } catch { return {}; } })
      .filter((l) => l.type === 'access' && l.path === '/v1/responses' && l.status === 200);
    for (let i = 0; i < 100 && answeredLines().length === 0; ++i) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const answered = answeredLines();
    assert.ok(answered.length >= 1, gw.logs.join('\n'));
    assert.equal(answered.at(-1).client_id, TEST_CLIENT.id);  // its own token, from the auth command
    assert.equal(answered.at(-1).provider, 'mock');           // the provider's http_headers
  } finally {
    await gw.stop();
  }
});
