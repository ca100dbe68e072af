// Fake OpenAI and Anthropic providers for the SDK tests: real HTTP servers on loopback that
// speak only their own API, stream server-sent events with pauses, and record what reached them.
import { createServer } from 'node:http';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function sse(res) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
}

async function openaiChat(body, res) {
  const id = 'chatcmpl-fake';
  const chunk = (delta, finish = null, extra = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: body.model,
      choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id, object: 'chat.completion', created: 1, model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'fake openai says hi' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 } }));
    return;
  }
  sse(res);
  res.write(chunk({ role: 'assistant', content: '' }));
  for (const word of ['fake', ' openai', ' streams']) {
    await sleep(20);
    res.write(chunk({ content: word }));
  }
  // A tool call streamed across chunks, as agents rely on.
  res.write(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'read_file', arguments: '' } }] }));
  res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"path":' } }] }));
  res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: '"README.md"}' } }] }));
  res.write(chunk({}, 'tool_calls'));
  if (body.stream_options?.include_usage) {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: body.model, choices: [],
      usage: { prompt_tokens: 11, completion_tokens: 9, total_tokens: 20 } })}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

async function anthropicMessages(body, res) {
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'msg_fake', type: 'message', role: 'assistant', model: body.model,
      content: [{ type: 'text', text: 'fake anthropic says hi' }], stop_reason: 'end_turn', stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 5 } }));
    return;
  }
  sse(res);
  const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  ev('message_start', { message: { id: 'msg_fake', type: 'message', role: 'assistant', model: body.model, content: [],
    stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 } } });
  ev('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '' } });
  ev('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'considering' } });
  ev('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'sig' } });
  ev('content_block_stop', { index: 0 });
  ev('content_block_start', { index: 1, content_block: { type: 'text', text: '' } });
  for (const word of ['fake', ' anthropic', ' streams']) {
    await sleep(20);
    ev('content_block_delta', { index: 1, delta: { type: 'text_delta', text: word } });
  }
  ev('content_block_stop', { index: 1 });
  ev('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'read_file', input: {} } });
  ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{"path":' } });
  ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '"README.md"}' } });
  ev('content_block_stop', { index: 2 });
  ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 30 } });
  ev('message_stop', {});
  res.end();
}

// kind: 'openai' or 'anthropic'. Resolves to { url, requests, close }.
export async function startFakeProvider(kind) {
  const requests = [];
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const part of req) raw += part;
    requests.push({ method: req.method, url: req.url, headers: req.headers, body: raw });
    const body = raw ? JSON.parse(raw) : {};
    if (kind === 'openai' && req.url === '/v1/chat/completions') return openaiChat(body, res);
    if (kind === 'anthropic' && req.url.startsWith('/v1/messages')) return anthropicMessages(body, res);
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `fake ${kind} has no ${req.url}`, type: 'not_found' } }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

// ---------------------------------------------------------------------------------------------
// Strict fakes for the translation tests (sdk_translate.test.mjs). Each speaks ONLY its own
// dialect and refuses, with a 400 naming the problem, what its real API would refuse or what an
// API of another dialect would carry, so a wrong translation fails the test. What they answer
// depends on the request: a tool result (checked to pair with the call it answers) gets the
// final text; a request with tools gets a call of get_weather; anything else gets plain text.

// What the strict fakes answer and expect, for the tests to assert on.
export const SCRIPT = {
  tool: { name: 'get_weather', args: { city: 'Paris', unit: 'celsius' }, args2: { city: 'London', unit: 'celsius' } },
  // A question naming this city gets two parallel calls (Paris, then London).
  parallelTrigger: 'London',
  result: { temperature_c: 18, sky: 'sunny' },
  finalText: 'It is 18°C and sunny in Paris.',
  anthropic: {
    key: 'sk-fake-anthropic', callId: 'toolu_fake_weather', callId2: 'toolu_fake_weather_2', preamble: 'Let me check the weather.',
    text: ['Hello', ' from the', ' fake Anthropic.'], usage: { input_tokens: 25, output_tokens: 9 },
  },
  chat: {
    key: 'sk-fake-chat', callId: 'call_fake_weather', callId2: 'call_fake_weather_2',
    text: ['Hello', ' from the', ' fake chat.'], usage: { prompt_tokens: 31, completion_tokens: 8, total_tokens: 39 },
  },
  gemini: {
    key: 'fake-gemini-key', responseId: 'gemresp42',
    text: ['Hello', ' from the', ' fake Gemini.'], usage: { promptTokenCount: 41, candidatesTokenCount: 6, totalTokenCount: 47 },
  },
};

