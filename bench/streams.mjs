// bench/streams.mjs — hold N concurrent streaming chat completions open
// through seam and check that each ends with `data: [DONE]`.
// Node built-ins only.  Usage:
//   node bench/streams.mjs --url http://127.0.0.1:PORT/v1/chat/completions \
//        --key KEY [--n 1000] [--words 300] [--model slow] [--timeout 120]
// Prints progress on stderr ("streams: all N open" once every response head is
// in) and one JSON summary line on stdout.  Exits 0 when all N completed.
import http from 'node:http';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
  }, []));
const url = new URL(args.url);
const n = Number(args.n ?? 1000);
const words = Number(args.words ?? 300);
const model = args.model ?? 'slow';
const timeoutMs = Number(args.timeout ?? 120) * 1000;

const vocab = ('the gateway forwards each request to a model and streams every token back ' +
  'to the client while it records usage checks policy and keeps latency low under load').split(' ');
const text = Array.from({ length: words }, (_, i) => vocab[i % vocab.length]).join(' ');
const body = JSON.stringify({
  model, stream: true,
  messages: [
    { role: 'system', content: 'Repeat the user message back, word by word.' },
    { role: 'user', content: text },
  ],
});

const t0 = performance.now();
const res = { n, done: 0, failed: 0, status: {}, errors: {}, events_min: Infinity, events_max: 0,
  ttfb_ms: [], dur_ms: [], all_open_ms: null, bytes: 0 };
let open = 0, finished = 0;

function count(map, k) { map[k] = (map[k] || 0) + 1; }

function one() {
  return new Promise((resolve) => {
    const start = performance.now();
    let settled = false;
    const end = (ok, why) => {
      if (settled) return;
      settled = true;
      finished++;
      if (ok) res.done++; else { res.failed++; count(res.errors, why); }
      res.dur_ms.push(performance.now() - start);
      resolve();
    };
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
        authorization: `Bearer ${args.key}` },
    }, (r) => {
      count(res.status, r.statusCode);
      if (++open === n) {
        res.all_open_ms = Math.round(performance.now() - t0);
        process.stderr.write(`streams: all ${n} open after ${res.all_open_ms} ms\n`);
      }
      let first = true, events = 0, carry = '', tail = '';
      r.setEncoding('utf8');
      r.on('data', (c) => {
        if (first) { res.ttfb_ms.push(performance.now() - start); first = false; }
        res.bytes += c.length;
        const s = carry + c;
        events += (s.match(/(^|\n)data:/g) || []).length - (carry.match(/(^|\n)data:/g) || []).length;
        carry = s.slice(-8);
        tail = (tail + c).slice(-64);
      });
      r.on('end', () => {
        res.events_min = Math.min(res.events_min, events);
        res.events_max = Math.max(res.events_max, events);
        if (r.statusCode !== 200) end(false, `status ${r.statusCode}`);
        else if (/data: \[DONE\]\s*$/.test(tail)) end(true);
        else end(false, 'no [DONE]');
      });
      r.on('error', (e) => end(false, e.code || e.message));
      r.on('aborted', () => end(false, 'aborted'));
    });
    req.on('error', (e) => end(false, e.code || e.message));
    req.end(body);
  });
}

const timer = setTimeout(() => {
  process.stderr.write(`streams: timeout after ${timeoutMs} ms with ${finished}/${n} finished\n`);
  res.errors.timeout_unfinished = n - finished;
  report(2);
}, timeoutMs);

function pct(a, p) {
  if (!a.length) return null;
  const s = [...a].sort((x, y) => x - y);
  return Math.round(s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]);
}
function report(code) {
  clearTimeout(timer);
  const out = { ...res, events_min: res.events_min === Infinity ? 0 : res.events_min,
    ttfb_p50_ms: pct(res.ttfb_ms, 50), ttfb_p99_ms: pct(res.ttfb_ms, 99),
    dur_p50_ms: pct(res.dur_ms, 50), dur_max_ms: pct(res.dur_ms, 100),
    wall_ms: Math.round(performance.now() - t0), body_bytes: Buffer.byteLength(body) };
  delete out.ttfb_ms; delete out.dur_ms;
  process.stdout.write(JSON.stringify(out) + '\n');
  process.exit(code);
}

await Promise.all(Array.from({ length: n }, one));
report(res.done === n ? 0 : 1);
