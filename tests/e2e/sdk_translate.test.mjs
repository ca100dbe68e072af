// Dialect translation end to end: the official OpenAI and Anthropic SDKs, on each API aigw
// serves, through aigw to strict fake providers that speak ONLY their own dialect (Anthropic
// Messages, OpenAI-compatible chat with responses_api: false, Gemini generateContent) and refuse
// what their real API would refuse. Every translated (caller, provider) cell gets a whole answer,
// a stream, and a tool call round trip (whole and streamed); count_tokens on providers that
// cannot count is answered locally. Passthrough cells are covered by sdk_passthrough.test.mjs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { fetchToken, startAigw } from './harness.mjs';
import { SCRIPT, startStrictProvider } from './fake_providers.mjs';

const SYSTEM = 'You are a terse weather assistant.';
const QUESTION = 'What is the weather in Paris?';
const WEATHER_SCHEMA = {
  type: 'object',
  properties: { city: { type: 'string', description: 'a city' }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
  required: ['city'],
  additionalProperties: false,
};
const RESULT_JSON = JSON.stringify(SCRIPT.result);
const PARALLEL_QUESTION = `What is the weather in Paris and in ${SCRIPT.parallelTrigger}?`;
const PARALLEL_ARGS = [SCRIPT.tool.args, SCRIPT.tool.args2];

// Two parallel calls: distinct ids (the provider's own, where it gives them), in order.
function assertParallelIds(p, ids) {
  assert.equal(ids.length, 2);
  assert.notEqual(ids[0], ids[1], 'parallel calls have distinct ids');
  if (p.callId) assert.deepEqual(ids, [p.callId, `${p.callId}_2`]);
  for (const id of ids) assert.ok(typeof id === 'string' && id.length > 0);
}

// The providers, with what each one's fake answers.
const PROVIDERS = {
  anthropic: {
    name: 'fake-anthropic', model: 'claude-sonnet-4-20250514', text: SCRIPT.anthropic.text.join(''),
    callId: SCRIPT.anthropic.callId, preamble: SCRIPT.anthropic.preamble,
    usage: { input: SCRIPT.anthropic.usage.input_tokens, output: SCRIPT.anthropic.usage.output_tokens },
    system: (b) => (typeof b.system === 'string' ? b.system : b.system?.map((s) => s.text).join('')),
  },
  chat: {
    name: 'fake-chat', model: 'gpt-4o-mini', text: SCRIPT.chat.text.join(''), callId: SCRIPT.chat.callId,
    usage: { input: SCRIPT.chat.usage.prompt_tokens, output: SCRIPT.chat.usage.completion_tokens },
    system: (b) => b.messages.filter((m) => m.role === 'system' || m.role === 'developer')
      .map((m) => (typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join(''))).join(''),
  },
  gemini: {
    name: 'fake-gemini', model: 'gemini-2.5-flash', text: SCRIPT.gemini.text.join(''), callId: undefined,
    usage: { input: SCRIPT.gemini.usage.promptTokenCount, output: SCRIPT.gemini.usage.candidatesTokenCount },
    system: (b) => b.systemInstruction?.parts.map((p) => p.text).join(''),
  },
};

const fakes = {};
let gw;
let token;

before(async () => {
  for (const kind of Object.keys(PROVIDERS)) fakes[kind] = await startStrictProvider(kind);
  gw = await startAigw(`providers:
  fake-anthropic: { dialect: anthropic, base_url: ${fakes.anthropic.url}, api_key: ${SCRIPT.anthropic.key} }
  fake-chat: { dialect: openai, base_url: ${fakes.chat.url}, api_key: ${SCRIPT.chat.key}, responses_api: false }
  fake-gemini: { dialect: google, base_url: ${fakes.gemini.url}, api_key: ${SCRIPT.gemini.key} }
`);
  token = await fetchToken(gw.url);
});
after(async () => {
  assert.equal(await gw.stop(), 0);
  for (const f of Object.values(fakes)) await f.close();
});

const openaiFor = (p) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: token, maxRetries: 0, timeout: 15000,
  defaultHeaders: { 'x-portkey-provider': p.name } });
