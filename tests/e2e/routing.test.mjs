// routing.test.mjs — canary weights, sticky subjects, fallbacks, retries,
// residency, overflow and shadow traffic, through a real seam in front of
// real `seam mock` processes, seen the way a client and an operator see
// them: answers, x-seam-* headers, /metrics and the access log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startMock, startSeam, freePort, sleep, waitFor, many } from './lib.mjs';

let a, b, slow, checked, laggy, seam;

before(async () => {
  a = await startMock(['--echo']);
  b = await startMock(['--echo']);
  slow = await startMock(['--echo', '--latency', '300']);
  const dead = await freePort(); // nothing listens there
  checked = await startMock(['--echo']);
  laggy = await startMock(['--echo', '--latency', '40']);
  seam = await startSeam({
    config: ({ port, dir }) => `
server: { listen: 127.0.0.1:${port}, workers: 2 }
timeouts: { connect: 1s, first_byte: 2s, between_events: 2s, total: 20s }
storage: { url: "sqlite://${dir}/seam.db" }
providers:
  a: { type: openai, base_url: "${a.url}", region: eu-west-1, tier: private }
  b: { type: openai, base_url: "${b.url}", region: us-east-1 }
  private: { type: openai, base_url: "${slow.url}", region: eu, tier: private, max_inflight: 4 }
  flaky: { type: openai, base_url: "http://127.0.0.1:${dead}/v1", breaker: { failures: 3, cooldown: 60s } }
  shadowed: { type: openai, base_url: "${slow.url}" }
  laggy: { type: openai, base_url: "${laggy.url}" }
  checked:
    type: openai
    base_url: "${checked.url}"
    health_check: { path: /models, interval: 100ms, timeout: 200ms, unhealthy: 2, healthy: 1 }
tenants:
  acme: { tiers: [private] }
routes:
  canary:
    targets: [ { provider: a, model: stable, weight: 95 }, { provider: b, model: candidate, weight: 5 } ]
  sticky:
    sticky: true
    targets: [ { provider: a, model: one, weight: 50 }, { provider: b, model: two, weight: 50 } ]
  fallback:
    targets: [ { provider: a, model: m } ]
    fallbacks: [ { provider: b, model: m2 } ]
    retry: { attempts: 3, per_target: 1 }
  retried:
    targets: [ { provider: a, model: r } ]
    retry: { attempts: 3, per_target: 3, backoff: 10ms, max_backoff: 1500ms }
  strict:
    targets: [ { provider: a, model: strict } ]
    retry: { on: [] }
  eu-or-us:
    targets: [ { provider: b, model: us-model } ]
    fallbacks: [ { provider: a, model: eu-model } ]
  us-only:
    targets: [ { provider: b, model: us-model } ]
  burst:
    targets: [ { provider: private, model: local } ]
    overflow: { provider: b, model: vendor, wait: 50ms }
  breaker:
    targets: [ { provider: flaky, model: m } ]
    fallbacks: [ { provider: a, model: backup } ]
    retry: { attempts: 2, per_target: 1 }
  balanced:
    balance: latency
    targets: [ { provider: a, model: quick }, { provider: laggy, model: slow } ]
  checked:
    targets: [ { provider: checked, model: m } ]
    fallbacks: [ { provider: a, model: instead } ]
  shadow:
    targets: [ { provider: a, model: primary } ]
    shadow: { provider: shadowed, model: candidate, sample: 1 }
`,
    keys: [
      { name: 'test' },
      { name: 'eu', regions: 'eu' },
      { name: 'private', tiers: 'private' },
      { name: 'tenant', tenant: 'acme' },
    ],
  });
});

after(async () => {
  await seam?.stop();
  for (const m of [a, b, slow, checked, laggy]) await m?.stop();
});

// Each route calls its own models: a breaker is per target (provider and
// model), so failures provoked on one route do not open another's.