class Refusal extends Error {}
function check(cond, message) { if (!cond) throw new Refusal(message); }
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
function onlyKeys(o, allowed, where) {
  for (const k of Object.keys(o)) check(allowed.includes(k), `${where}: unknown field '${k}'`);
}
// A tool result's text, whatever shape it came in.
function resultText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c) => c.text ?? '').join('');
  return '';
}
function isTheResult(text) {
  try { return same(JSON.parse(text), SCRIPT.result); } catch { return false; }
}
const isScriptedArgs = (args) => same(args, SCRIPT.tool.args) || same(args, SCRIPT.tool.args2);
// The calls a fake makes: one, or two in parallel when the last user text names the trigger.
function scriptedCalls(lastUserText, ids) {
  const calls = [{ id: ids[0], args: SCRIPT.tool.args }];
  if (lastUserText.includes(SCRIPT.parallelTrigger)) calls.push({ id: ids[1], args: SCRIPT.tool.args2 });
  return calls;
}
const textOf = (content) => (typeof content === 'string' ? content
  : (content ?? []).map((p) => p.text ?? '').join(''));

// --- Anthropic: POST /v1/messages ------------------------------------------------------------

const ANTHROPIC_TOP = ['model', 'messages', 'max_tokens', 'system', 'stop_sequences', 'stream', 'temperature',
  'top_p', 'top_k', 'tools', 'tool_choice', 'metadata', 'thinking', 'service_tier'];
const ANTHROPIC_BLOCKS = ['text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'];

function validateAnthropic(req, body) {
  check(req.headers['x-api-key'] === SCRIPT.anthropic.key, 'x-api-key is missing or wrong');
  check(req.headers.authorization === undefined, 'Anthropic takes x-api-key, not Authorization');
  check(req.headers['anthropic-version'], 'anthropic-version header is required');
  onlyKeys(body, ANTHROPIC_TOP, 'messages request');
  check(typeof body.model === 'string' && body.model, 'model: required');
  check(Number.isInteger(body.max_tokens) && body.max_tokens > 0, 'max_tokens: required');
  check(!(body.temperature !== undefined && body.top_p !== undefined), 'temperature and top_p cannot both be set');
  check(body.stream === undefined || typeof body.stream === 'boolean', 'stream: must be a boolean');
  if (body.system !== undefined) {
    check(typeof body.system === 'string' || Array.isArray(body.system), 'system: string or array of text blocks');
    if (Array.isArray(body.system)) for (const b of body.system) check(b.type === 'text' && b.text, 'system: text blocks only');
  }
  check(Array.isArray(body.messages) && body.messages.length > 0, 'messages: a non-empty array is required');
  check(body.messages[0].role === 'user', 'messages: the first message must be a user message');
  body.messages.forEach((m, i) => {
    onlyKeys(m, ['role', 'content'], `messages.${i}`);
    check(m.role === 'user' || m.role === 'assistant', `messages.${i}.role: user or assistant, got ${m.role}`);
    if (typeof m.content === 'string') return check(m.content.length > 0, `messages.${i}: empty content`);
    check(Array.isArray(m.content) && m.content.length > 0, `messages.${i}.content: non-empty string or array`);
    m.content.forEach((b, j) => {
      const at = `messages.${i}.content.${j}`;
      check(ANTHROPIC_BLOCKS.includes(b.type), `${at}: unknown block type ${b.type}`);
      if (b.type === 'text') check(typeof b.text === 'string' && b.text.length > 0, `${at}: text blocks must be non-empty`);
      if (b.type === 'tool_use') {
        check(m.role === 'assistant', `${at}: tool_use only in assistant turns`);
        check(b.id && b.name && isObj(b.input), `${at}: tool_use needs id, name and an input object`);
      }
      if (b.type === 'tool_result') {
        check(m.role === 'user', `${at}: tool_result only in user turns`);
        const prev = body.messages[i - 1];
        const call = Array.isArray(prev?.content) && prev.role === 'assistant'
          ? prev.content.find((c) => c.type === 'tool_use' && c.id === b.tool_use_id) : undefined;
        check(call, `${at}: tool_result ${b.tool_use_id} does not answer a tool_use of the previous turn`);
      }
    });
    if (m.role === 'assistant') {
      const next = body.messages[i + 1];
      for (const use of m.content.filter((b) => b.type === 'tool_use')) {
        check(Array.isArray(next?.content) && next.content.some((b) => b.type === 'tool_result' && b.tool_use_id === use.id),
          `messages.${i}: tool_use ${use.id} has no tool_result in the next message`);
      }
    }
    // The API wants the results first in their turn.
    const firstOther = m.content.findIndex((b) => b.type !== 'tool_result');
    check(firstOther === -1 || !m.content.slice(firstOther).some((b) => b.type === 'tool_result'),
      `messages.${i}: tool_result blocks must come first`);
  });
  for (const t of body.tools ?? []) {
    onlyKeys(t, ['name', 'description', 'input_schema', 'cache_control', 'type'], 'tools[]');
    check(t.name && isObj(t.input_schema) && t.input_schema.type === 'object', 'tools[]: name and input_schema (object) required');
  }
  if (body.tool_choice !== undefined) {
    check(isObj(body.tool_choice) && ['auto', 'any', 'tool', 'none'].includes(body.tool_choice.type), 'tool_choice: unknown');
  }
}

