// The official SDKs through aigw to fake providers that are real HTTP servers speaking only
// their own API: streams arrive event by event, tool calls are assembled, the gateway's key
// replaces the agent's token.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { fetchToken, startAigw } from './harness.mjs';
import { startFakeProvider } from './fake_providers.mjs';

let gw;
let fakeOpenai;
let fakeAnthropic;
let token;

before(async () => {
  fakeOpenai = await startFakeProvider('openai');
  fakeAnthropic = await startFakeProvider('anthropic');
  gw = await startAigw(`providers:
  openai: { dialect: openai, base_url: ${fakeOpenai.url}, api_key: sk-gateway-openai }
  anthropic: { dialect: anthropic, base_url: ${fakeAnthropic.url}, api_key: sk-gateway-anthropic }
`);
  token = await fetchToken(gw.url);
});
after(async () => {
  assert.equal(await gw.stop(), 0);
  await fakeOpenai.close();
  await fakeAnthropic.close();
});

describe('openai sdk to an OpenAI provider', () => {
  const client = () => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: token, maxRetries: 0,
    defaultHeaders: { 'x-portkey-provider': 'openai' } });

  test('chat completion, with the gateway key in place of the token', async () => {
    const r = await client().chat.completions.create({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.choices[0].message.content, 'fake openai says hi');
    const seen = fakeOpenai.requests.at(-1);
    assert.equal(seen.headers.authorization, 'Bearer sk-gateway-openai');
    assert.equal(seen.headers['x-portkey-provider'], undefined);
  });

  test('streamed chat with a tool call assembled across chunks', async () => {
    const stream = client().chat.completions.stream({
      model: 'gpt-4.1', stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'read the readme' }],
      tools: [{ type: 'function', function: { name: 'read_file', parameters: { type: 'object' } } }],
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0].message.tool_calls[0];
    assert.equal(call.id, 'call_1');
    assert.equal(call.function.name, 'read_file');
    assert.deepEqual(JSON.parse(call.function.arguments), { path: 'README.md' });
    assert.equal(final.choices[0].message.content, 'fake openai streams');
    assert.equal(final.usage.completion_tokens, 9);
  });
});

describe('anthropic sdk to an Anthropic provider', () => {
  const client = () => new Anthropic({ baseURL: gw.url, apiKey: token, maxRetries: 0,
    defaultHeaders: { 'x-portkey-provider': 'anthropic' } });

  test('a Claude Code style stream: thinking, text, and a tool_use with streamed input', async () => {
    const stream = client().messages.stream(
      { model: 'claude-sonnet-4-20250514', max_tokens: 32000, thinking: { type: 'enabled', budget_tokens: 1024 },
        messages: [{ role: 'user', content: 'read the readme' }] },
      { headers: { 'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14' }, query: { beta: 'true' } });
    const final = await stream.finalMessage();
    assert.deepEqual(final.content.map((b) => b.type), ['thinking', 'text', 'tool_use']);
    assert.equal(final.content[0].thinking, 'considering');
    assert.equal(final.content[1].text, 'fake anthropic streams');
    assert.deepEqual(final.content[2].input, { path: 'README.md' });
    assert.equal(final.stop_reason, 'tool_use');
    assert.equal(final.usage.input_tokens, 12);
    const seen = fakeAnthropic.requests.at(-1);
    assert.equal(seen.url, '/v1/messages?beta=true');
    assert.equal(seen.headers['x-api-key'], 'sk-gateway-anthropic');
    assert.equal(seen.headers['anthropic-beta'], 'claude-code-20250219,interleaved-thinking-2025-05-14');
    assert.ok(seen.headers['anthropic-version']);
    assert.equal(seen.headers.authorization, undefined);
  });

  test('message, not streamed', async () => {
    const m = await client().messages.create({ model: 'claude-sonnet-4-20250514', max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(m.content[0].text, 'fake anthropic says hi');
  });
});