// A raw call, so that headers and statuses are seen as they come.
async function call(model, { key = 'test', content = 'hi', headers = {}, extra = {} } = {}) {
  const r = await fetch(seam.url('/v1/chat/completions'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${seam.keys[key]}`, ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content }], ...extra }),
  });
  const body = await r.json();
  return { status: r.status, body, h: (n) => r.headers.get(n) };
}

test('every answer says what routing did', async () => {
  const r = await call('fallback');
  assert.equal(r.status, 200);
  assert.equal(r.h('x-seam-route'), 'fallback');
  assert.equal(r.h('x-seam-target'), 'a/m');
  assert.equal(r.h('x-seam-attempts'), '1');
  assert.equal(r.h('x-seam-fallback'), null);
});

test('canary: 5% weight gets 5% of 10,000 requests, within 2 points', async () => {
  const res = await many(10000, 64, () => call('canary'));
  const arms = { 'a/stable': 0, 'b/candidate': 0 };
  for (const r of res) {
    assert.equal(r.status, 200);
    arms[r.h('x-seam-target')]++;
  }
  assert.equal(arms['a/stable'] + arms['b/candidate'], 10000);
  const share = (100 * arms['b/candidate']) / 10000;
  assert.ok(share >= 3 && share <= 7, `candidate got ${share}%`);
});

test('sticky: a subject never switches arm (header or user field)', async () => {
  const seen = new Map();
  const both = new Set();
  await many(600, 32, async (i) => {
    const subject = `user-${i % 60}`;
    const r =
      i % 2
        ? await call('sticky', { headers: { 'x-seam-subject': subject } })
        : await call('sticky', { extra: { user: subject } });
    assert.equal(r.status, 200);
    const arm = r.h('x-seam-target');
    if (seen.has(subject)) assert.equal(arm, seen.get(subject), `${subject} switched arm`);
    seen.set(subject, arm);
    both.add(arm);
  });
  assert.equal(seen.size, 60);
  assert.deepEqual([...both].sort(), ['a/one', 'b/two']); // subjects do spread over both arms
});

test('a 503 falls back to the next target, and the headers say so', async () => {
  const r = await call('fallback', { content: 'please [[mock:503]]' });
  // the fallback mock is asked the same thing and fails the same way: the
  // client gets the last failure, after both were tried
  assert.equal(r.status, 502);
  assert.equal(r.h('x-seam-attempts'), '2');
  assert.equal(r.h('x-seam-target'), 'b/m2');
  assert.match(r.h('x-seam-fallback'), /a\/m: HTTP 503/);
  assert.equal(r.body.error.code, 'upstream_error');
});

test('an unreachable target falls back and the client gets an answer', async () => {
  // only the primary is down: the fallback's answer comes from mock b
  await a.stop();
  try {
    const r = await call('fallback');
    assert.equal(r.status, 200);
    assert.equal(r.h('x-seam-target'), 'b/m2');
    assert.equal(r.h('x-seam-attempts'), '2');
    assert.match(r.h('x-seam-fallback'), /a\/m: connect failed/);
    assert.equal(r.body.choices[0].message.content, 'hi');
  } finally {
    a = await startMock(['--echo'], a.port);
  }
});

test('a 429 is retried after its Retry-After, up to the attempt count', async () => {
  const t0 = Date.now();
  const r = await call('retried', { content: '[[mock:429]]' });
  const ms = Date.now() - t0;
  assert.equal(r.status, 429);
  assert.equal(r.h('x-seam-attempts'), '3');
  assert.equal(r.h('retry-after'), '1');
  assert.equal(r.body.error.code, 'upstream_rate_limited');
  // two waits of Retry-After: 1 s each (the mock's), not the 10 ms backoff
  assert.ok(ms >= 1900, `answered after ${ms} ms`);
});

test('retry.on: [] never retries', async () => {
  const r = await call('strict', { content: '[[mock:500]]' });
  assert.equal(r.status, 502);
  assert.equal(r.h('x-seam-attempts'), '1');
});

test('a 400 from the upstream is not retried', async () => {
  const r = await fetch(seam.url('/v1/chat/completions'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${seam.keys.test}` },
    body: JSON.stringify({ model: 'retried', messages: [] }), // the mock's 400: no messages
  });
  assert.equal(r.status, 400);
  assert.equal(r.headers.get('x-seam-attempts'), '1');
});

test('residency: a key limited to eu never reaches us, a fallback in eu answers', async () => {
  const r = await call('eu-or-us', { key: 'eu' });
  assert.equal(r.status, 200);
  assert.equal(r.h('x-seam-target'), 'a/eu-model');
  const anyone = await call('eu-or-us');
  assert.equal(anyone.h('x-seam-target'), 'b/us-model');
  const denied = await call('us-only', { key: 'eu' });
  assert.equal(denied.status, 403);
  assert.equal(denied.body.error.code, 'residency_denied');
  assert.match(denied.body.error.message, /region 'us-east-1'/);
  // the private tier: by the key's own list, or by its tenant's
  for (const key of ['private', 'tenant']) {
    const t = await call('us-only', { key });
    assert.equal(t.status, 403, key);
    assert.match(t.body.error.message, /vendor tier/);
  }
  const direct = await call('b/x', { key: 'eu' });
  assert.ok(direct.status === 403, `direct call: ${direct.status}`);
});

test('overflow: past max_inflight the vendor takes the excess, nobody waits past the bound', async () => {
  const res = await Promise.all(Array.from({ length: 12 }, () => call('burst')));
  const by = {};
  for (const r of res) {
    assert.equal(r.status, 200);
    by[r.h('x-seam-target')] = (by[r.h('x-seam-target')] ?? 0) + 1;
  }
  assert.equal(by['private/local'], 4, JSON.stringify(by));
  assert.equal(by['b/vendor'], 8, JSON.stringify(by));
  const over = res.filter((r) => r.h('x-seam-target') === 'b/vendor');
  for (const r of over) assert.match(r.h('x-seam-fallback'), /private\/local: full/);
  await waitFor(async () => /event="overflow"} 8/.test(await seam.metrics()), 'overflow metric');
  // the ones that waited for a slot stopped waiting at the 50 ms bound (the
  // access log says how long each waited; the slack is the event loop's)
  await waitFor(() => seam.accessLog().filter((l) => l.route === 'burst').length === 12, 'access log');
  const waited = seam.accessLog().filter((l) => l.route === 'burst' && 'queued_us' in l);
  assert.equal(waited.length, 8);
  for (const l of waited) assert.ok(l.queued_us >= 50000 && l.queued_us < 50000 + 250000, `waited ${l.queued_us} us`);
});