const anthropicFor = (p) => new Anthropic({ baseURL: gw.url, apiKey: token, maxRetries: 0, timeout: 15000,
  defaultHeaders: { 'x-portkey-provider': p.name } });

// The request the fake of `kind` received last (parsed), after checking it refused nothing.
function lastSeen(kind) {
  assert.deepEqual(fakes[kind].refusals, [], `the fake ${kind} refused a request`);
  return fakes[kind].requests.at(-1);
}

// The tool call id the provider gave: its own, or for Gemini (which gives none) the gateway's.
function assertCallId(p, id) {
  assert.equal(typeof id, 'string');
  if (p.callId) assert.equal(id, p.callId);
  else assert.ok(id.length > 0);
}

// --- chat callers (openai SDK, /v1/chat/completions) -----------------------------------------

const CHAT_TOOLS = [{ type: 'function',
  function: { name: SCRIPT.tool.name, description: 'Current weather of a city', parameters: WEATHER_SCHEMA } }];
const chatAsk = () => [{ role: 'system', content: SYSTEM }, { role: 'user', content: QUESTION }];

function chatCases(kind) {
  const p = PROVIDERS[kind];
  describe(`chat caller → ${kind} provider`, () => {
    test('chat.completions.create', async () => {
      const r = await openaiFor(p).chat.completions.create({ model: p.model, messages: chatAsk(), max_tokens: 256, temperature: 0.2 });
      assert.equal(r.object, 'chat.completion');
      assert.equal(r.choices[0].message.role, 'assistant');
      assert.equal(r.choices[0].message.content, p.text);
      assert.equal(r.choices[0].finish_reason, 'stop');
      assert.equal(r.usage.prompt_tokens, p.usage.input);
      assert.equal(r.usage.completion_tokens, p.usage.output);
      assert.equal(r.usage.total_tokens, p.usage.input + p.usage.output);
      const seen = lastSeen(kind);
      assert.equal(p.system(seen.json), SYSTEM);
    });

    test('chat.completions.create, streamed with include_usage', async () => {
      const stream = await openaiFor(p).chat.completions.create({ model: p.model, messages: chatAsk(), stream: true,
        stream_options: { include_usage: true } });
      const pieces = [];
      let finish;
      let usage;
      let role;
      for await (const chunk of stream) {
        assert.equal(chunk.object, 'chat.completion.chunk');
        const choice = chunk.choices[0];
        role ??= choice?.delta?.role;
        if (choice?.delta?.content) pieces.push(choice.delta.content);
        if (choice?.finish_reason) finish = choice.finish_reason;
        if (chunk.usage) usage = chunk.usage;
      }
      assert.equal(role, 'assistant');
      assert.equal(pieces.join(''), p.text);
      assert.ok(pieces.length >= 2, 'the answer arrives in several chunks');
      assert.equal(finish, 'stop');
      assert.equal(usage.prompt_tokens, p.usage.input);
      assert.equal(usage.completion_tokens, p.usage.output);
    });

    test('chat.completions.create, streamed without include_usage: no usage chunk', async () => {
      const stream = await openaiFor(p).chat.completions.create({ model: p.model, messages: chatAsk(), stream: true });
      let text = '';
      for await (const chunk of stream) {
        assert.equal(chunk.usage ?? null, null, 'no usage chunk was asked for');
        text += chunk.choices[0]?.delta?.content ?? '';
      }
      assert.equal(text, p.text);
    });

    test('tool call round trip', async () => {
      const client = openaiFor(p);
      const first = await client.chat.completions.create({ model: p.model, messages: chatAsk(), tools: CHAT_TOOLS,
        tool_choice: 'auto' });
      const choice = first.choices[0];
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.tool_calls.length, 1);
      const call = choice.message.tool_calls[0];
      assertCallId(p, call.id);
      assert.equal(call.type, 'function');
      assert.equal(call.function.name, SCRIPT.tool.name);
      assert.deepEqual(JSON.parse(call.function.arguments), SCRIPT.tool.args);
      if (p.preamble) assert.equal(choice.message.content, p.preamble);
      const tools = lastSeen(kind).json;
      if (kind === 'anthropic') assert.deepEqual(tools.tools[0].input_schema.properties.city, WEATHER_SCHEMA.properties.city);
      if (kind === 'gemini') assert.equal(tools.tools[0].functionDeclarations[0].parameters.additionalProperties, undefined);

      const second = await client.chat.completions.create({ model: p.model, tools: CHAT_TOOLS, messages: [
        ...chatAsk(), choice.message, { role: 'tool', tool_call_id: call.id, content: RESULT_JSON }] });
      lastSeen(kind);  // the fake checked the result answers the call
      assert.equal(second.choices[0].message.content, SCRIPT.finalText);
      assert.equal(second.choices[0].finish_reason, 'stop');
      assert.equal(second.choices[0].message.tool_calls ?? undefined, undefined);
    });

    test('tool call round trip, streamed (chat.completions.stream)', async () => {
      const client = openaiFor(p);
      const final = await client.chat.completions.stream({ model: p.model, messages: chatAsk(), tools: CHAT_TOOLS,
        stream_options: { include_usage: true } }).finalChatCompletion();
      const choice = final.choices[0];
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.tool_calls.length, 1);
      const call = choice.message.tool_calls[0];
      assertCallId(p, call.id);
      assert.equal(call.function.name, SCRIPT.tool.name);
      assert.deepEqual(JSON.parse(call.function.arguments), SCRIPT.tool.args);
      assert.equal(final.usage.prompt_tokens, p.usage.input);

      const again = await client.chat.completions.stream({ model: p.model, tools: CHAT_TOOLS, messages: [
        ...chatAsk(), { role: 'assistant', content: choice.message.content ?? null, tool_calls: choice.message.tool_calls },
        { role: 'tool', tool_call_id: call.id, content: RESULT_JSON }] }).finalChatCompletion();
      lastSeen(kind);
      assert.equal(again.choices[0].message.content, SCRIPT.finalText);
      assert.equal(again.choices[0].finish_reason, 'stop');
    });

    for (const streamed of [false, true]) {
      test(`parallel tool calls round trip${streamed ? ', streamed' : ''}`, async () => {
        const client = openaiFor(p);
        const ask = [{ role: 'user', content: PARALLEL_QUESTION }];
        const call = (messages) => (streamed
          ? client.chat.completions.stream({ model: p.model, messages, tools: CHAT_TOOLS, parallel_tool_calls: true })
            .finalChatCompletion()
          : client.chat.completions.create({ model: p.model, messages, tools: CHAT_TOOLS, parallel_tool_calls: true }));
        const first = await call(ask);
        const message = first.choices[0].message;
        assert.equal(first.choices[0].finish_reason, 'tool_calls');
        assertParallelIds(p, message.tool_calls.map((c) => c.id));
        assert.deepEqual(message.tool_calls.map((c) => JSON.parse(c.function.arguments)), PARALLEL_ARGS);
        lastSeen(kind);
        const second = await call([...ask, { role: 'assistant', content: message.content ?? null, tool_calls: message.tool_calls },
          ...message.tool_calls.map((c) => ({ role: 'tool', tool_call_id: c.id, content: RESULT_JSON }))]);
        lastSeen(kind);
        assert.equal(second.choices[0].message.content, SCRIPT.finalText);
      });
    }
  });
}

