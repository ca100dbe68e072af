// The real Continue CLI (npm @continuedev/cli, `cn`), configured only by `aigw setup continue`
// and started the way it prints (`aigw token cn`: a fresh token in OPENAI_API_KEY, which the
// model's `apiKey: ${{ secrets.OPENAI_API_KEY }}` reads from the environment), asked one
// question in headless mode through aigw's chat completions with the provider header from
// `requestOptions.headers`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AIGW_BINARY, TEST_CLIENT, agentEnv, answeredRequests, startAigw } from './harness.mjs';

const CN = new URL('./node_modules/.bin/cn', import.meta.url).pathname;

test('Continue set up by aigw setup answers through the gateway', async () => {
  const gw = await startAigw('providers:\n  mock: {}\n');
  try {
    const home = mkdtempSync(join(tmpdir(), 'aigw-continue-home-'));
    const printed = execFileSync(AIGW_BINARY, ['setup', 'continue', '--url', gw.url,
      '--provider', 'mock', '--model', 'gpt-4.1', '--home', home]).toString();
    assert.match(printed, /token cn$/m);
    assert.match(readFileSync(join(home, '.continue', 'config.yaml'), 'utf8'),
      /apiBase: http:\/\/127\.0\.0\.1:\d+\/v1\//);
    const project = join(home, 'project');  // no .continue/ or .env of its own
    mkdirSync(project);

    // `cn -p` reads ~/.continue/config.yaml (no login, no hub). Its OpenTelemetry metrics are
    // off without an OTLP endpoint and switched off here too; its version check against
    // api.continue.dev cannot be switched off, runs on the side and may fail.
    const run = spawnSync(AIGW_BINARY, ['token', CN, '-p', 'Say hello'], {
      cwd: project,
      timeout: 120000,
      env: agentEnv(gw, home, { CONTINUE_CLI_ENABLE_TELEMETRY: '0' }),
    });
    assert.equal(run.status, 0, `cn exited ${run.status}: ${run.stdout}${run.stderr}`);
    assert.match(run.stdout.toString(), /aigw mock provider/);
    const answered = await answeredRequests(gw, '/v1/chat/completions');
    assert.ok(answered.length >= 1, gw.logs.join('\n'));
    assert.equal(answered.at(-1).client_id, TEST_CLIENT.id);  // the token aigw token gave it
    assert.equal(answered.at(-1).provider, 'mock');           // requestOptions.headers
  } finally {
    await gw.stop();
  }
});