function anthropicPhase(body) {
  const last = body.messages.at(-1);
  const results = Array.isArray(last.content) ? last.content.filter((b) => b.type === 'tool_result') : [];
  for (const result of results) {
    const prev = body.messages.at(-2);
    const call = prev.content.find((c) => c.type === 'tool_use' && c.id === result.tool_use_id);
    check([SCRIPT.anthropic.callId, SCRIPT.anthropic.callId2].includes(result.tool_use_id), `tool_result answers ${result.tool_use_id}, a call never made`);
    check(call.name === SCRIPT.tool.name && isScriptedArgs(call.input), `replayed tool_use is wrong: ${JSON.stringify(call)}`);
    check(isTheResult(resultText(result.content)), `tool_result content is wrong: ${JSON.stringify(result.content)}`);
  }
  if (results.length) return 'final';
  if (body.tools?.length) {
    check(body.tools.some((t) => t.name === SCRIPT.tool.name), 'get_weather is not among the tools');
    return 'tool';
  }
  return 'text';
}

async function strictAnthropic(req, body, res) {
  validateAnthropic(req, body);
  const phase = anthropicPhase(body);
  const A = SCRIPT.anthropic;
  const usage = { input_tokens: A.usage.input_tokens, output_tokens: A.usage.output_tokens };
  const calls = scriptedCalls(textOf(body.messages.at(-1).content), [A.callId, A.callId2]);
  const content = phase === 'text' ? [{ type: 'text', text: A.text.join('') }]
    : phase === 'final' ? [{ type: 'text', text: SCRIPT.finalText }]
      : [{ type: 'text', text: A.preamble },
        ...calls.map((c) => ({ type: 'tool_use', id: c.id, name: SCRIPT.tool.name, input: c.args }))];
  const stop = phase === 'tool' ? 'tool_use' : 'end_turn';
  const message = { id: `msg_fake_${phase}`, type: 'message', role: 'assistant', model: body.model };
  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ ...message, content, stop_reason: stop, stop_sequence: null, usage }));
  }
  sse(res);
  const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  ev('message_start', { message: { ...message, content: [], stop_reason: null, stop_sequence: null,
    usage: { input_tokens: usage.input_tokens, output_tokens: 1 } } });
  ev('ping', {});
  let index = 0;
  for (const block of content) {
    if (block.type === 'text') {
      ev('content_block_start', { index, content_block: { type: 'text', text: '' } });
      const pieces = phase === 'text' ? A.text : [block.text];
      for (const piece of pieces) {
        await sleep(10);
        ev('content_block_delta', { index, delta: { type: 'text_delta', text: piece } });
      }
    } else {
      ev('content_block_start', { index, content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} } });
      const json = JSON.stringify(block.input);
      for (const piece of [json.slice(0, 9), json.slice(9, 20), json.slice(20)]) {
        await sleep(10);
        ev('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: piece } });
      }
    }
    ev('content_block_stop', { index });
    index += 1;
  }
  ev('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output_tokens } });
  ev('message_stop', {});
  res.end();
}