// --- Responses callers (openai SDK, /v1/responses) -------------------------------------------

const RESPONSES_TOOLS = [{ type: 'function', name: SCRIPT.tool.name, description: 'Current weather of a city',
  parameters: WEATHER_SCHEMA, strict: false }];
const responsesAsk = () => [{ role: 'user', content: [{ type: 'input_text', text: QUESTION }] }];

function assertResponseUsage(p, usage) {
  assert.equal(usage.input_tokens, p.usage.input);
  assert.equal(usage.output_tokens, p.usage.output);
  assert.equal(usage.total_tokens, p.usage.input + p.usage.output);
}

function responsesCases(kind) {
  const p = PROVIDERS[kind];
  describe(`responses caller → ${kind} provider`, () => {
    test('responses.create', async () => {
      const r = await openaiFor(p).responses.create({ model: p.model, instructions: SYSTEM, input: QUESTION,
        store: false, max_output_tokens: 256 });
      assert.equal(r.object, 'response');
      assert.equal(r.status, 'completed');
      assert.equal(r.output_text, p.text);
      const messages = r.output.filter((o) => o.type === 'message');
      assert.equal(messages.length, 1);
      assert.equal(messages[0].role, 'assistant');
      assertResponseUsage(p, r.usage);
      const seen = lastSeen(kind);
      assert.equal(p.system(seen.json), SYSTEM);
      if (kind === 'chat') assert.equal(seen.url, '/v1/chat/completions');
    });

    test('responses.stream', async () => {
      const stream = openaiFor(p).responses.stream({ model: p.model, instructions: SYSTEM, input: responsesAsk(), store: false });
      const types = [];
      const seq = [];
      const deltas = [];
      for await (const event of stream) {
        types.push(event.type);
        seq.push(event.sequence_number);
        if (event.type === 'response.output_text.delta') deltas.push(event.delta);
      }
      const final = await stream.finalResponse();
      assert.equal(types[0], 'response.created');
      assert.equal(types.at(-1), 'response.completed');
      assert.deepEqual(seq, seq.map((_, i) => i), 'sequence_number counts from 0');
      for (const t of ['response.output_item.added', 'response.content_part.added', 'response.output_text.done',
        'response.output_item.done']) assert.ok(types.includes(t), `${t} was sent`);
      assert.equal(deltas.join(''), p.text);
      assert.ok(deltas.length >= 2, 'the text arrives in several deltas');
      assert.equal(final.status, 'completed');
      assert.equal(final.output_text, p.text);
      assertResponseUsage(p, final.usage);
      lastSeen(kind);
    });

    test('tool call round trip', async () => {
      const client = openaiFor(p);
      const input = responsesAsk();
      const first = await client.responses.create({ model: p.model, instructions: SYSTEM, input, tools: RESPONSES_TOOLS,
        tool_choice: 'auto', store: false });
      const calls = first.output.filter((o) => o.type === 'function_call');
      assert.equal(calls.length, 1);
      assertCallId(p, calls[0].call_id);
      assert.equal(calls[0].name, SCRIPT.tool.name);
      assert.deepEqual(JSON.parse(calls[0].arguments), SCRIPT.tool.args);
      if (p.preamble) assert.equal(first.output_text, p.preamble);
      lastSeen(kind);

      // As Codex does: the whole output goes back, then the call's output.
      const second = await client.responses.create({ model: p.model, instructions: SYSTEM, tools: RESPONSES_TOOLS,
        store: false, input: [...input, ...first.output,
          { type: 'function_call_output', call_id: calls[0].call_id, output: RESULT_JSON }] });
      lastSeen(kind);
      assert.equal(second.status, 'completed');
      assert.equal(second.output_text, SCRIPT.finalText);
      assert.equal(second.output.filter((o) => o.type === 'function_call').length, 0);
      assertResponseUsage(p, second.usage);
    });

    test('tool call round trip, streamed', async () => {
      const client = openaiFor(p);
      const input = responsesAsk();
      const stream = client.responses.stream({ model: p.model, input, tools: RESPONSES_TOOLS, store: false });
      let argDeltas = '';
      let argsDone;
      for await (const event of stream) {
        if (event.type === 'response.function_call_arguments.delta') argDeltas += event.delta;
        if (event.type === 'response.function_call_arguments.done') argsDone = event.arguments;
      }
      const first = await stream.finalResponse();
      const calls = first.output.filter((o) => o.type === 'function_call');
      assert.equal(calls.length, 1);
      assertCallId(p, calls[0].call_id);
      assert.equal(calls[0].name, SCRIPT.tool.name);
      assert.deepEqual(JSON.parse(calls[0].arguments), SCRIPT.tool.args);
      assert.deepEqual(JSON.parse(argDeltas), SCRIPT.tool.args);
      assert.deepEqual(JSON.parse(argsDone), SCRIPT.tool.args);
      lastSeen(kind);

      const again = client.responses.stream({ model: p.model, tools: RESPONSES_TOOLS, store: false, input: [
        ...input, ...first.output, { type: 'function_call_output', call_id: calls[0].call_id, output: RESULT_JSON }] });
      const second = await again.finalResponse();
      lastSeen(kind);
      assert.equal(second.output_text, SCRIPT.finalText);
      assert.equal(second.status, 'completed');
    });

    for (const streamed of [false, true]) {
      test(`parallel tool calls round trip${streamed ? ', streamed' : ''}`, async () => {
        const client = openaiFor(p);
        const input = [{ role: 'user', content: PARALLEL_QUESTION }];
        const call = (items) => (streamed
          ? client.responses.stream({ model: p.model, input: items, tools: RESPONSES_TOOLS, store: false }).finalResponse()
          : client.responses.create({ model: p.model, input: items, tools: RESPONSES_TOOLS, store: false }));
        const first = await call(input);
        const calls = first.output.filter((o) => o.type === 'function_call');
        assertParallelIds(p, calls.map((c) => c.call_id));
        assert.deepEqual(calls.map((c) => JSON.parse(c.arguments)), PARALLEL_ARGS);
        lastSeen(kind);
        const second = await call([...input, ...first.output,
          ...calls.map((c) => ({ type: 'function_call_output', call_id: c.call_id, output: RESULT_JSON }))]);
        lastSeen(kind);
        assert.equal(second.output_text, SCRIPT.finalText);
      });
    }
  });
}

