// faults.test.mjs — the fault suite: 10,000 requests through seam to mock
// upstreams that fail 20% of the time (429 with Retry-After, 500, 503,
// connection resets, stalls — mid-stream for streams — and slow first
// bytes), then an upstream killed and restarted under traffic.  Every
// request must end — in an answer or a clear error — and be counted once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, startSeam, sleep, waitFor, many } from './lib.mjs';

const N = 10000;
const WIDTH = 64;
let primary, secondary, healthy, seam;

before(async () => {
  // slow first bytes take 1.5 s, past timeouts.first_byte (400 ms)
  primary = await startMock(['--echo', '--fail-rate', '0.2', '--seed', '11', '--slow', '1500', '--workers', '2']);
  secondary = await startMock(['--echo', '--fail-rate', '0.2', '--seed', '23', '--slow', '1500']);
  healthy = await startMock(['--echo']);
  seam = await startSeam({
    config: ({ port, dir }) => `
server: { listen: 127.0.0.1:${port}, workers: 2 }
timeouts: { connect: 1s, first_byte: 400ms, between_events: 400ms, total: 15s }
storage: { url: "sqlite://${dir}/seam.db" }
providers:
  primary: { type: openai, base_url: "${primary.url}", breaker: { failures: 0 } }
  secondary: { type: openai, base_url: "${secondary.url}", breaker: { failures: 0 } }
  healthy: { type: openai, base_url: "${healthy.url}", breaker: { failures: 5, cooldown: 1s } }
routes:
  faulty:
    targets: [ { provider: primary, model: p } ]
    fallbacks: [ { provider: secondary, model: s } ]
    retry: { attempts: 3, per_target: 2, backoff: 20ms, max_backoff: 1s }
  safe:
    targets: [ { provider: primary, model: p } ]
    fallbacks: [ { provider: healthy, model: h } ]
    retry: { attempts: 3, per_target: 1, backoff: 20ms, max_backoff: 1s }
  killable:
    targets: [ { provider: healthy, model: k } ]
    fallbacks: [ { provider: secondary, model: s } ]
`,
  });
});

after(async () => {
  await seam?.stop();
  for (const m of [primary, secondary, healthy]) await m?.stop();
});

// One request: {kind: 'answer' | 'error' | 'broken', status}.  A stream is
// an answer when it ends with [DONE] and no error event; a clear error is
// an error JSON body, or an SSE error event that ends the stream.
async function one(route, i, stream) {
  const ctl = new AbortController();
  const guard = setTimeout(() => ctl.abort(), 30000); // a hang fails the test
  try {
    const r = await fetch(seam.url('/v1/chat/completions'), {
      method: 'POST',
      signal: ctl.signal,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${seam.keys.test}` },
      body: JSON.stringify({ model: route, stream, messages: [{ role: 'user', content: `request ${i}` }] }),
    });
    const text = await r.text();
    if (!stream || r.status !== 200) {
      const body = JSON.parse(text);
      if (r.status === 200) return { kind: body.choices?.[0]?.message?.content === `request ${i}` ? 'answer' : 'broken' };
      return { kind: body.error?.code && body.error?.message ? 'error' : 'broken', status: r.status };
    }
    if (/^data: \{"error"/m.test(text)) return { kind: 'error', status: 'stream' };
    const content = [...text.matchAll(/^data: (\{.*\})$/gm)]
      .map((m) => JSON.parse(m[1]).choices?.[0]?.delta?.content ?? '')
      .join('');
    return { kind: text.trimEnd().endsWith('data: [DONE]') && content === `request ${i}` ? 'answer' : 'broken' };
  } catch (e) {
    return { kind: e.name === 'AbortError' ? 'hung' : 'broken', status: e.message };
  } finally {
    clearTimeout(guard);
  }
}

function tally(results) {
  const t = { answer: 0, error: 0, broken: 0, hung: 0 };
  for (const r of results) t[r.kind]++;
  return t;
}

test(`${N} requests, both upstreams failing 20%: each ends in an answer or a clear error, counted once`, async () => {
  const t = tally(await many(N, WIDTH, (i) => one('faulty', i, i % 2 === 0))); // half of them streamed
  assert.equal(t.hung, 0, JSON.stringify(t));
  assert.equal(t.broken, 0, JSON.stringify(t));
  assert.equal(t.answer + t.error, N);
  // with a 20% fault rate on each of up to 3 calls, most are answered
  assert.ok(t.answer > 0.95 * N, JSON.stringify(t));
  // the access log holds exactly one line per request
  const faulty = () => seam.accessLog().filter((l) => l.route === 'faulty');
  await waitFor(() => faulty().length >= N, 'access log', 5000);
  await sleep(1200); // one more flush: nothing extra may appear
  const lines = faulty();
  assert.equal(lines.length, N);
  assert.equal(new Set(lines.map((l) => l.id)).size, N);
  console.log(`faulty route: ${JSON.stringify(t)}`);
});

test(`${N} requests with a healthy fallback: at least 99.9% answered`, async () => {
  const t = tally(await many(N, WIDTH, (i) => one('safe', i, false)));
  assert.equal(t.hung, 0, JSON.stringify(t));
  assert.equal(t.broken, 0, JSON.stringify(t));
  assert.ok(t.answer >= 0.999 * N, JSON.stringify(t));
  console.log(`safe route: ${JSON.stringify(t)}`);
});

const state = async (target) => {
  const m = (await seam.metrics()).match(new RegExp(`seam_circuit_state\\{target="${target}"\\} (\\d)`));
  return m ? Number(m[1]) : null;
};

test('an upstream killed mid-run: its breaker opens, half-opens, closes', async () => {
  let stop = false;
  const load = (async () => {
    let i = 0;
    while (!stop) await one('killable', i++, false);
  })();
  await sleep(300);
  const port = healthy.port;
  await healthy.stop();
  await waitFor(async () => (await state('healthy/k')) === 1, 'breaker open', 10000);
  stop = true;
  await load;
  healthy = await startMock(['--echo'], port);
  // no traffic: past the 1 s cooldown it waits for its trial call
  await waitFor(async () => (await state('healthy/k')) === 2, 'breaker half-open', 10000);
  const r = await one('killable', 0, false);
  assert.equal(r.kind, 'answer');
  await waitFor(async () => (await state('healthy/k')) === 0, 'breaker closed', 10000);
  assert.match(await seam.metrics(), /seam_circuit_opened_total\{target="healthy\/k"\} [1-9]/);
});
