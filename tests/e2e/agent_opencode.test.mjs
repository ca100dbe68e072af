// The real OpenCode (npm opencode-ai), configured only by `aigw setup opencode` and started
// the way it prints (`aigw token opencode …`: a fresh token in OPENAI_API_KEY), asked one
// question through aigw's chat completions with the provider header from opencode.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIGW_BINARY, TEST_CLIENT, agentEnv, answeredRequests, startAigw } from './harness.mjs';

const OPENCODE = new URL('./node_modules/.bin/opencode', import.meta.url).pathname;

test('OpenCode set up by aigw setup answers through the gateway', async () => {
  const gw = await startAigw('providers:\n  mock: {}\n');
  try {
    const home = mkdtempSync(join(tmpdir(), 'aigw-opencode-home-'));
    const printed = execFileSync(AIGW_BINARY, ['setup', 'opencode', '--url', gw.url,
      '--provider', 'mock', '--model', 'gpt-4.1', '--home', home]).toString();
    assert.match(printed, /token opencode -m gateway\/gpt-4\.1/);
    const project = join(home, 'project');  // no opencode.json of its own
    mkdirSync(project);

    const run = spawnSync(AIGW_BINARY, ['token', OPENCODE, 'run', '-m', 'gateway/gpt-4.1',
      'Say hello'], {
      cwd: project,
      timeout: 120000,
      env: agentEnv(gw, home),
    });
    assert.equal(run.status, 0, `opencode exited ${run.status}: ${run.stderr}`);
    assert.match(run.stdout.toString(), /aigw mock provider/);
    const answered = await answeredRequests(gw, '/v1/chat/completions');
    assert.ok(answered.length >= 1, gw.logs.join('\n'));
    assert.equal(answered.at(-1).client_id, TEST_CLIENT.id);  // the token aigw token gave it
    assert.equal(answered.at(-1).provider, 'mock');           // options.headers
  } finally {
    await gw.stop();
  }
});