// --- OpenAI-compatible chat: POST /v1/chat/completions ---------------------------------------

const CHAT_TOP = ['model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'n', 'stop',
  'stream', 'stream_options', 'tools', 'tool_choice', 'parallel_tool_calls', 'user', 'seed', 'response_format',
  'presence_penalty', 'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs', 'reasoning_effort', 'metadata',
  'store', 'service_tier', 'prediction', 'modalities', 'audio'];

function validateChat(req, body) {
  check(req.headers.authorization === `Bearer ${SCRIPT.chat.key}`, 'Authorization is missing or wrong');
  check(req.headers['x-api-key'] === undefined, 'x-api-key is not an OpenAI header');
  onlyKeys(body, CHAT_TOP, 'chat request');
  check(typeof body.model === 'string' && body.model, 'model: required');
  check(Array.isArray(body.messages) && body.messages.length > 0, 'messages: a non-empty array is required');
  if (body.stream_options !== undefined) check(body.stream === true, 'stream_options: only with stream: true');
  body.messages.forEach((m, i) => {
    const at = `messages.${i}`;
    check(['system', 'developer', 'user', 'assistant', 'tool'].includes(m.role), `${at}.role: unknown ${m.role}`);
    if (m.role === 'tool') {
      onlyKeys(m, ['role', 'content', 'tool_call_id'], at);
      check(typeof m.tool_call_id === 'string', `${at}: tool_call_id required`);
      // Every tool message answers a call of the assistant turn before the run of tool messages.
      let j = i - 1;
      while (j >= 0 && body.messages[j].role === 'tool') j -= 1;
      const calls = body.messages[j]?.role === 'assistant' ? body.messages[j].tool_calls ?? [] : [];
      check(calls.some((c) => c.id === m.tool_call_id), `${at}: tool_call_id ${m.tool_call_id} answers no preceding tool call`);
      return;
    }
    if (m.role === 'assistant') {
      onlyKeys(m, ['role', 'content', 'tool_calls', 'name', 'refusal', 'reasoning_content'], at);
      check(m.content != null || m.tool_calls?.length, `${at}: content or tool_calls required`);
      for (const c of m.tool_calls ?? []) {
        let k = i + 1;
        while (body.messages[k]?.role === 'tool' && body.messages[k].tool_call_id !== c.id) k += 1;
        check(body.messages[k]?.role === 'tool', `${at}: tool_call ${c.id} is not answered by a tool message`);
        check(c.type === 'function' && c.id && c.function?.name, `${at}: tool_calls need id, type function and a name`);
        check(typeof c.function.arguments === 'string', `${at}: function.arguments must be a JSON string`);
        JSON.parse(c.function.arguments);
      }
    } else {
      onlyKeys(m, ['role', 'content', 'name'], at);
      check(typeof m.content === 'string' || Array.isArray(m.content), `${at}: content required`);
      if (Array.isArray(m.content)) {
        for (const p of m.content) check(['text', 'image_url', 'input_audio', 'file'].includes(p.type), `${at}: unknown part ${p.type}`);
      }
    }
  });
  for (const t of body.tools ?? []) {
    onlyKeys(t, ['type', 'function'], 'tools[]');
    check(t.type === 'function' && t.function?.name, 'tools[]: type function with a function.name');
    onlyKeys(t.function, ['name', 'description', 'parameters', 'strict'], 'tools[].function');
  }
}

