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
