// providers.test.mjs — the same client calls through seam to every provider
// type, each served by `seam mock` speaking that vendor's own wire format:
// client x provider x {plain, streamed, tools, streamed tools}.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startMock, startSeam, waitFor } from './lib.mjs';

// Each provider type, as seam.yaml declares it against the mock at `url`
// (the mock's origin, without /v1).
const PROVIDERS = {
  openai: (origin) => `{ type: openai, base_url: "${origin}/v1" }`,
  'azure-openai': (origin) => `{ type: azure-openai, base_url: "${origin}", api_key: "env:SEAM_E2E_KEY" }`,
  anthropic: (origin) => `{ type: anthropic, base_url: "${origin}", api_key: "env:SEAM_E2E_KEY" }`,
  gemini: (origin) => `{ type: gemini, base_url: "${origin}", api_key: "env:SEAM_E2E_KEY" }`,
  bedrock: (origin) => `{ type: bedrock, base_url: "${origin}", region: us-east-1 }`,
};

let mock, seam, openai, anthropic;

before(async () => {
  mock = await startMock(['--echo']);
  const origin = `http://127.0.0.1:${mock.port}`;
  const env = { SEAM_E2E_KEY: 'not-a-real-key', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_REGION: 'us-east-1' };
  const providers = Object.entries(PROVIDERS)
    .map(([type, decl]) => `  p-${type}: ${decl(origin)}`)
    .join('\n');
  const routes = Object.keys(PROVIDERS)
    .map((type) => `  r-${type}: { targets: [ { provider: p-${type}, model: model-${type.replace(/[^a-z]/g, '')} } ] }`)
    .join('\n');
  seam = await startSeam({
    env,
    config: ({ port, dir }) => `
server: { listen: 127.0.0.1:${port}, workers: 2 }
storage: { url: "sqlite://${dir}/seam.db" }
providers:
${providers}
routes:
${routes}
`,
  });
  openai = new OpenAI({ apiKey: seam.keys.test, baseURL: seam.baseURL, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: seam.keys.test, baseURL: seam.url(''), maxRetries: 0 });
});

after(async () => {
  await seam?.stop();
  await mock?.stop();
});

const tools = [
  {
    type: 'function',
    function: {
      name: 'lookup_order',
      description: 'find an order',
      parameters: {
        type: 'object',
        properties: { order_id: { type: 'string' }, include_items: { type: 'boolean' } },
        required: ['order_id'],
      },
    },
  },
];

async function collect(stream) {
  let text = '';
  let finish = null;
  const calls = {};
  for await (const chunk of stream) {
    const c = chunk.choices[0];
    if (!c) continue;
    text += c.delta?.content ?? '';
    for (const tc of c.delta?.tool_calls ?? []) {
      calls[tc.index] ??= { id: '', name: '', arguments: '' };
      if (tc.id) calls[tc.index].id = tc.id;
      if (tc.function?.name) calls[tc.index].name += tc.function.name;
      if (tc.function?.arguments) calls[tc.index].arguments += tc.function.arguments;
    }
    if (c.finish_reason) finish = c.finish_reason;
  }
  return { text, finish, calls: Object.values(calls) };
}

for (const type of Object.keys(PROVIDERS)) {
  const model = `r-${type}`;
  const say = (content, extra = {}) => ({ model, messages: [{ role: 'user', content }], ...extra });

  test(`openai client -> ${type}: plain`, async () => {
    const r = await openai.chat.completions.create(say(`plain hello to ${type}`));
    assert.equal(r.choices[0].message.content, `plain hello to ${type}`);
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.ok(r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0, 'usage is never zero');
    // the access log counts what the answer says (translators hand seam the
    // counts they wrote; the others' are read from the body)
    await waitFor(
      () =>
        seam
          .accessLog()
          .some(
            (l) =>
              l.route === model &&
              l.stream === false &&
              l.tokens_in === r.usage.prompt_tokens &&
              l.tokens_out === r.usage.completion_tokens,
          ),
      `an access-log line of ${model} with the answer's token counts`,
    );
  });

  test(`openai client -> ${type}: streamed`, async () => {
    const r = await collect(await openai.chat.completions.create(say(`streamed hello to ${type}`, { stream: true })));
    assert.equal(r.text, `streamed hello to ${type}`);
    assert.equal(r.finish, 'stop');
  });

  test(`openai client -> ${type}: tools`, async () => {
    const r = await openai.chat.completions.create(say('where is order A-17?', { tools }));
    const call = r.choices[0].message.tool_calls[0];
    assert.equal(r.choices[0].finish_reason, 'tool_calls');
    assert.equal(call.function.name, 'lookup_order');
    assert.ok(call.id);
    assert.equal(typeof JSON.parse(call.function.arguments).order_id, 'string');
  });

  test(`openai client -> ${type}: streamed tools`, async () => {
    const plain = await openai.chat.completions.create(say('where is order A-17?', { tools }));
    const r = await collect(await openai.chat.completions.create(say('where is order A-17?', { tools, stream: true })));
    assert.equal(r.finish, 'tool_calls');
    assert.equal(r.calls.length, 1);
    assert.equal(r.calls[0].name, 'lookup_order');
    assert.deepEqual(JSON.parse(r.calls[0].arguments), JSON.parse(plain.choices[0].message.tool_calls[0].function.arguments));
  });
}

