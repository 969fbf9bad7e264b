// lib.mjs — starts real seam and seam mock processes on loopback for the
// end-to-end tests, and stops them.  Nothing here imitates seam itself: the
// mock only stands in for the vendors behind it.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SEAM = process.env.SEAM_BIN || join(root, 'build', 'seam');

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(check, what, ms = 10000) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? ': ' + last.message : ''}`);
}

// A child process whose stderr is kept, so a test can read the access log.
function start(args, env = {}) {
  const child = spawn(SEAM, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = { child, stderr: '', stdout: '', exited: null };
  child.stderr.on('data', (d) => (proc.stderr += d));
  child.stdout.on('data', (d) => (proc.stdout += d));
  proc.exit = new Promise((resolve) => child.on('exit', (code, signal) => resolve((proc.exited = { code, signal }))));
  return proc;
}

async function stop(proc, signal = 'SIGTERM') {
  if (!proc || proc.exited) return proc?.exited;
  proc.child.kill(signal);
  const t = setTimeout(() => proc.child.kill('SIGKILL'), 15000);
  const r = await proc.exit;
  clearTimeout(t);
  return r;
}

export async function startMock(flags = [], port = null) {
  port = port ?? (await freePort());
  const proc = start(['mock', '--listen', `127.0.0.1:${port}`, ...flags]);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 'seam mock');
  return { port, url: `http://127.0.0.1:${port}/v1`, proc, stop: () => stop(proc) };
}

// Writes a config (YAML text from a function of the listen port and data
// dir), creates keys, starts `seam serve` and waits until it answers.
export async function startSeam({ config, keys = [{ name: 'test' }], env = {} }) {
  const dir = mkdtempSync(join(tmpdir(), 'seam-e2e-'));
  const port = await freePort();
  const path = join(dir, 'seam.yaml');
  writeFileSync(path, config({ port, dir }));
  const secrets = {};
  for (const k of keys) {
    const args = ['keys', 'create', '--config', path, '--name', k.name];
    if (k.routes) args.push('--routes', k.routes);
    if (k.tenant) args.push('--tenant', k.tenant);
    if (k.regions) args.push('--regions', k.regions);
    if (k.tiers) args.push('--tiers', k.tiers);
    const out = execFileSync(SEAM, args, { env: { ...process.env, ...env } }).toString().trim().split('\n');
    secrets[k.name] = out[out.length - 1];
  }
  const proc = start(['serve', '--config', path], env);
  await waitFor(async () => {
    if (proc.exited) throw new Error(`seam exited: ${proc.stderr}`);
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
  }, 'seam serve');
  return {
    port,
    dir,
    path,
    proc,
    keys: secrets,
    baseURL: `http://127.0.0.1:${port}/v1`,
    url: (p) => `http://127.0.0.1:${port}${p}`,
    stop: async (signal) => {
      const r = await stop(proc, signal);
      rmSync(dir, { recursive: true, force: true });
      return r;
    },
    accessLog: () =>
      proc.stderr
        .split('\n')
        .filter((l) => l.startsWith('{') && l.includes('"path"'))
        .map((l) => JSON.parse(l)),
    shadowLog: () =>
      proc.stderr
        .split('\n')
        .filter((l) => l.startsWith('{') && l.includes('"shadow_of"'))
        .map((l) => JSON.parse(l)),
    metrics: async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
  };
}

export function run(args, env = {}) {
  try {
    const stdout = execFileSync(SEAM, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, stdout: stdout.toString(), stderr: '' };
  } catch (e) {
    return { code: e.status, stdout: e.stdout?.toString() ?? '', stderr: e.stderr?.toString() ?? '' };
  }
}

// Runs fn(0..n-1) with at most `width` calls in flight; their results in order.
export async function many(n, width, fn) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

export { sleep, waitFor, stop };
