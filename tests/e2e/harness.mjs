// Starts a real aigw process for the SDK tests and stops it afterwards.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const AIGW_BINARY = process.env.AIGW_BINARY ?? new URL('../../build/asan/aigw', import.meta.url).pathname;

// A client of the built-in issuer that the SDK tests authenticate as, with a real token.
export const TEST_CLIENT = { id: 'e2e-agent', secret: 'e2e-secret-0123456789', team: 'e2e' };
const AUTH_YAML = `auth:
  clients:
    - { client_id: ${TEST_CLIENT.id}, team: ${TEST_CLIENT.team}, client_secret: "${TEST_CLIENT.secret}" }
`;

// Gets a token from the gateway's own OAuth2 endpoint, as get-gateway-token.sh does.
export async function fetchToken(url) {
  const basic = Buffer.from(`${TEST_CLIENT.id}:${TEST_CLIENT.secret}`).toString('base64');
  const r = await fetch(`${url}/oauth2/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  if (r.status !== 200) throw new Error(`token endpoint answered ${r.status}: ${await r.text()}`);
  return (await r.json()).access_token;
}

// Starts aigw with the given YAML (plus the test client) on a free port; resolves once it
// is listening.
export async function startAigw(yaml = '') {
  const dir = mkdtempSync(join(tmpdir(), 'aigw-e2e-'));
  const configPath = join(dir, 'aigw.yaml');
  writeFileSync(configPath, `listen: 127.0.0.1:0\n${yaml.includes('auth:') ? '' : AUTH_YAML}${yaml}`);
  const child = spawn(AIGW_BINARY, ['serve', '--config', configPath, '--port', '0'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = [];
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`aigw did not start: ${stderr}`)), 20000);
    child.on('exit', (code) => reject(new Error(`aigw exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      logs.push(line);
      try {
        const msg = JSON.parse(line);
        if (msg.type === 'start') { clearTimeout(timer); resolve(msg.port); }
      } catch { /* not JSON */ }
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    logs,
    dir,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return await new Promise((resolve) => child.on('exit', resolve));
    },
  };
}

// The environment an agent runs in for the agent tests: only what `aigw setup` asks the
// shell profile for (the gateway's token endpoint and TEST_CLIENT's credentials, a token cache
// in `home`), the sanitizer settings for the `aigw token` it runs, and `extra`.
export function agentEnv(gw, home, extra = {}) {
  return {
    PATH: process.env.PATH,
    HOME: home,
    ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? '',
    LSAN_OPTIONS: process.env.LSAN_OPTIONS ?? '',
    GATEWAY_TOKEN_ENDPOINT: `${gw.url}/oauth2/token`,
    GATEWAY_CLIENT_ID: TEST_CLIENT.id,
    GATEWAY_CLIENT_SECRET: TEST_CLIENT.secret,
    GATEWAY_TOKEN_CACHE: `${home}/token-cache`,
    ...extra,
  };
}

// The access lines of answered (200) requests to `path`, waiting up to 5 s for the first
// (the access log is written by a background thread).
export async function answeredRequests(gw, path) {
  const lines = () => gw.logs.map((l) => { try { return JSON.parse(l); } catch { return {}; } })
    .filter((l) => l.type === 'access' && l.path === path && l.status === 200);
  for (let i = 0; i < 100 && lines().length === 0; ++i) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return lines();
}