const anthropicTools = [
  {
    name: 'lookup_order',
    description: 'find an order',
    input_schema: {
      type: 'object',
      properties: { order_id: { type: 'string' }, include_items: { type: 'boolean' } },
      required: ['order_id'],
    },
  },
];

for (const type of Object.keys(PROVIDERS)) {
  const model = `r-${type}`;
  const ask = (content, extra = {}) => ({ model, max_tokens: 256, messages: [{ role: 'user', content }], ...extra });

  test(`anthropic client -> ${type}: plain`, async () => {
    const m = await anthropic.messages.create(ask(`plain hello to ${type}`, { system: 'be brief' }));
    assert.equal(m.type, 'message');
    assert.equal(m.role, 'assistant');
    assert.match(m.id, /^msg_(?!msg_)/, 'one msg_ prefix, also when the upstream is Anthropic');
    assert.equal(m.content[0].type, 'text');
    assert.equal(m.content[0].text, `plain hello to ${type}`);
    assert.equal(m.stop_reason, 'end_turn');
    assert.ok(m.usage.input_tokens > 0 && m.usage.output_tokens > 0, 'usage is never zero');
  });

  test(`anthropic client -> ${type}: streamed`, async () => {
    const stream = anthropic.messages.stream(ask(`streamed hello to ${type}`));
    const events = [];
    stream.on('streamEvent', (e) => events.push(e.type));
    const m = await stream.finalMessage();
    assert.equal(m.content[0].text, `streamed hello to ${type}`);
    assert.equal(m.stop_reason, 'end_turn');
    assert.ok(m.usage.output_tokens > 0);
    assert.equal(events[0], 'message_start');
    assert.equal(events.at(-1), 'message_stop');
    assert.ok(events.includes('content_block_delta'));
  });

  test(`anthropic client -> ${type}: tools`, async () => {
    const m = await anthropic.messages.create(ask('where is order A-17?', { tools: anthropicTools }));
    const use = m.content.find((b) => b.type === 'tool_use');
    assert.equal(m.stop_reason, 'tool_use');
    assert.equal(use.name, 'lookup_order');
    assert.ok(use.id);
    assert.equal(typeof use.input.order_id, 'string');
  });

  test(`anthropic client -> ${type}: streamed tools`, async () => {
    const plain = await anthropic.messages.create(ask('where is order A-17?', { tools: anthropicTools }));
    const m = await anthropic.messages.stream(ask('where is order A-17?', { tools: anthropicTools })).finalMessage();
    const use = m.content.find((b) => b.type === 'tool_use');
    assert.equal(m.stop_reason, 'tool_use');
    assert.equal(use.name, 'lookup_order');
    assert.deepEqual(use.input, plain.content.find((b) => b.type === 'tool_use').input, 'streamed input reassembles exactly');
  });
}

test('a field the provider cannot take is a 400 naming it', async () => {
  await assert.rejects(
    openai.chat.completions.create({ model: 'r-anthropic', n: 2, messages: [{ role: 'user', content: 'x' }] }),
    (e) => e.status === 400 && /\bn\b/.test(e.message) && /anthropic/.test(e.message),
  );
});

for (const type of ['openai', 'azure-openai', 'gemini']) {
  test(`openai client -> ${type}: embeddings`, async () => {
    const r = await openai.embeddings.create({ model: `r-${type}`, input: ['first text', 'second text'] });
    assert.equal(r.data.length, 2);
    assert.equal(r.data[1].index, 1);
    assert.ok(r.data[0].embedding.length > 0);
    assert.notDeepEqual(r.data[0].embedding, r.data[1].embedding);
  });
}

for (const type of ['anthropic', 'bedrock']) {
  test(`openai client -> ${type}: embeddings are refused, naming the provider`, async () => {
    await assert.rejects(openai.embeddings.create({ model: `r-${type}`, input: 'x' }), (e) => e.status === 400 && e.message.includes(type));
  });
}