function chatPhase(body) {
  if (body.messages.at(-1).role === 'tool') {
    let j = body.messages.length - 1;
    while (body.messages[j].role === 'tool') j -= 1;
    for (const m of body.messages.slice(j + 1)) {
      const call = body.messages[j].tool_calls.find((c) => c.id === m.tool_call_id);
      check([SCRIPT.chat.callId, SCRIPT.chat.callId2].includes(m.tool_call_id), `tool message answers ${m.tool_call_id}, a call never made`);
      check(call.function.name === SCRIPT.tool.name && isScriptedArgs(JSON.parse(call.function.arguments)),
        `replayed tool call is wrong: ${JSON.stringify(call)}`);
      check(isTheResult(resultText(m.content)), `tool result is wrong: ${JSON.stringify(m.content)}`);
    }
    return 'final';
  }
  if (body.tools?.length) {
    check(body.tools.some((t) => t.function.name === SCRIPT.tool.name), 'get_weather is not among the tools');
    return 'tool';
  }
  return 'text';
}

async function strictChat(req, body, res) {
  validateChat(req, body);
  const phase = chatPhase(body);
  const C = SCRIPT.chat;
  const id = `chatcmpl-fake-${phase}`;
  const finish = phase === 'tool' ? 'tool_calls' : 'stop';
  const lastUser = body.messages.filter((m) => m.role === 'user').at(-1);
  const calls = scriptedCalls(textOf(lastUser?.content), [C.callId, C.callId2]);
  if (!body.stream) {
    const message = phase === 'tool'
      ? { role: 'assistant', content: null, tool_calls: calls.map((c) => ({ id: c.id, type: 'function',
        function: { name: SCRIPT.tool.name, arguments: JSON.stringify(c.args) } })) }
      : { role: 'assistant', content: phase === 'text' ? C.text.join('') : SCRIPT.finalText };
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ id, object: 'chat.completion', created: 1, model: body.model,
      choices: [{ index: 0, message, finish_reason: finish, logprobs: null }], usage: C.usage }));
  }
  sse(res);
  const chunk = (delta, finishReason = null) => res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk',
    created: 1, model: body.model, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] })}\n\n`);
  chunk({ role: 'assistant', content: '' });
  if (phase === 'tool') {
    // Each call starts with its id and name, then its arguments come in pieces; parallel calls
    // are interleaved, told apart only by index.
    calls.forEach((c, index) => chunk({ tool_calls: [{ index, id: c.id, type: 'function',
      function: { name: SCRIPT.tool.name, arguments: '' } }] }));
    const pieces = calls.map((c) => { const j = JSON.stringify(c.args); return [j.slice(0, 7), j.slice(7, 18), j.slice(18)]; });
    for (let k = 0; k < 3; k += 1) {
      await sleep(10);
      pieces.forEach((p, index) => chunk({ tool_calls: [{ index, function: { arguments: p[k] } }] }));
    }
  } else {
    for (const piece of phase === 'text' ? C.text : [SCRIPT.finalText]) {
      await sleep(10);
      chunk({ content: piece });
    }
  }
  chunk({}, finish);
  if (body.stream_options?.include_usage) {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: body.model,
      choices: [], usage: C.usage })}\n\n`);
  }
  res.end('data: [DONE]\n\n');
}

// --- Gemini: POST /v1beta/models/{model}:generateContent | :streamGenerateContent?alt=sse ----

const GEMINI_TOP = ['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'safetySettings',
  'cachedContent'];
const GEMINI_PART = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse', 'thought',
  'thoughtSignature', 'executableCode', 'codeExecutionResult'];
const GEMINI_SCHEMA = ['type', 'format', 'title', 'description', 'nullable', 'enum', 'maxItems', 'minItems',
  'properties', 'required', 'minProperties', 'maxProperties', 'minLength', 'maxLength', 'pattern', 'example',
  'anyOf', 'propertyOrdering', 'default', 'items', 'minimum', 'maximum'];

