// Routing fallbacks end to end (docs/routing.md): the official OpenAI and Anthropic SDKs send an
// x-portkey-config whose first target fails (a 500, or a refused connection) and whose second
// speaks the other dialect. The caller's SDK must still get a complete answer in its own
// dialect, streamed event by event, from the strict fake of the other dialect (which refuses any
// request its real API would refuse, so a wrong translation on the fallback attempt fails).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { fetchToken, startAigw } from './harness.mjs';
import { SCRIPT, startStrictProvider } from './fake_providers.mjs';

// A provider that fails every request with a 500 in its dialect's error shape.
async function startBrokenProvider(kind) {
  const requests = [];
  const server = createServer(async (req, res) => {
    for await (const _ of req) { /* drain the body */ }
    requests.push({ method: req.method, url: req.url });
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify(kind === 'anthropic'
      ? { type: 'error', error: { type: 'api_error', message: 'Internal server error' } }
      : { error: { message: 'The server had an error', type: 'server_error', param: null, code: null } }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

// A loopback URL nothing listens on: a port bound, then released.
async function closedUrl() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/v1`;
}

let gw;
let token;
const fakes = {};

before(async () => {
  fakes.anthropic = await startStrictProvider('anthropic');
  fakes.chat = await startStrictProvider('chat');
  fakes.brokenChat = await startBrokenProvider('openai');
  fakes.brokenAnthropic = await startBrokenProvider('anthropic');
  const refused = await closedUrl();
  gw = await startAigw(`providers:
  fake-anthropic: { dialect: anthropic, base_url: ${fakes.anthropic.url}, api_key: ${SCRIPT.anthropic.key} }
  fake-chat: { dialect: openai, base_url: ${fakes.chat.url}, api_key: ${SCRIPT.chat.key}, responses_api: false }
  broken-chat: { dialect: openai, base_url: ${fakes.brokenChat.url}, api_key: sk-broken, responses_api: false }
  broken-anthropic: { dialect: anthropic, base_url: ${fakes.brokenAnthropic.url}, api_key: sk-broken }
  refused-chat: { dialect: openai, base_url: ${refused}, api_key: sk-refused, responses_api: false }
  refused-anthropic: { dialect: anthropic, base_url: ${refused}, api_key: sk-refused }
`);
  token = await fetchToken(gw.url);
});
after(async () => {
  assert.equal(await gw.stop(), 0);
  for (const f of Object.values(fakes)) await f.close();
});

// A fallback config from `first` to `second`, the second with its own model.
const fallback = (first, second, model) => JSON.stringify({
  strategy: { mode: 'fallback' },
  targets: [{ provider: first }, { provider: second, override_params: { model } }],
});

function assertNoRefusals() {
  assert.deepEqual(fakes.anthropic.refusals, [], 'the strict Anthropic fake refused a request');
  assert.deepEqual(fakes.chat.refusals, [], 'the strict chat fake refused a request');
}

const ANTHROPIC_MODEL = 'claude-sonnet-4-20250514';
const CHAT_MODEL = 'gpt-4o-mini';
const ANTHROPIC_TEXT = SCRIPT.anthropic.text.join('');
const CHAT_TEXT = SCRIPT.chat.text.join('');

// --- the OpenAI SDK (chat completions) falling back to an Anthropic provider -----------------

describe('openai sdk: fallback to an Anthropic provider', () => {
  const client = (config) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: token, maxRetries: 0, timeout: 15000,
    defaultHeaders: { 'x-portkey-config': config } });

  for (const first of ['broken-chat', 'refused-chat']) {
    test(`streamed chat after ${first} fails`, async () => {
      const seenBefore = fakes.anthropic.requests.length;
      const brokenBefore = fakes.brokenChat.requests.length;
      const { data: stream, response } = await client(fallback(first, 'fake-anthropic', ANTHROPIC_MODEL))
        .chat.completions.create({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true },
          messages: [{ role: 'user', content: 'Say hello.' }] })
        .withResponse();
      assert.equal(response.headers.get('x-portkey-provider'), 'fake-anthropic');
      assert.equal(response.headers.get('x-portkey-last-used-option-index'), 'config.targets[1]');
      const pieces = [];
      let finish;
      let usage;
      for await (const chunk of stream) {
        assert.equal(chunk.object, 'chat.completion.chunk');
        const choice = chunk.choices[0];
        if (choice?.delta?.content) pieces.push(choice.delta.content);
        if (choice?.finish_reason) finish = choice.finish_reason;
        if (chunk.usage) usage = chunk.usage;
      }
      assert.equal(pieces.join(''), ANTHROPIC_TEXT);
      assert.ok(pieces.length >= 2, 'the answer arrives in several chunks');
      assert.equal(finish, 'stop');
      assert.equal(usage?.prompt_tokens, SCRIPT.anthropic.usage.input_tokens);
      assert.equal(usage?.completion_tokens, SCRIPT.anthropic.usage.output_tokens);
      assertNoRefusals();
      assert.equal(fakes.anthropic.requests.length, seenBefore + 1);
      const seen = fakes.anthropic.requests.at(-1);
      assert.equal(seen.url, '/v1/messages');
      assert.equal(seen.json.model, ANTHROPIC_MODEL);
      assert.equal(seen.json.stream, true);
      if (first === 'broken-chat') assert.equal(fakes.brokenChat.requests.length, brokenBefore + 1);
    });
  }

  test('whole chat completion after a 500', async () => {
    const r = await client(fallback('broken-chat', 'fake-anthropic', ANTHROPIC_MODEL))
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Say hello.' }] });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices[0].message.content, ANTHROPIC_TEXT);
    assert.equal(r.choices[0].finish_reason, 'stop');
    assertNoRefusals();
  });
});

// --- the Anthropic SDK (messages) falling back to an OpenAI-compatible provider --------------

describe('anthropic sdk: fallback to an OpenAI-compatible provider', () => {
  const client = (config) => new Anthropic({ baseURL: gw.url, apiKey: token, maxRetries: 0, timeout: 15000,
    defaultHeaders: { 'x-portkey-config': config } });

  for (const first of ['broken-anthropic', 'refused-anthropic']) {
    test(`streamed message after ${first} fails`, async () => {
      const seenBefore = fakes.chat.requests.length;
      const brokenBefore = fakes.brokenAnthropic.requests.length;
      const stream = client(fallback(first, 'fake-chat', CHAT_MODEL)).messages.stream({
        model: ANTHROPIC_MODEL, max_tokens: 256, messages: [{ role: 'user', content: 'Say hello.' }] });
      const texts = [];
      const events = [];
      stream.on('text', (t) => texts.push(t));
      stream.on('streamEvent', (e) => events.push(e.type));
      const final = await stream.finalMessage();
      const { response } = await stream.withResponse();
      assert.equal(response.headers.get('x-portkey-provider'), 'fake-chat');
      assert.equal(final.content.map((b) => b.type).join(','), 'text');
      assert.equal(final.content[0].text, CHAT_TEXT);
      assert.equal(texts.join(''), CHAT_TEXT);
      assert.ok(texts.length >= 2, 'the answer arrives in several deltas');
      assert.equal(final.stop_reason, 'end_turn');
      assert.equal(events[0], 'message_start');
      assert.equal(events.at(-1), 'message_stop');
      assert.equal(final.usage.output_tokens, SCRIPT.chat.usage.completion_tokens);
      assertNoRefusals();
      assert.equal(fakes.chat.requests.length, seenBefore + 1);
      const seen = fakes.chat.requests.at(-1);
      assert.equal(seen.url, '/v1/chat/completions');
      assert.equal(seen.json.model, CHAT_MODEL);
      assert.equal(seen.json.stream, true);
      if (first === 'broken-anthropic') assert.equal(fakes.brokenAnthropic.requests.length, brokenBefore + 1);
    });
  }

  test('whole message after a 500', async () => {
    const m = await client(fallback('broken-anthropic', 'fake-chat', CHAT_MODEL)).messages.create({
      model: ANTHROPIC_MODEL, max_tokens: 256, messages: [{ role: 'user', content: 'Say hello.' }] });
    assert.equal(m.type, 'message');
    assert.equal(m.content[0].text, CHAT_TEXT);
    assert.equal(m.stop_reason, 'end_turn');
    assertNoRefusals();
  });
});
