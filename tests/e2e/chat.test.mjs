// chat.test.mjs — the OpenAI SDK through seam to an OpenAI-type upstream
// (seam mock on loopback) and to the in-process mock provider.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startMock, startSeam } from './lib.mjs';

let mock, seam, client;

before(async () => {
  mock = await startMock(['--echo']);
  seam = await startSeam({
    config: ({ port, dir }) => `
server: { listen: 127.0.0.1:${port}, workers: 2 }
storage: { url: "sqlite://${dir}/seam.db" }
providers:
  # faults are provoked one by one here: no breaker (routing.test.mjs has those)
  up: { type: openai, base_url: "${mock.url}", breaker: { failures: 0 } }
  local: { type: mock, echo: true }
routes:
  chat: { targets: [ { provider: up, model: upstream-model } ] }
  local: { targets: [ { provider: local, model: local-model } ] }
  embed: { targets: [ { provider: up, model: embed-model } ] }
`,
  });
  client = new OpenAI({ apiKey: seam.keys.test, baseURL: seam.baseURL, maxRetries: 0 });
});

after(async () => {
  await seam?.stop();
  await mock?.stop();
});

test('plain chat reaches the upstream and comes back with usage', async () => {
  const { data, response } = await client.chat.completions
    .create({ model: 'chat', messages: [{ role: 'user', content: 'hello through seam' }] })
    .withResponse();
  assert.equal(data.choices[0].message.content, 'hello through seam');
  assert.equal(data.model, 'upstream-model', 'the route swapped in its model name');
  assert.ok(data.usage.prompt_tokens > 0 && data.usage.completion_tokens > 0);
  assert.equal(response.headers.get('x-seam-route'), 'chat');
  assert.equal(response.headers.get('x-seam-target'), 'up/upstream-model');
});

test('unknown fields and every listed parameter pass through untouched', async () => {
  const data = await client.chat.completions.create({
    model: 'chat',
    messages: [{ role: 'user', content: 'params' }],
    n: 2,
    stop: ['zzz'],
    seed: 7,
    user: 'u-1',
    response_format: { type: 'text' },
    some_future_field: { nested: [1, 2, 3] },
  });
  assert.equal(data.choices.length, 2, 'n reached the upstream');
});

test('streamed chat arrives as deltas and ends cleanly', async () => {
  const stream = await client.chat.completions.create({
    model: 'chat',
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'stream me these words please' }],
  });
  let text = '';
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.delta.content ?? '';
      if (c.finish_reason) finish = c.finish_reason;
    }
  }
  assert.equal(text, 'stream me these words please');
  assert.equal(finish, 'stop');
  assert.ok(usage && usage.completion_tokens > 0, 'the usage chunk came through');
});