function validateSchema(s, at) {
  check(isObj(s), `${at}: a schema object`);
  onlyKeys(s, GEMINI_SCHEMA, at);
  for (const [k, v] of Object.entries(s.properties ?? {})) validateSchema(v, `${at}.properties.${k}`);
  if (s.items) validateSchema(s.items, `${at}.items`);
}

function validateGemini(req, body, stream) {
  check(req.headers['x-goog-api-key'] === SCRIPT.gemini.key, 'x-goog-api-key is missing or wrong');
  check(req.headers.authorization === undefined, 'the key goes in x-goog-api-key');
  onlyKeys(body, GEMINI_TOP, 'GenerateContentRequest');
  check(Array.isArray(body.contents) && body.contents.length > 0, 'contents is required');
  body.contents.forEach((c, i) => {
    const at = `contents[${i}]`;
    onlyKeys(c, ['role', 'parts'], at);
    check(c.role === 'user' || c.role === 'model', `${at}.role: user or model, got ${c.role}`);
    check(Array.isArray(c.parts) && c.parts.length > 0, `${at}.parts: must not be empty`);
    c.parts.forEach((p, j) => {
      onlyKeys(p, GEMINI_PART, `${at}.parts[${j}]`);
      const data = ['text', 'inlineData', 'fileData', 'functionCall', 'functionResponse'].filter((k) => k in p);
      check(data.length === 1, `${at}.parts[${j}]: exactly one data field`);
      if (p.functionCall) check(c.role === 'model' && p.functionCall.name && isObj(p.functionCall.args ?? {}), `${at}: bad functionCall`);
      if (p.functionResponse) {
        check(c.role === 'user', `${at}: functionResponse in a user turn`);
        check(p.functionResponse.name && isObj(p.functionResponse.response), `${at}: functionResponse needs name and response object`);
        const prev = body.contents[i - 1];
        check(prev?.role === 'model' && prev.parts.some((q) => q.functionCall?.name === p.functionResponse.name),
          `${at}: functionResponse ${p.functionResponse.name} answers no functionCall of the previous turn`);
      }
    });
    const calls = c.parts.filter((p) => p.functionCall).length;
    const answers = body.contents[i + 1]?.parts.filter((p) => p.functionResponse).length ?? 0;
    check(calls === 0 || calls === answers,
      `${at}: the number of function response parts (${answers}) must equal the number of function call parts (${calls})`);
  });
  if (body.systemInstruction) {
    check(Array.isArray(body.systemInstruction.parts) && body.systemInstruction.parts.every((p) => typeof p.text === 'string'),
      'systemInstruction: parts of text');
  }
  for (const t of body.tools ?? []) {
    for (const d of t.functionDeclarations ?? []) {
      onlyKeys(d, ['name', 'description', 'parameters', 'parametersJsonSchema', 'behavior', 'response'], 'functionDeclarations[]');
      check(d.name, 'functionDeclarations[]: name');
      if (d.parameters) validateSchema(d.parameters, `functionDeclarations[${d.name}].parameters`);
    }
  }
  if (body.generationConfig) {
    onlyKeys(body.generationConfig, ['temperature', 'topP', 'topK', 'maxOutputTokens', 'stopSequences', 'candidateCount',
      'responseMimeType', 'responseSchema', 'thinkingConfig', 'seed', 'presencePenalty', 'frequencyPenalty'], 'generationConfig');
  }
}

function geminiPhase(body) {
  const last = body.contents.at(-1);
  const responses = last.parts.filter((p) => p.functionResponse).map((p) => p.functionResponse);
  for (const response of responses) {
    check(response.name === SCRIPT.tool.name, `functionResponse is for ${response.name}`);
    check(same(response.response, SCRIPT.result), `functionResponse.response is wrong: ${JSON.stringify(response.response)}`);
  }
  if (responses.length) {
    for (const p of body.contents.at(-2).parts.filter((q) => q.functionCall)) {
      check(isScriptedArgs(p.functionCall.args), `replayed functionCall args are wrong: ${JSON.stringify(p.functionCall.args)}`);
    }
    return 'final';
  }
  const decls = (body.tools ?? []).flatMap((t) => t.functionDeclarations ?? []);
  if (decls.length) {
    check(decls.some((d) => d.name === SCRIPT.tool.name), 'get_weather is not among the functionDeclarations');
    return 'tool';
  }
  return 'text';
}