// --- Anthropic callers (Anthropic SDK, /v1/messages and count_tokens) -------------------------

const ANTHROPIC_TOOLS = [{ name: SCRIPT.tool.name, description: 'Current weather of a city', input_schema: WEATHER_SCHEMA }];
const messagesAsk = () => [{ role: 'user', content: QUESTION }];

function messagesCases(kind) {
  const p = PROVIDERS[kind];
  describe(`messages caller → ${kind} provider`, () => {
    test('messages.create', async () => {
      const m = await anthropicFor(p).messages.create({ model: p.model, max_tokens: 256, system: SYSTEM,
        messages: messagesAsk() });
      assert.equal(m.type, 'message');
      assert.equal(m.role, 'assistant');
      assert.deepEqual(m.content.map((b) => b.type), ['text']);
      assert.equal(m.content[0].text, p.text);
      assert.equal(m.stop_reason, 'end_turn');
      assert.equal(m.usage.input_tokens, p.usage.input);
      assert.equal(m.usage.output_tokens, p.usage.output);
      const seen = lastSeen(kind);
      assert.equal(p.system(seen.json), SYSTEM);
      if (kind === 'chat') assert.equal(seen.json.max_tokens, 256);
      if (kind === 'gemini') assert.equal(seen.json.generationConfig.maxOutputTokens, 256);
    });

    test('messages.create with stream: true, events in order', async () => {
      const stream = await anthropicFor(p).messages.create({ model: p.model, max_tokens: 256, system: SYSTEM,
        messages: messagesAsk(), stream: true });
      const types = [];
      let text = '';
      let stop;
      let outputTokens;
      for await (const event of stream) {
        types.push(event.type);
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
        if (event.type === 'message_delta') { stop = event.delta.stop_reason; outputTokens = event.usage.output_tokens; }
      }
      assert.equal(types[0], 'message_start');
      assert.equal(types.at(-1), 'message_stop');
      assert.equal(types.filter((t) => t === 'message_start').length, 1);
      assert.ok(types.indexOf('content_block_start') < types.indexOf('content_block_delta'));
      assert.ok(types.lastIndexOf('content_block_delta') < types.indexOf('content_block_stop'));
      assert.ok(types.filter((t) => t === 'content_block_delta').length >= 2, 'text arrives in several deltas');
      assert.equal(text, p.text);
      assert.equal(stop, 'end_turn');
      assert.equal(outputTokens, p.usage.output);
    });

    test('messages.stream, finalMessage', async () => {
      const stream = anthropicFor(p).messages.stream({ model: p.model, max_tokens: 256, messages: messagesAsk() });
      let text = '';
      stream.on('text', (t) => { text += t; });
      const final = await stream.finalMessage();
      assert.equal(text, p.text);
      assert.deepEqual(final.content.map((b) => b.type), ['text']);
      assert.equal(final.content[0].text, p.text);
      assert.equal(final.stop_reason, 'end_turn');
      assert.equal(final.usage.input_tokens, p.usage.input);
      assert.equal(final.usage.output_tokens, p.usage.output);
      lastSeen(kind);
    });

    test('tool call round trip', async () => {
      const client = anthropicFor(p);
      const first = await client.messages.create({ model: p.model, max_tokens: 512, system: SYSTEM,
        messages: messagesAsk(), tools: ANTHROPIC_TOOLS, tool_choice: { type: 'auto' } });
      assert.equal(first.stop_reason, 'tool_use');
      const uses = first.content.filter((b) => b.type === 'tool_use');
      assert.equal(uses.length, 1);
      assertCallId(p, uses[0].id);
      assert.equal(uses[0].name, SCRIPT.tool.name);
      assert.deepEqual(uses[0].input, SCRIPT.tool.args);
      lastSeen(kind);

      const second = await client.messages.create({ model: p.model, max_tokens: 512, system: SYSTEM, tools: ANTHROPIC_TOOLS,
        messages: [...messagesAsk(), { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: uses[0].id, content: RESULT_JSON }] }] });
      lastSeen(kind);
      assert.equal(second.stop_reason, 'end_turn');
      assert.deepEqual(second.content.map((b) => b.type), ['text']);
      assert.equal(second.content[0].text, SCRIPT.finalText);
    });

    test('tool call round trip, streamed (messages.stream)', async () => {
      const client = anthropicFor(p);
      const stream = client.messages.stream({ model: p.model, max_tokens: 512, messages: messagesAsk(), tools: ANTHROPIC_TOOLS });
      let partial = '';
      stream.on('inputJson', (delta) => { partial += delta; });
      const first = await stream.finalMessage();
      assert.equal(first.stop_reason, 'tool_use');
      const uses = first.content.filter((b) => b.type === 'tool_use');
      assert.equal(uses.length, 1);
      assertCallId(p, uses[0].id);
      assert.equal(uses[0].name, SCRIPT.tool.name);
      assert.deepEqual(uses[0].input, SCRIPT.tool.args);
      assert.deepEqual(JSON.parse(partial), SCRIPT.tool.args);
      assert.equal(first.usage.input_tokens, p.usage.input);
      assert.equal(first.usage.output_tokens, p.usage.output);
      lastSeen(kind);

      const second = await client.messages.stream({ model: p.model, max_tokens: 512, tools: ANTHROPIC_TOOLS, messages: [
        ...messagesAsk(), { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: uses[0].id, content: [{ type: 'text', text: RESULT_JSON }] }] },
      ] }).finalMessage();
      lastSeen(kind);
      assert.equal(second.stop_reason, 'end_turn');
      assert.equal(second.content[0].text, SCRIPT.finalText);
    });

    test('messages.countTokens is estimated by the gateway', async () => {
      const before = fakes[kind].requests.length;
      const { data, response } = await anthropicFor(p).messages.countTokens({ model: p.model, system: SYSTEM,
        messages: messagesAsk(), tools: ANTHROPIC_TOOLS }).withResponse();
      assert.ok(Number.isInteger(data.input_tokens) && data.input_tokens > 0, `estimate ${data.input_tokens}`);
      assert.equal(response.headers.get('x-aigw-token-count'), 'estimate');
      assert.equal(fakes[kind].requests.length, before, 'the provider was not asked');
    });

    for (const streamed of [false, true]) {
      test(`parallel tool calls round trip${streamed ? ', streamed' : ''}`, async () => {
        const client = anthropicFor(p);
        const ask = [{ role: 'user', content: PARALLEL_QUESTION }];
        const call = (messages) => (streamed
          ? client.messages.stream({ model: p.model, max_tokens: 512, messages, tools: ANTHROPIC_TOOLS }).finalMessage()
          : client.messages.create({ model: p.model, max_tokens: 512, messages, tools: ANTHROPIC_TOOLS }));
        const first = await call(ask);
        assert.equal(first.stop_reason, 'tool_use');
        const uses = first.content.filter((b) => b.type === 'tool_use');
        assertParallelIds(p, uses.map((u) => u.id));
        assert.deepEqual(uses.map((u) => u.input), PARALLEL_ARGS);
        lastSeen(kind);
        const second = await call([...ask, { role: 'assistant', content: first.content },
          { role: 'user', content: uses.map((u) => ({ type: 'tool_result', tool_use_id: u.id, content: RESULT_JSON })) }]);
        lastSeen(kind);
        assert.equal(second.content[0].text, SCRIPT.finalText);
      });
    }
  });
}

