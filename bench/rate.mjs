// bench/rate.mjs — open-loop load at a fixed rate: sends POSTs at --rate per
// second for --seconds whatever the answers do (no coordinated omission:
// a slow answer does not delay the next request), and prints the latency
// percentiles of the answers as one JSON line.  Node built-ins only.
//   node bench/rate.mjs --url URL --key KEY --body FILE [--rate 1000] [--seconds 10]
// Exits 1 when any answer was not 2xx.
import http from 'node:http';
import { readFileSync } from 'node:fs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
  }, []));
const url = new URL(args.url);
const rate = Number(args.rate ?? 1000);
const seconds = Number(args.seconds ?? 10);
const body = readFileSync(args.body);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const lat = [];
let bad = 0, errors = 0, pending = 0;

function one() {
  const t0 = process.hrtime.bigint();
  pending++;
  const req = http.request({
    agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${args.key}`,
      'content-length': body.length },
  }, (res) => {
    res.resume();
    res.on('end', () => {
      pending--;
      if (res.statusCode >= 300) bad++;
      lat.push(Number(process.hrtime.bigint() - t0) / 1000);
    });
  });
  req.on('error', () => { pending--; errors++; });
  req.end(body);
}

const total = Math.round(rate * seconds);
const start = process.hrtime.bigint();
let sent = 0;
// Every millisecond, send what the schedule says is due by now.
const timer = setInterval(() => {
  const due = Math.min(total, Math.floor(Number(process.hrtime.bigint() - start) / 1e9 * rate));
  while (sent < due) { one(); sent++; }
  if (sent >= total) clearInterval(timer);
}, 1);

const done = setInterval(() => {
  if (sent < total || pending > 0) return;
  clearInterval(done);
  lat.sort((a, b) => a - b);
  const q = (p) => Math.round(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? 0);
  const wall = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(JSON.stringify({ requests: lat.length, rate_achieved: Math.round(lat.length / wall),
    p50_us: q(0.5), p90_us: q(0.9), p99_us: q(0.99), p999_us: q(0.999), max_us: Math.round(lat.at(-1) ?? 0),
    non_2xx: bad, socket_errors: errors }));
  agent.destroy();
  process.exit(bad || errors ? 1 : 0);
}, 20);
