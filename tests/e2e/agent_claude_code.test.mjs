// The real Claude Code (npm @anthropic-ai/claude-code), configured only by `aigw setup
// claude-code`, asked one question through aigw: its apiKeyHelper (`aigw token`) gets a token
// from the gateway's built-in issuer, ANTHROPIC_CUSTOM_HEADERS names the provider, and the
// answer comes back from the mock provider as a Messages stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIGW_BINARY, TEST_CLIENT, agentEnv, answeredRequests, startAigw } from './harness.mjs';

const CLAUDE = new URL('./node_modules/.bin/claude', import.meta.url).pathname;

test('Claude Code set up by aigw setup answers through the gateway', async () => {
  const gw = await startAigw('providers:\n  mock: {}\n');
  try {
    const home = mkdtempSync(join(tmpdir(), 'aigw-claude-home-'));
    const printed = execFileSync(AIGW_BINARY, ['setup', 'claude-code', '--url', gw.url,
      '--provider', 'mock', '--home', home]).toString();
    assert.match(printed, /export CLAUDE_CODE_API_KEY_HELPER_TTL_MS=3000000/);
    const settings = JSON.parse(readFileSync(join(home, '.claude', 'settings.json'), 'utf8'));
    assert.equal(settings.env.ANTHROPIC_BASE_URL, gw.url);

    // Only what the printed shell lines set, plus what keeps Claude Code off the internet.
    const run = spawnSync(CLAUDE, ['-p', 'Say hello'], {
      cwd: home,
      timeout: 120000,
      env: agentEnv(gw, home, {
        CLAUDE_CODE_API_KEY_HELPER_TTL_MS: '3000000',
        DISABLE_TELEMETRY: '1',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      }),
    });
    assert.equal(run.status, 0, `claude exited ${run.status}: ${run.stderr}`);
    assert.match(run.stdout.toString(), /aigw mock provider/);
    const answered = await answeredRequests(gw, '/v1/messages');
    assert.ok(answered.length >= 1, gw.logs.join('\n'));
    assert.equal(answered.at(-1).client_id, TEST_CLIENT.id);  // its own token, from the helper
    assert.equal(answered.at(-1).provider, 'mock');           // the header from the settings
  } finally {
    await gw.stop();
  }
});