chatCases('anthropic');
chatCases('gemini');
responsesCases('anthropic');
responsesCases('chat');
responsesCases('gemini');
messagesCases('chat');
messagesCases('gemini');

describe('fakes speak only their own dialect', () => {
  // The cells above only prove something if the fakes refuse the other dialects' bodies.
  test('the fake Anthropic refuses an OpenAI body, the fake chat an Anthropic one, the fake Gemini both', async () => {
    const post = (url, body, headers) => fetch(url, { method: 'POST', body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers } });
    const chatBody = { model: 'x', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, stream_options: { include_usage: true } };
    const anthropicBody = { model: 'x', max_tokens: 5, system: 'be brief', messages: [{ role: 'user', content: 'hi' }] };
    const a = await post(`${fakes.anthropic.url}/messages`, chatBody, { 'x-api-key': SCRIPT.anthropic.key, 'anthropic-version': '2023-06-01' });
    assert.equal(a.status, 400);
    assert.match((await a.json()).error.message, /stream_options/);
    const noMax = await post(`${fakes.anthropic.url}/messages`, { model: 'x', messages: [{ role: 'user', content: 'hi' }] },
      { 'x-api-key': SCRIPT.anthropic.key, 'anthropic-version': '2023-06-01' });
    assert.match((await noMax.json()).error.message, /max_tokens/);
    const c = await post(`${fakes.chat.url}/chat/completions`, anthropicBody, { authorization: `Bearer ${SCRIPT.chat.key}` });
    assert.equal(c.status, 400);
    assert.match((await c.json()).error.message, /system/);
    const g = await post(`${fakes.gemini.url}/models/gemini-2.5-flash:generateContent`, chatBody, { 'x-goog-api-key': SCRIPT.gemini.key });
    assert.equal(g.status, 400);
    const noKey = await post(`${fakes.gemini.url}/models/gemini-2.5-flash:generateContent`, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    assert.match((await noKey.json()).error.message, /x-goog-api-key/);
    assert.equal((await post(`${fakes.chat.url}/responses`, { model: 'x', input: 'hi' }, {})).status, 404);
    assert.equal((await post(`${fakes.anthropic.url}/messages/count_tokens`, anthropicBody, {})).status, 404);
    for (const f of Object.values(fakes)) f.refusals.length = 0;
  });

  test('a provider refusal reaches each SDK as a 400 in its own shape', async () => {
    // A Gemini tool result whose call is not in the history cannot be paired: the fake refuses.
    const p = PROVIDERS.gemini;
    await assert.rejects(anthropicFor(p).messages.create({ model: p.model, max_tokens: 5, messages: [
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_nowhere', content: 'x' }] }] }),
    (err) => err instanceof Anthropic.BadRequestError && err.error?.type === 'error'
      && err.error.error.type === 'invalid_request_error' && /fake gemini/.test(err.error.error.message));
    await assert.rejects(openaiFor(PROVIDERS.anthropic).chat.completions.create({ model: 'claude-sonnet-4-20250514',
      messages: [{ role: 'tool', tool_call_id: 'call_nowhere', content: 'x' }] }),
    (err) => err instanceof OpenAI.BadRequestError && /fake anthropic/.test(err.message));
    for (const f of Object.values(fakes)) f.refusals.length = 0;
  });
});
