// lifecycle.test.mjs — start-up errors, SIGHUP reload, SIGTERM drain, and
// the keys command, against real processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startMock, startSeam, run, sleep, waitFor } from './lib.mjs';

const base = ({ port, dir }, routes) => `
server: { listen: 127.0.0.1:${port}, workers: 2, shutdown_grace: 10s }
storage: { url: "sqlite://${dir}/seam.db" }
providers:
  local: { type: mock, echo: true, chunk_delay: 100ms }
routes:
${routes}
`;

test('a config error at start names file, line and key, and nothing is served', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seam-e2e-'));
  const path = join(dir, 'seam.yaml');
  writeFileSync(path, `server:\n  listen: 127.0.0.1:1\nroutes:\n  chat:\n    targets:\n      - { provider: ghost, model: m }\n`);
  const r = run(['serve', '--config', path]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`${path}:6: routes\\.chat\\.targets\\[0\\]\\.provider: .*ghost`));
});

test('SIGHUP reloads the config without dropping connections; a bad one is refused', async () => {
  const seam = await startSeam({ config: (o) => base(o, '  chat: { targets: [ { provider: local, model: a } ] }') });
  const client = new OpenAI({ apiKey: seam.keys.test, baseURL: seam.baseURL, maxRetries: 0 });
  try {
    // a stream in flight across the reload keeps going
    const stream = await client.chat.completions.create({
      model: 'chat',
      stream: true,
      messages: [{ role: 'user', content: 'one two three four five six seven eight' }],
    });
    const collected = (async () => {
      let t = '';
      for await (const c of stream) t += c.choices[0]?.delta?.content ?? '';
      return t;
    })();

    await assert.rejects(client.chat.completions.create({ model: 'added', messages: [{ role: 'user', content: 'x' }] }), { status: 404 });
    const text = readFileSync(seam.path, 'utf8').replace('routes:\n', 'routes:\n  added: { targets: [ { provider: local, model: b } ] }\n');
    writeFileSync(seam.path, text);
    seam.proc.child.kill('SIGHUP');
    await waitFor(async () => {
      try {
        const r = await client.chat.completions.create({ model: 'added', messages: [{ role: 'user', content: 'new route' }] });
        return r.choices[0].message.content === 'new route';
      } catch {
        return false;
      }
    }, 'the new route');

    writeFileSync(seam.path, text.replace('routes:', 'routes:\n  bad: { targets: [] }\nroutez:'));
    seam.proc.child.kill('SIGHUP');
    await waitFor(async () => /reload refused/.test(seam.proc.stderr), 'the refusal');
    assert.match(seam.proc.stderr, new RegExp(`${seam.path}:\\d+: `));
    const still = await client.chat.completions.create({ model: 'added', messages: [{ role: 'user', content: 'still here' }] });
    assert.equal(still.choices[0].message.content, 'still here', 'the old config keeps serving');

    assert.equal(await collected, 'one two three four five six seven eight');
  } finally {
    await seam.stop();
  }
});

test('SIGTERM lets in-flight streams finish, then exits 0', async () => {
  const seam = await startSeam({ config: (o) => base(o, '  chat: { targets: [ { provider: local, model: a } ] }') });
  const client = new OpenAI({ apiKey: seam.keys.test, baseURL: seam.baseURL, maxRetries: 0 });
  const words = 'the stream goes on after the signal until it is done';
  const stream = await client.chat.completions.create({ model: 'chat', stream: true, messages: [{ role: 'user', content: words }] });
  const collected = (async () => {
    let t = '';
    for await (const c of stream) t += c.choices[0]?.delta?.content ?? '';
    return t;
  })();
  await sleep(150);
  seam.proc.child.kill('SIGTERM');
  assert.equal(await collected, words);
  const exit = await seam.proc.exit;
  assert.equal(exit.code, 0);
  await assert.rejects(fetch(seam.url('/healthz')), 'no longer listening');
  await seam.stop();
});

test('keys: the secret is printed once, only its hash is kept, revoke takes effect', async () => {
  const mock = await startMock();
  const seam = await startSeam({
    config: (o) => base(o, '  chat: { targets: [ { provider: local, model: a } ] }'),
    keys: [{ name: 'alice', routes: 'chat', tenant: 'acme' }],
  });
  try {
    const secret = seam.keys.alice;
    assert.match(secret, /^sk-seam-[A-Za-z0-9_-]{43}$/);
    const db = readFileSync(join(seam.dir, 'seam.db'));
    assert.ok(!db.includes(Buffer.from(secret)), 'the plaintext key is not stored');

    const eu = run(['keys', 'create', '--config', seam.path, '--name', 'eu-bot', '--regions', 'eu, us', '--tiers', 'private']);
    assert.equal(eu.code, 0);
    const bad = run(['keys', 'create', '--config', seam.path, '--name', 'cloudy', '--tiers', 'cloud']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /tiers entry 'cloud' is not valid: use private or vendor/);

    const list = run(['keys', 'list', '--config', seam.path]);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /^NAME\s+TENANT\s+ROUTES\s+REGIONS\s+TIERS\s+CREATED\s+STATUS$/m);
    assert.match(list.stdout, /alice\s+acme\s+chat\s+\(any\)\s+\(any\)\s+\S+\s+active/);
    assert.match(list.stdout, /eu-bot\s+-\s+\(all\)\s+eu,us\s+private\s+\S+\s+active/);
    assert.ok(!list.stdout.includes('cloudy'));
    assert.ok(!list.stdout.includes(secret));

    const client = new OpenAI({ apiKey: secret, baseURL: seam.baseURL, maxRetries: 0 });
    await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(run(['keys', 'revoke', 'alice', '--config', seam.path]).code, 0);
    await waitFor(async () => {
      try {
        await client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'x' }] });
        return false;
      } catch (e) {
        return e.status === 401;
      }
    }, 'the revocation', 3000);
    assert.equal(run(['keys', 'revoke', 'alice', '--config', seam.path]).code, 1);
  } finally {
    await seam.stop();
    await mock.stop();
  }
});