test('breaker: consecutive failures open it; requests then go straight to the fallback', async () => {
  for (let i = 0; i < 3; i++) {
    const r = await call('breaker');
    assert.equal(r.status, 200); // the fallback answered
    assert.equal(r.h('x-seam-attempts'), '2');
  }
  const m = await seam.metrics();
  assert.match(m, /seam_circuit_state\{target="flaky\/m"\} 1/);
  assert.match(m, /seam_circuit_opened_total\{target="flaky\/m"\} 1/);
  const r = await call('breaker');
  assert.equal(r.status, 200);
  assert.equal(r.h('x-seam-target'), 'a/backup');
  assert.equal(r.h('x-seam-attempts'), '1'); // no call to the open target
  assert.match(r.h('x-seam-fallback'), /flaky\/m: circuit open/);
  assert.match(await seam.metrics(), /seam_route_events_total\{route="breaker",event="fallback"\} [34]/);
});

test('balance: latency sends most requests to the faster target', async () => {
  const res = await many(400, 8, () => call('balanced'));
  const by = {};
  for (const r of res) {
    assert.equal(r.status, 200);
    by[r.h('x-seam-target')] = (by[r.h('x-seam-target')] ?? 0) + 1;
  }
  // equal weights; the slow arm answers 40 ms later: power of two choices
  // on latency x calls in flight keeps it to the few calls that measure it
  assert.ok((by['a/quick'] ?? 0) > 300, JSON.stringify(by));
  assert.ok((by['laggy/slow'] ?? 0) > 0, `the slow arm is still measured: ${JSON.stringify(by)}`);
  const lat = (await seam.metrics()).match(/seam_target_latency_seconds\{target="laggy\/slow"\} ([0-9.]+)/);
  assert.ok(lat && Number(lat[1]) >= 0.035, `latency of the slow arm: ${lat?.[1]}`);
});

test('active health checks take a dead server out of routing and bring it back', async () => {
  const up = async () => Number((await seam.metrics()).match(/seam_provider_up\{provider="checked"\} (\d)/)[1]);
  assert.equal(await up(), 1);
  assert.equal((await call('checked')).h('x-seam-target'), 'checked/m');
  const port = checked.port;
  await checked.stop();
  await waitFor(async () => (await up()) === 0, 'provider marked down');
  const r = await call('checked');
  assert.equal(r.status, 200);
  assert.equal(r.h('x-seam-target'), 'a/instead');
  assert.equal(r.h('x-seam-attempts'), '1'); // the dead server was not called
  assert.match(r.h('x-seam-fallback'), /checked\/m: failing health checks/);
  checked = await startMock(['--echo'], port);
  await waitFor(async () => (await up()) === 1, 'provider back up');
  assert.equal((await call('checked')).h('x-seam-target'), 'checked/m');
  assert.match(await seam.metrics(), /seam_health_checks_failed_total\{provider="checked"\} [1-9]/);
});

test('shadow: every request is mirrored, recorded next to the primary, answer unchanged', async () => {
  const res = await many(20, 10, () => call('shadow', { content: 'mirror me' }));
  for (const r of res) {
    assert.equal(r.status, 200);
    assert.equal(r.h('x-seam-target'), 'a/primary');
    assert.equal(r.body.choices[0].message.content, 'mirror me');
  }
  await waitFor(() => seam.shadowLog().length >= 20, 'shadow records', 15000);
  const primaries = new Set(seam.accessLog().filter((l) => l.route === 'shadow').map((l) => l.id));
  for (const s of seam.shadowLog()) {
    assert.equal(s.target, 'shadowed/candidate');
    assert.equal(s.status, 200);
    assert.ok(primaries.has(s.shadow_of), `shadow of unknown request ${s.shadow_of}`);
    assert.ok(s.duration_us >= 250000, 'the shadow mock is 300 ms slow');
    assert.ok(s.tokens_out > 0);
  }
  assert.match(await seam.metrics(), /seam_route_events_total\{route="shadow",event="shadow_ok"\} 20/);
});

test('the official SDK sees a fallback answer as a normal completion', async () => {
  const client = new OpenAI({ apiKey: seam.keys.test, baseURL: seam.baseURL, maxRetries: 0 });
  const c = await client.chat.completions.create({
    model: 'breaker',
    messages: [{ role: 'user', content: 'hello' }],
  });
  assert.equal(c.choices[0].message.content, 'hello');
  const s = await client.chat.completions.create({
    model: 'breaker',
    stream: true,
    messages: [{ role: 'user', content: 'streamed' }],
  });
  let text = '';
  for await (const ch of s) text += ch.choices[0]?.delta?.content ?? '';
  assert.equal(text, 'streamed');
  await sleep(0);
});