test('a stream whose client did not ask for usage is still counted, and gets no usage chunk', async () => {
  await new Promise((res) => setTimeout(res, 500)); // earlier lines flushed first
  const counted = () => seam.accessLog().filter((l) => l.stream === true && l.status === 200 && l.tokens_out > 0).length;
  const before = counted();
  const r = await fetch(seam.url('/v1/chat/completions'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${seam.keys.test}`, 'x-seam-subject': 'usage-check' },
    body: JSON.stringify({ model: 'chat', stream: true, messages: [{ role: 'user', content: 'count my tokens please' }] }),
  });
  const text = await r.text();
  assert.equal(r.status, 200);
  // chunks may carry "usage":null, as OpenAI's do once usage is asked for
  assert.ok(!/"usage":\{/.test(text), 'the client did not ask for usage and gets no usage chunk');
  assert.ok(text.trimEnd().endsWith('data: [DONE]'));
  await new Promise((res) => setTimeout(res, 500)); // the log is flushed every 200 ms
  assert.equal(counted(), before + 1, 'seam asked the upstream for usage and logged the tokens');
});

const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'weather for a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string' }, days: { type: 'integer' }, metric: { type: 'boolean' } },
        required: ['city'],
      },
    },
  },
];

test('tool calls arrive intact, plain and streamed', async () => {
  const plain = await client.chat.completions.create({
    model: 'chat',
    tools,
    messages: [{ role: 'user', content: 'weather in Paris, please, for the whole coming week' }],
  });
  const call = plain.choices[0].message.tool_calls[0];
  assert.equal(call.function.name, 'get_weather');
  assert.equal(plain.choices[0].finish_reason, 'tool_calls');
  const args = JSON.parse(call.function.arguments);

  const stream = await client.chat.completions.create({
    model: 'chat',
    tools,
    stream: true,
    messages: [{ role: 'user', content: 'weather in Paris, please, for the whole coming week' }],
  });
  const calls = {};
  let pieces = 0;
  for await (const chunk of stream) {
    for (const tc of chunk.choices[0]?.delta?.tool_calls ?? []) {
      calls[tc.index] ??= { id: '', name: '', arguments: '' };
      if (tc.id) calls[tc.index].id = tc.id;
      if (tc.function?.name) calls[tc.index].name += tc.function.name;
      if (tc.function?.arguments) {
        calls[tc.index].arguments += tc.function.arguments;
        pieces++;
      }
    }
  }
  assert.ok(pieces >= 3, `arguments came in ${pieces} pieces`);
  assert.equal(calls[0].name, 'get_weather');
  assert.ok(calls[0].id.length > 0);
  assert.deepEqual(JSON.parse(calls[0].arguments), args, 'streamed arguments reassemble exactly');
});

test('embeddings', async () => {
  const r = await client.embeddings.create({ model: 'embed', input: ['one', 'two'] });
  assert.equal(r.data.length, 2);
  assert.ok(r.data[0].embedding.length > 0);
  assert.notDeepEqual(r.data[0].embedding, r.data[1].embedding);
  assert.equal(r.model, 'embed-model');
});

test('models lists the routes this key may use', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids.sort(), ['chat', 'embed', 'local']);
});

test('the in-process mock provider answers plain and streamed', async () => {
  const plain = await client.chat.completions.create({
    model: 'local',
    messages: [{ role: 'user', content: 'local echo' }],
  });
  assert.equal(plain.choices[0].message.content, 'local echo');
  const stream = await client.chat.completions.create({
    model: 'local',
    stream: true,
    messages: [{ role: 'user', content: 'local stream echo' }],
  });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(text, 'local stream echo');
});

test('200 concurrent streams all complete', async () => {
  const one = async (i) => {
    const stream = await client.chat.completions.create({
      model: 'chat',
      stream: true,
      messages: [{ role: 'user', content: `stream number ${i} of many` }],
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    return text;
  };
  const texts = await Promise.all(Array.from({ length: 200 }, (_, i) => one(i)));
  texts.forEach((t, i) => assert.equal(t, `stream number ${i} of many`));
});

test('the access log has one line per request and no prompt text', async () => {
  await client.chat.completions.create({
    model: 'chat',
    messages: [{ role: 'user', content: 'SECRET-PROMPT-TEXT-42' }],
  });
  await new Promise((r) => setTimeout(r, 500)); // the log is flushed every 200 ms
  const lines = seam.accessLog();
  assert.ok(lines.length > 0);
  assert.ok(!seam.proc.stderr.includes('SECRET-PROMPT-TEXT-42'));
  assert.ok(!seam.proc.stderr.includes(seam.keys.test), 'no key secret in the log');
  // workers flush their logs independently, so lines are not in request order
  const answered = lines.filter(
    (l) => l.path === '/v1/chat/completions' && l.route === 'chat' && l.stream === false && l.status === 200,
  );
  assert.ok(answered.length >= 4, 'every answered chat request has its line');
  for (const l of answered) {
    assert.equal(l.key, 'test');
    assert.equal(l.target, 'up/upstream-model');
    assert.ok(l.tokens_in > 0 && l.tokens_out > 0, 'tokens are logged');
    assert.ok(l.duration_us > 0 && l.upstream_us > 0);
  }
});

test('metrics count requests by route, provider and status', async () => {
  const text = await (await fetch(seam.url('/metrics'))).text();
  const m = text.match(/seam_requests_total\{route="chat",provider="up",status="200"\} (\d+)/);
  assert.ok(m && Number(m[1]) >= 200, 'chat requests counted');
  assert.match(text, /seam_request_duration_seconds_bucket\{le="\+Inf"\} \d+/);
  assert.match(text, /seam_upstream_duration_seconds_count \d+/);
  assert.match(text, /seam_tokens_total\{route="chat",provider="up",direction="in"\} \d+/);
  assert.match(text, /seam_requests_inflight \d+/);
});
