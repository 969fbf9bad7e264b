// anthropic.test.mjs — the official Anthropic client against seam's
// /v1/messages: errors in Anthropic's format as the SDK's error classes,
// count_tokens, and a stream that fails midway.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startMock, startSeam } from './lib.mjs';

let mock, seam, client;

before(async () => {
  mock = await startMock(['--echo']);
  seam = await startSeam({
    config: ({ port, dir }) => `
server: { listen: 127.0.0.1:${port}, workers: 1 }
timeouts: { first_byte: 1500ms, between_events: 1s }
storage: { url: "sqlite://${dir}/seam.db" }
providers:
  # faults are provoked one by one here: no breaker (routing.test.mjs has those)
  up: { type: openai, base_url: "${mock.url}", breaker: { failures: 0 } }
routes:
  chat: { targets: [ { provider: up, model: m } ] }
  other: { targets: [ { provider: up, model: m } ] }
`,
    keys: [{ name: 'test' }, { name: 'narrow', routes: 'chat' }],
  });
  client = new Anthropic({ apiKey: seam.keys.test, baseURL: seam.url(''), maxRetries: 0 });
});

after(async () => {
  await seam?.stop();
  await mock?.stop();
});

const ask = (content, extra = {}) => ({ model: 'chat', max_tokens: 100, messages: [{ role: 'user', content }], ...extra });

async function rejects(promise, Class, status, type) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof Class, `expected ${Class.name}, got ${e.constructor.name}: ${e.message}`);
    if (status) assert.equal(e.status, status);
    if (type) assert.equal(e.error?.error?.type, type);
    return e;
  }
  assert.fail(`expected ${Class.name}`);
}

test('an invalid key is an AuthenticationError in Anthropic format', async () => {
  const bad = new Anthropic({ apiKey: 'sk-seam-nope', baseURL: seam.url(''), maxRetries: 0 });
  await rejects(bad.messages.create(ask('hi')), Anthropic.AuthenticationError, 401, 'authentication_error');
});

test('a route the key may not use is a PermissionDeniedError; an unknown one a NotFoundError', async () => {
  const narrow = new Anthropic({ apiKey: seam.keys.narrow, baseURL: seam.url(''), maxRetries: 0 });
  await rejects(narrow.messages.create({ ...ask('x'), model: 'other' }), Anthropic.PermissionDeniedError, 403, 'permission_error');
  await rejects(client.messages.create({ ...ask('x'), model: 'nope' }), Anthropic.NotFoundError, 404, 'not_found_error');
});

test('a request Anthropic would refuse is a BadRequestError naming the field', async () => {
  const e = await rejects(
    client.messages.create({ model: 'chat', messages: [{ role: 'user', content: 'no max_tokens' }] }),
    Anthropic.BadRequestError,
    400,
    'invalid_request_error',
  );
  assert.match(e.message, /max_tokens/);
});

test('a body that is not JSON is a 400 that says where, on messages and count_tokens', async () => {
  for (const path of ['/v1/messages', '/v1/messages/count_tokens']) {
    const r = await fetch(seam.url(path), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': seam.keys.test, 'anthropic-version': '2023-06-01' },
      body: '{"model": "chat", "max_tokens": 5,\n "messages": [}',
    });
    assert.equal(r.status, 400, path);
    const body = await r.json();
    assert.equal(body.type, 'error');
    assert.equal(body.error.type, 'invalid_request_error');
    assert.match(body.error.message, /not valid JSON.*line 2, column 15/, path);
  }
});

test('upstream faults keep their meaning', async () => {
  await rejects(client.messages.create(ask('[[mock:429]]')), Anthropic.RateLimitError, 429, 'rate_limit_error');
  await rejects(client.messages.create(ask('[[mock:500]]')), Anthropic.InternalServerError, 502);
  await rejects(client.messages.create(ask('[[mock:slow]]')), Anthropic.InternalServerError, 504);
});

test('a stream that stalls midway ends with an error event', async () => {
  const stream = client.messages.stream(ask('[[mock:stall]] tell me a long story'));
  const seen = [];
  stream.on('streamEvent', (e) => seen.push(e.type));
  await assert.rejects(stream.finalMessage(), (e) => {
    assert.match(String(e.message), /between_events/);
    return true;
  });
  assert.equal(seen[0], 'message_start', 'the stream had begun');
});

test('count_tokens gives an estimate', async () => {
  const r = await client.messages.countTokens({
    model: 'chat',
    system: 'you are terse',
    messages: [{ role: 'user', content: 'count the tokens of this sentence, please' }],
  });
  assert.ok(r.input_tokens > 5 && r.input_tokens < 100, `input_tokens ${r.input_tokens}`);
});

test('multi-turn history with a tool round trip reaches the upstream intact', async () => {
  const m = await client.messages.create({
    model: 'chat',
    max_tokens: 100,
    system: [{ type: 'text', text: 'you help with orders' }],
    tools: [{ name: 'lookup', description: 'd', input_schema: { type: 'object', properties: { id: { type: 'string' } } } }],
    messages: [
      { role: 'user', content: 'where is A-1?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { id: 'A-1' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'shipped' }, { type: 'text', text: 'and now?' }] },
    ],
  });
  // the turn ends in user text, so the mock calls the tool again, filling
  // string arguments with that last user text
  assert.equal(m.stop_reason, 'tool_use');
  assert.equal(m.model, 'chat', 'the reply names the model the client asked for, as Anthropic does');
  const use = m.content.find((b) => b.type === 'tool_use');
  assert.equal(use.input.id, 'and now?', 'the last user text reached the upstream after the tool result');
});