async function strictGemini(req, body, res, model, stream) {
  validateGemini(req, body, stream);
  const phase = geminiPhase(body);
  const G = SCRIPT.gemini;
  const candidate = (parts, finish) => ({ content: { role: 'model', parts }, ...(finish ? { finishReason: finish } : {}), index: 0 });
  const frame = (parts, finish, usage) => ({ candidates: [candidate(parts, finish)], usageMetadata: usage,
    modelVersion: model, responseId: G.responseId });
  const lastUser = body.contents.filter((c) => c.role === 'user').at(-1);
  const callParts = scriptedCalls(textOf(lastUser.parts), [])
    .map((c) => ({ functionCall: { name: SCRIPT.tool.name, args: c.args } }));
  if (!stream) {
    const parts = phase === 'tool' ? callParts : [{ text: phase === 'text' ? G.text.join('') : SCRIPT.finalText }];
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(frame(parts, 'STOP', G.usage)));
  }
  sse(res);
  const send = (obj) => res.write(`data: ${JSON.stringify(obj)}\r\n\r\n`);
  const partial = { promptTokenCount: G.usage.promptTokenCount, totalTokenCount: G.usage.promptTokenCount };
  if (phase === 'tool') {
    send(frame(callParts, 'STOP', G.usage));
  } else {
    const pieces = phase === 'text' ? G.text : [SCRIPT.finalText];
    for (const [i, piece] of pieces.entries()) {
      await sleep(10);
      const last = i === pieces.length - 1;
      send(frame([{ text: piece }], last ? 'STOP' : undefined, last ? G.usage : partial));
    }
  }
  res.end();
}

// kind: 'anthropic', 'chat' or 'gemini'. Resolves to { url, requests, refusals, close }; `url`
// is the base URL to configure in aigw.
export async function startStrictProvider(kind) {
  const requests = [];
  const refusals = [];
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const part of req) raw += part;
    const record = { method: req.method, url: req.url, headers: req.headers, body: raw };
    requests.push(record);
    const notFound = () => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `fake ${kind} has no ${req.method} ${req.url}`, type: 'not_found_error' } }));
    };
    let route;
    let gemini;
    if (req.method === 'POST' && kind === 'anthropic' && req.url === '/v1/messages') route = strictAnthropic;
    if (req.method === 'POST' && kind === 'chat' && req.url === '/v1/chat/completions') route = strictChat;
    if (req.method === 'POST' && kind === 'gemini') {
      gemini = /^\/v1beta\/models\/([\w.-]+):(generateContent|streamGenerateContent\?alt=sse)$/.exec(req.url);
      if (gemini) route = strictGemini;
    }
    if (!route) return notFound();
    try {
      check(/^application\/json/.test(req.headers['content-type'] ?? ''), 'content-type must be application/json');
      let body;
      try { body = JSON.parse(raw); } catch { throw new Refusal('the body is not JSON'); }
      check(isObj(body), 'the body must be a JSON object');
      record.json = body;
      if (gemini) await route(req, body, res, gemini[1], gemini[2] !== 'generateContent');
      else await route(req, body, res);
    } catch (err) {
      if (!(err instanceof Refusal) && !(err instanceof SyntaxError)) throw err;
      refusals.push(err.message);
      const status = 400;
      const payload = kind === 'anthropic'
        ? { type: 'error', error: { type: 'invalid_request_error', message: `fake anthropic: ${err.message}` } }
        : kind === 'chat'
          ? { error: { message: `fake chat: ${err.message}`, type: 'invalid_request_error', param: null, code: null } }
          : { error: { code: 400, message: `fake gemini: ${err.message}`, status: 'INVALID_ARGUMENT' } };
      if (res.headersSent) return res.end();
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const root = `http://127.0.0.1:${server.address().port}`;
  return {
    url: kind === 'gemini' ? `${root}/v1beta` : `${root}/v1`,
    requests,
    refusals,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
