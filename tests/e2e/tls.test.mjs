// tls.test.mjs — providers behind https: seam's TLS client (libcurl), the
// ca_file that trusts an internal CA, and the error when nothing trusts it.
// The https server is a small proxy in front of `seam mock`, so every
// vendor wire format and streaming work through it as they do over http.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import { startMock, startSeam, freePort } from './lib.mjs';

const tls = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'tls');
let mock, server, seam, openai;
let tlsRequests = 0;

before(async () => {
  mock = await startMock(['--echo']);
  server = https.createServer(
    { key: readFileSync(join(tls, 'server.key')), cert: readFileSync(join(tls, 'server.pem')) },
    (req, res) => {
      tlsRequests++;
      const up = http.request(
        { host: '127.0.0.1', port: mock.port, method: req.method, path: req.url, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    },
  );
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${port}`;
  const ca = join(tls, 'ca.pem');
  seam = await startSeam({
    env: { SEAM_E2E_KEY: 'not-a-real-key' },
    config: ({ port: p, dir }) => `
server: { listen: 127.0.0.1:${p}, workers: 2 }
storage: { url: "sqlite://${dir}/seam.db" }
providers:
  internal: { type: openai, base_url: "${origin}/v1", ca_file: "${ca}" }
  internal-anthropic: { type: anthropic, base_url: "${origin}", api_key: "env:SEAM_E2E_KEY", ca_file: "${ca}" }
  untrusted: { type: openai, base_url: "${origin}/v1", breaker: { failures: 0 } }
routes:
  r-tls: { targets: [ { provider: internal, model: m } ] }
  r-tls-anthropic: { targets: [ { provider: internal-anthropic, model: claude-x } ] }
  r-untrusted: { targets: [ { provider: untrusted, model: m } ], retry: { attempts: 1 } }
`,
  });
  openai = new OpenAI({ apiKey: seam.keys.test, baseURL: seam.baseURL, maxRetries: 0 });
});

after(async () => {
  await seam?.stop();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  await mock?.stop();
});

const say = (model, content, extra = {}) => ({ model, messages: [{ role: 'user', content }], ...extra });

test('an https upstream with an internal CA answers through ca_file, plain and streamed', async () => {
  const before = tlsRequests;
  const r = await openai.chat.completions.create(say('r-tls', 'hello over tls'));
  assert.equal(r.choices[0].message.content, 'hello over tls');
  let text = '';
  for await (const chunk of await openai.chat.completions.create(say('r-tls', 'streamed over tls', { stream: true })))
    text += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(text, 'streamed over tls');
  assert.equal(tlsRequests - before, 2, 'both calls went through the https server');
});

test('a translating provider (anthropic) over https', async () => {
  const r = await openai.chat.completions.create(say('r-tls-anthropic', 'translated over tls'));
  assert.equal(r.choices[0].message.content, 'translated over tls');
  assert.ok(r.usage.prompt_tokens > 0);
});

test('a certificate nothing trusts is a 502 that says TLS and points at ca_file', async () => {
  const before = tlsRequests;
  await assert.rejects(openai.chat.completions.create(say('r-untrusted', 'x')), (e) => {
    assert.ok(e instanceof OpenAI.APIError, String(e));
    assert.equal(e.status, 502);
    assert.equal(e.code, 'upstream_unavailable');
    assert.match(e.message, /TLS/);
    assert.match(e.message, /ca_file/);
    return true;
  });
  assert.equal(tlsRequests, before, 'no request reached the server');
});
