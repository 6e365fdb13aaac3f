// The JSON-RPC transport against scripted servers: errors keep the node's code and message,
// requests time out, a dropped connection fails what was in flight, reconnects with backoff
// and renews subscriptions; HTTP carries plain requests.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { RpcClient, RpcDisconnectedError, RpcError, RpcTimeoutError } from './rpc.js';
import { Carechain } from './client.js';

/** A WebSocket server on a free port that answers with `handle(message, socket)`. */
async function scriptedServer(handle) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.on('listening', resolve));
  const sockets = [];
  server.on('connection', (socket) => {
    sockets.push(socket);
    socket.on('message', (data) => handle(JSON.parse(String(data)), socket));
  });
  return { url: `ws://127.0.0.1:${server.address().port}`, server, sockets };
}

const reply = (socket, id, body) => socket.send(JSON.stringify({ jsonrpc: '2.0', id, ...body }));

test('results and errors keep the node code and message; silence times out', async () => {
  const { url, server } = await scriptedServer((m, socket) => {
    if (m.method === 'ok') reply(socket, m.id, { result: m.params });
    if (m.method === 'fails') reply(socket, m.id, { error: { code: 6022, message: 'access denied: NoConsent', data: 'ask the patient' } });
  });
  const rpc = new RpcClient(url, { timeout: 300 });
  assert.deepEqual(await rpc.request('ok', [1, 'two']), [1, 'two']);
  await assert.rejects(rpc.request('fails'), (e) => e instanceof RpcError && e.code === 6022 && e.rpcMessage === 'access denied: NoConsent' && e.data === 'ask the patient' && /fails: access denied/.test(e.message));
  await assert.rejects(rpc.request('silent'), RpcTimeoutError);
  await rpc.close();
  server.close();
});

test('a dropped connection fails in-flight requests, reconnects and renews subscriptions', async () => {
  let subscribes = 0;
  const { url, server, sockets } = await scriptedServer((m, socket) => {
    if (m.method === 'sub') {
      subscribes++;
      const id = `s${subscribes}`;
      reply(socket, m.id, { result: id });
      setTimeout(() => socket.send(JSON.stringify({ jsonrpc: '2.0', method: 'note', params: { subscription: id, result: subscribes } })), 10);
    }
    if (m.method === 'ok') reply(socket, m.id, { result: true });
  });
  const rpc = new RpcClient(url, { timeout: 2000, backoff: { initial: 20, max: 100 } });
  const seen = [];
  let reconnected;
  const renewed = new Promise((resolve) => { reconnected = resolve; });
  await rpc.subscribe('sub', [], 'unsub', (n) => {
    seen.push(n);
    if (n === 2) reconnected();
  });
  const inFlight = rpc.request('never-answered');
  await new Promise((r) => setTimeout(r, 50));
  sockets[0].terminate();
  await assert.rejects(inFlight, RpcDisconnectedError);
  await renewed;
  assert.deepEqual(seen, [1, 2], 'the subscription was made again on the new connection');
  assert.equal(await rpc.request('ok'), true);
  await rpc.close();
  await assert.rejects(rpc.request('ok'), RpcDisconnectedError);
  server.close();
});

test('a subscription that must not run twice reports the disconnection instead', async () => {
  const { url, server, sockets } = await scriptedServer((m, socket) => {
    if (m.method === 'submit') reply(socket, m.id, { result: 'x1' });
  });
  const rpc = new RpcClient(url, { backoff: { initial: 20, max: 100 } });
  const failed = new Promise((resolve) => {
    rpc.subscribe('submit', [], 'unwatch', () => {}, { resubscribe: false, onError: resolve });
  });
  await new Promise((r) => setTimeout(r, 50));
  sockets[0].terminate();
  assert.ok((await failed) instanceof RpcDisconnectedError);
  await rpc.close();
  server.close();
});

test('the first connection is retried with backoff until the node is up', async () => {
  const probe = createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  const rpc = new RpcClient(`ws://127.0.0.1:${port}`, { backoff: { initial: 20, max: 80 } });
  const answered = rpc.request('ok');
  await new Promise((r) => setTimeout(r, 200));
  const server = new WebSocketServer({ host: '127.0.0.1', port });
  server.on('connection', (socket) => socket.on('message', (d) => reply(socket, JSON.parse(String(d)).id, { result: 'late' })));
  assert.equal(await answered, 'late');
  await rpc.close();
  server.close();
});

test('HTTP carries requests and errors; subscriptions need a WebSocket', async () => {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const m = JSON.parse(body);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(m.method === 'ok' ? { jsonrpc: '2.0', id: m.id, result: 7 } : { jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'Method not found' } }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const rpc = new RpcClient(`http://127.0.0.1:${server.address().port}`);
  assert.equal(await rpc.request('ok'), 7);
  await assert.rejects(rpc.request('nope'), (e) => e instanceof RpcError && e.code === -32601);
  await assert.rejects(rpc.subscribe('sub', [], 'unsub', () => {}), /need a ws:\/\//);
  server.close();
  assert.throws(() => new RpcClient('ftp://x'), /starts with ws:\/\//);
});

test('connecting to a node that is not there fails after the timeout instead of hanging', async () => {
  const probe = createServer();
  await new Promise((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address();
  await new Promise((r) => probe.close(r));
  const started = Date.now();
  await assert.rejects(Carechain.connect(`ws://127.0.0.1:${port}`, { timeout: 300, backoff: { initial: 20, max: 50 } }), RpcTimeoutError);
  assert.ok(Date.now() - started < 5000);
});
