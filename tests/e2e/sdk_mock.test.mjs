// The official OpenAI and Anthropic SDKs against a running aigw serving the mock provider:
// what real agents send must parse, streaming included.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { fetchToken, startAigw } from './harness.mjs';

let gw;
let openai;
let anthropic;

before(async () => {
  gw = await startAigw('providers:\n  mock: {}\n');
  const token = await fetchToken(gw.url);
  const headers = { 'x-portkey-provider': 'mock' };
  // The OpenAI SDK sends the key as a Bearer token; the Anthropic SDK as x-api-key (as
  // Claude Code with apiKeyHelper does). Both reach the gateway's JWT check.
  openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: token, defaultHeaders: headers, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: token, defaultHeaders: headers, maxRetries: 0 });
});
after(async () => { assert.equal(await gw.stop(), 0); });

describe('openai sdk', () => {
  test('chat completion', async () => {
    const r = await openai.chat.completions.create({ model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] });
    assert.match(r.choices[0].message.content, /mock provider/);
    assert.ok(r.usage.prompt_tokens > 0);
  });

  test('chat completion stream with usage', async () => {
    const stream = await openai.chat.completions.create({
      model: 'mock-gpt', stream: true, stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'hi' }],
    });
    let text = '';
    let usage;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    assert.match(text, /mock provider/);
    assert.ok(usage.completion_tokens > 0);
  });

  test('responses, plain and streamed', async () => {
    const r = await openai.responses.create({ model: 'mock-gpt', input: 'hi', store: false });
    assert.match(r.output_text, /mock provider/);
    const stream = await openai.responses.create({ model: 'mock-gpt', input: 'hi', stream: true, store: false });
    let text = '';
    let completed;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    assert.match(text, /mock provider/);
    assert.ok(completed.usage.output_tokens > 0);
  });

  test('embeddings and models', async () => {
    const e = await openai.embeddings.create({ model: 'mock-embedding', input: ['a', 'b'] });
    assert.equal(e.data.length, 2);
    const models = await openai.models.list();
    assert.ok(models.data.some((m) => m.id === 'mock-gpt'));
  });

  test('a provider 429 reaches the SDK as a RateLimitError', async () => {
    await assert.rejects(
      openai.chat.completions.create({ model: 'mock-gpt', messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-aigw-mock-status': '429' } }),
      (err) => err.status === 429 && err.headers.get('retry-after') === '7');
  });
});

describe('authentication', () => {
  test('a bad token is a 401 AuthenticationError in each SDK', async () => {
    const badOpenai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'not-a-jwt', maxRetries: 0,
      defaultHeaders: { 'x-portkey-provider': 'mock' } });
    await assert.rejects(badOpenai.chat.completions.create({ model: 'mock-gpt', messages: [] }),
      (err) => err.status === 401 && /malformed/.test(err.message));
    const badAnthropic = new Anthropic({ baseURL: gw.url, apiKey: 'not-a-jwt', maxRetries: 0,
      defaultHeaders: { 'x-portkey-provider': 'mock' } });
    await assert.rejects(badAnthropic.messages.create({ model: 'mock-claude', max_tokens: 5, messages: [] }),
      (err) => err.status === 401 && err.error?.error?.type === 'authentication_error');
  });
});

describe('anthropic sdk', () => {
  test('message', async () => {
    const m = await anthropic.messages.create({ model: 'mock-claude', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(m.type, 'message');
    assert.match(m.content[0].text, /mock provider/);
    assert.ok(m.usage.input_tokens > 0);
  });

  test('message stream, as Claude Code asks for it', async () => {
    const stream = anthropic.messages.stream(
      { model: 'mock-claude', max_tokens: 32000, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'anthropic-beta': 'claude-code-20250219' }, query: { beta: 'true' } });
    let text = '';
    stream.on('text', (t) => { text += t; });
    const final = await stream.finalMessage();
    assert.match(text, /mock provider/);
    assert.equal(final.stop_reason, 'end_turn');
    assert.ok(final.usage.output_tokens > 0);
  });

  test('count_tokens', async () => {
    const r = await anthropic.messages.countTokens({ model: 'mock-claude', messages: [{ role: 'user', content: 'hi' }] });
    assert.ok(r.input_tokens > 0);
  });

  test('errors on /v1/messages are Anthropic-shaped', async () => {
    await assert.rejects(
      anthropic.messages.create({ model: 'mock-claude', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] },
        { headers: { 'x-portkey-provider': 'nope' } }),
      (err) => err.status === 400 && /unknown provider/.test(err.error?.error?.message ?? ''));
  });

  test('a stream the provider drops ends in an SDK error, not a silent success', async () => {
    const stream = anthropic.messages.stream(
      { model: 'mock-claude', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-aigw-mock-drop-after': '4' } });
    await assert.rejects(stream.finalMessage());
  });
});
