// errors.test.mjs — every failure reaches the client as OpenAI-format error
// JSON with a stable seam code, and as the SDK's matching error class.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startMock, startSeam, freePort, sleep } from './lib.mjs';

let mock, seam, client, deadPort;

before(async () => {
  mock = await startMock(['--echo']);
  deadPort = await freePort(); // nothing listens here
  seam = await startSeam({
    config: ({ port, dir }) => `
server: { listen: 127.0.0.1:${port}, workers: 1, max_body: 64k }
timeouts: { connect: 1s, first_byte: 1500ms, between_events: 1s, total: 20s }
storage: { url: "sqlite://${dir}/seam.db" }
providers:
  # faults are provoked one by one here: no breaker (routing.test.mjs has those)
  up: { type: openai, base_url: "${mock.url}", breaker: { failures: 0 } }
  down: { type: openai, base_url: "http://127.0.0.1:${deadPort}/v1" }
routes:
  chat: { targets: [ { provider: up, model: m } ] }
  other: { targets: [ { provider: up, model: m } ] }
  broken: { targets: [ { provider: down, model: m } ] }
`,
    keys: [{ name: 'test' }, { name: 'narrow', routes: 'chat' }, { name: 'direct', routes: 'chat,up/*' }],
  });
  client = new OpenAI({ apiKey: seam.keys.test, baseURL: seam.baseURL, maxRetries: 0 });
});

after(async () => {
  await seam?.stop();
  await mock?.stop();
});

const say = (content, extra = {}) => ({ model: 'chat', messages: [{ role: 'user', content }], ...extra });

async function rejects(promise, Class, status, code) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof Class, `expected ${Class.name}, got ${e.constructor.name}: ${e.message}`);
    assert.equal(e.status, status);
    if (code) assert.equal(e.code ?? e.error?.code, code);
    return e;
  }
  assert.fail(`expected ${Class.name}`);
}

async function raw(body, headers = {}) {
  const r = await fetch(seam.url('/v1/chat/completions'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${seam.keys.test}`, ...headers },
    body,
  });
  return { status: r.status, body: await r.json() };
}

test('bad JSON is a 400 that says where', async () => {
  const r = await raw('{"model": "chat",\n "messages": [\n  {"role": "user" "content": "x"}]}');
  assert.equal(r.status, 400);
  assert.equal(r.body.error.code, 'invalid_json');
  assert.equal(r.body.error.type, 'invalid_request_error');
  assert.match(r.body.error.message, /line 3, column 19/);
});

test('a body over server.max_body is a 413 in OpenAI format', async () => {
  const e = await rejects(client.chat.completions.create(say('x'.repeat(70 * 1024))), OpenAI.APIError, 413, 'body_too_large');
  assert.match(e.message, /max_body/);
});

test('a missing key is a 401', async () => {
  const r = await raw('{}', { authorization: '' });
  assert.equal(r.status, 401);
  assert.equal(r.body.error.code, 'missing_api_key');
});

test('an invalid key is an AuthenticationError', async () => {
  const bad = new OpenAI({ apiKey: 'sk-seam-not-a-real-key', baseURL: seam.baseURL, maxRetries: 0 });
  await rejects(bad.chat.completions.create(say('hi')), OpenAI.AuthenticationError, 401, 'invalid_api_key');
});

test('a route the key may not use is a PermissionDeniedError', async () => {
  const narrow = new OpenAI({ apiKey: seam.keys.narrow, baseURL: seam.baseURL, maxRetries: 0 });
  await narrow.chat.completions.create(say('allowed'));
  await rejects(
    narrow.chat.completions.create({ ...say('not allowed'), model: 'other' }),
    OpenAI.PermissionDeniedError,
    403,
    'route_not_allowed',
  );
  await rejects(
    narrow.chat.completions.create({ ...say('direct'), model: 'up/m' }),
    OpenAI.PermissionDeniedError,
    403,
    'route_not_allowed',
  );
  const ids = [];
  for await (const m of narrow.models.list()) ids.push(m.id);
  assert.deepEqual(ids, ['chat']);
});

test('provider/model works for a key with direct access', async () => {
  const direct = new OpenAI({ apiKey: seam.keys.direct, baseURL: seam.baseURL, maxRetries: 0 });
  const r = await direct.chat.completions.create({ ...say('direct hello'), model: 'up/some-model' });
  assert.equal(r.model, 'some-model');
  assert.equal(r.choices[0].message.content, 'direct hello');
});

test('an unknown route is a NotFoundError', async () => {
  await rejects(client.chat.completions.create({ ...say('x'), model: 'nope' }), OpenAI.NotFoundError, 404, 'unknown_route');
});

test('an upstream that is down is a 502', async () => {
  const e = await rejects(
    client.chat.completions.create({ ...say('x'), model: 'broken' }),
    OpenAI.InternalServerError,
    502,
    'upstream_unavailable',
  );
  assert.match(e.message, /could not be reached/);
});

test('an upstream 5xx is a 502 and a 429 is a RateLimitError', async () => {
  await rejects(client.chat.completions.create(say('[[mock:500]]')), OpenAI.InternalServerError, 502, 'upstream_error');
  await rejects(client.chat.completions.create(say('[[mock:503]]')), OpenAI.InternalServerError, 502, 'upstream_error');
  const e = await rejects(client.chat.completions.create(say('[[mock:429]]')), OpenAI.RateLimitError, 429);
  assert.equal(e.headers.get('retry-after'), '1', 'Retry-After is passed on');
});

test('an upstream that resets the connection is a 502', async () => {
  await rejects(client.chat.completions.create(say('[[mock:reset]]')), OpenAI.InternalServerError, 502, 'upstream_unavailable');
});

test('an upstream that sends no first byte in time is a 504', async () => {
  const t0 = Date.now();
  await rejects(client.chat.completions.create(say('[[mock:slow]]')), OpenAI.InternalServerError, 504, 'upstream_timeout');
  assert.ok(Date.now() - t0 < 5000, 'answered at the first_byte timeout, not the slow reply');
});

test('a stream that stalls after its first byte ends in an error event', async () => {
  const stream = await client.chat.completions.create(say('[[mock:stall]] please stream', { stream: true }));
  let chunks = 0;
  const e = await rejects(
    (async () => {
      for await (const _ of stream) chunks++;
    })(),
    OpenAI.APIError,
    undefined,
    'upstream_timeout',
  ).catch((err) => err);
  assert.ok(chunks >= 1, 'the first events arrived before the stall');
  assert.match(String(e?.message ?? e), /between_events/);
});

test('a client that hangs up while seam waits for the first byte cancels the call', async () => {
  const ac = new AbortController();
  const p = client.chat.completions.create(say('[[mock:slow]] abandon me'), { signal: ac.signal });
  await sleep(300);
  ac.abort();
  await assert.rejects(p);
  await sleep(400);
  const lines = seam.accessLog().filter((l) => l.status === 499);
  assert.equal(lines.length, 1, 'the request ended as 499 at once, not at the upstream timeout');
  assert.equal(lines[0].error, 'client_closed');
  const metrics = await (await fetch(seam.url('/metrics'))).text();
  assert.match(metrics, /seam_requests_inflight 1\n/, 'only the scrape itself is in flight');
});

test('unknown endpoints and wrong methods answer in OpenAI format', async () => {
  let r = await fetch(seam.url('/v1/nothing'));
  assert.equal(r.status, 404);
  assert.equal((await r.json()).error.code, 'not_found');
  r = await fetch(seam.url('/v1/chat/completions'));
  assert.equal(r.status, 405);
  assert.equal((await r.json()).error.code, 'method_not_allowed');
});
