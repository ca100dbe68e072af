// The real Codex CLI (npm @openai/codex), configured only by `aigw setup codex`, asked one
// question through aigw: its provider's auth command (`aigw token`) gets a token from the
// gateway's built-in issuer, http_headers names the provider, and the Responses API answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIGW_BINARY, TEST_CLIENT, agentEnv, answeredRequests, startAigw } from './harness.mjs';

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
      env: agentEnv(gw, home),
    });
    assert.equal(run.status, 0, `codex exited ${run.status}: ${run.stderr}`);
    assert.match(run.stdout.toString(), /aigw mock provider/);
    const answered = await answeredRequests(gw, '/v1/responses');
    assert.ok(answered.length >= 1, gw.logs.join('\n'));
    assert.equal(answered.at(-1).client_id, TEST_CLIENT.id);  // its own token, from the auth command
    assert.equal(answered.at(-1).provider, 'mock');           // the provider's http_headers
  } finally {
    await gw.stop();
  }
});
