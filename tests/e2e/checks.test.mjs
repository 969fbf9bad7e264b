// checks.test.mjs — active health checks carry the provider's credentials,
// so a server you run behind an API key (vLLM --api-key, a gateway in front
// of Ollama) is checked as the calls reach it, not marked down for a 401.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startSeam, freePort, waitFor } from './lib.mjs';

const KEY = 'sk-private-test-1';
let server, seam;
const seen = { authorized: 0, refused: 0, gemini: 0, anthropic: 0 };

before(async () => {
  // Answers a check only with the credentials each vendor's API takes.
  server = http.createServer((req, res) => {
    const ok =
      req.headers.authorization === `Bearer ${KEY}` ||
      (req.headers['x-goog-api-key'] === KEY && ++seen.gemini) ||
      (req.headers['x-api-key'] === KEY && req.headers['anthropic-version'] && ++seen.anthropic);
    if (ok) seen.authorized++;
    else seen.refused++;
    res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
    res.end(ok ? '{"object":"list","data":[]}' : '{"error":{"message":"no key"}}');
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${port}`;
  const check = 'health_check: { path: /models, interval: 100ms, timeout: 500ms, unhealthy: 2, healthy: 1 }';
  seam = await startSeam({
    env: { SEAM_E2E_PRIVATE_KEY: KEY },
    config: ({ port: p, dir }) => `
server: { listen: 127.0.0.1:${p}, workers: 2 }
storage: { url: "sqlite://${dir}/seam.db" }
providers:
  keyed: { type: openai, base_url: "${origin}/v1", api_key: "env:SEAM_E2E_PRIVATE_KEY", tier: private, ${check} }
  keyless: { type: openai, base_url: "${origin}/v1", tier: private, ${check} }
  g: { type: gemini, base_url: "${origin}/v1beta", api_key: "env:SEAM_E2E_PRIVATE_KEY", ${check} }
  a: { type: anthropic, base_url: "${origin}/v1", api_key: "env:SEAM_E2E_PRIVATE_KEY", ${check} }
routes:
  r: { targets: [ { provider: keyed, model: m } ] }
`,
  });
});

after(async () => {
  await seam?.stop();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
});

const up = async (name) => Number((await seam.metrics()).match(new RegExp(`seam_provider_up\\{provider="${name}"\\} (\\d)`))[1]);

test('a health check sends the provider credentials; without any the server refuses it', async () => {
  await waitFor(async () => (await up('keyless')) === 0, 'the keyless provider marked down');
  assert.equal(await up('keyed'), 1);
  assert.equal(await up('g'), 1);
  assert.equal(await up('a'), 1);
  assert.ok(seen.gemini > 0 && seen.anthropic > 0, JSON.stringify(seen));
  assert.ok(seen.refused >= 2, 'the keyless checks reached the server and were refused');
  assert.match(await seam.metrics(), /seam_health_checks_failed_total\{provider="keyless"\} [1-9]/);
  assert.doesNotMatch(await seam.metrics(), /seam_health_checks_failed_total\{provider="keyed"\} [1-9]/);
});
