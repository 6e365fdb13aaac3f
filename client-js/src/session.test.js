// Sessions against a scripted node that checks tokens as a `--rpc-auth on` node does: the
// sign-in message has the node's layout, the token travels as a bearer header over HTTP and in
// the handshake of every WebSocket connection (subprotocol or query), it is renewed before it
// expires, a session that can no longer be renewed signs in again, and a sign-out ends the
// sign-in on the node (every token renewed from it) while a session revoked elsewhere stops.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { ed25519 } from '@noble/curves/ed25519.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { Account, decodeAddress } from './keys.js';
import { toHex, utf8 } from './bytes.js';
import { RpcClient, RpcError } from './rpc.js';
import { AuthErrorCode, Session, TOKEN_PROTOCOL, signInMessage } from './session.js';

const alice = Account.fromUri('//Alice');
const GENESIS = `0x${'11'.repeat(32)}`;

/**
 * A node on a free port (HTTP and WebSocket) with `auth_challenge`, `auth_signIn`,
 * `auth_renew` and `whoami` (the caller's account, or the refusal a node gives). Tokens live
 * `ttl` ms and are renewable for `renewableFor` ms after sign-in.
 */
async function scriptedNode({ ttl = 400, renewableFor = 10_000 } = {}) {
  const tokens = new Map();
  const challenges = new Map();
  const seen = { bearer: [], protocols: [], queries: [], signIns: 0, renewals: 0, signOuts: [] };
  // Sign-ins signed out: every token of one is refused, as the node's revocations do.
  const revoked = new Set();
  let issued = 0;
  const grant = (account, signedInAt, signIn = issued + 1) => {
    const token = `${(++issued).toString(16).padStart(4, '0')}aa`;
    const expiresAt = Math.min(Date.now() + ttl, signedInAt + renewableFor);
    tokens.set(token, { account, expiresAt, signedInAt, signIn });
    return { token, account, expiresAt, expiresInMs: expiresAt - Date.now(), renewableUntil: signedInAt + renewableFor };
  };
  const error = (code, message) => ({ error: { code, message } });
  const handle = (m, connection) => {
    if (m.method === 'auth_challenge') {
      const challenge = toHex(randomBytes(32));
      challenges.set(challenge, m.params[0]);
      return { result: { challenge, genesisHash: GENESIS, expiresInMs: 60_000 } };
    }
    if (m.method === 'auth_signIn') {
      const [account, challenge, signature] = m.params;
      const message = signInMessage(GENESIS, challenge, account);
      const valid = challenges.get(challenge) === account && ed25519.verify(Buffer.from(signature.slice(2), 'hex'), message, decodeAddress(account));
      if (!valid) return error(AuthErrorCode.SIGN_IN_REFUSED, 'sign-in challenge refused');
      challenges.delete(challenge);
      seen.signIns++;
      const g = grant(account, Date.now());
      connection.token = g.token;
      return { result: g };
    }
    if (m.method === 'auth_renew') {
      const session = tokens.get(m.params[0]);
      if (!session || session.expiresAt <= Date.now()) return error(AuthErrorCode.SESSION_EXPIRED, 'the session ended');
      if (revoked.has(session.signIn)) return error(AuthErrorCode.SESSION_REVOKED, 'signed out: sign in again');
      if (Date.now() >= session.signedInAt + renewableFor) return error(AuthErrorCode.SESSION_EXPIRED, 'sign in again');
      seen.renewals++;
      const g = grant(session.account, session.signedInAt, session.signIn);
      connection.token = g.token;
      return { result: g };
    }
    if (m.method === 'auth_signOut') {
      const session = tokens.get(m.params[0] ?? connection.token);
      seen.signOuts.push(m.params[0] ?? null);
      if (session) revoked.add(session.signIn);
      return { result: Boolean(session) };
    }
    if (m.method === 'auth_signOutEverywhere') {
      // The caller's own account only, as the node does: every sign-in of it so far.
      const caller = tokens.get(connection.token);
      if (!caller) return { result: false };
      for (const session of tokens.values()) if (session.account === caller.account) revoked.add(session.signIn);
      return { result: true };
    }
    if (m.method === 'whoami') {
      const session = tokens.get(connection.token);
      if (!session) return error(AuthErrorCode.UNAUTHENTICATED, 'whoami needs a session');
      if (revoked.has(session.signIn)) return error(AuthErrorCode.SESSION_REVOKED, 'signed out: sign in again');
      if (session.expiresAt <= Date.now()) return error(AuthErrorCode.SESSION_EXPIRED, 'the session ended');
      return { result: session.account };
    }
    return error(-32601, 'Method not found');
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const bearer = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1] ?? null;
      seen.bearer.push(bearer);
      const m = JSON.parse(body);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: m.id, ...handle(m, { token: bearer }) }));
    });
  });
  const wss = new WebSocketServer({
    server,
    handleProtocols: (protocols) => [...protocols].find((p) => p.startsWith(TOKEN_PROTOCOL)) ?? false,
  });
  const sockets = [];
  wss.on('connection', (socket, req) => {
    sockets.push(socket);
    const protocol = req.headers['sec-websocket-protocol'] ?? null;
    const query = new URL(req.url, 'http://x').searchParams.get('token');
    seen.protocols.push(protocol);
    seen.queries.push(query);
    const connection = { token: protocol?.slice(TOKEN_PROTOCOL.length) ?? query };
    socket.on('message', (data) => {
      const m = JSON.parse(String(data));
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: m.id, ...handle(m, connection) }));
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    http: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}`,
    seen,
    sockets,
    /** Signs out every sign-in, as another device or the node's operator would. */
    revokeAll: () => { for (const { signIn } of tokens.values()) revoked.add(signIn); },
    close: () => { wss.close(); server.close(); server.closeAllConnections?.(); },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('the sign-in message is the node\'s: tag, genesis hash, challenge, account', () => {
  const challenge = `0x${'22'.repeat(32)}`;
  const message = signInMessage(GENESIS, challenge, alice.address);
  assert.equal(message.length, 24 + 32 * 3);
  assert.deepEqual(message.subarray(0, 24), utf8('carechain/rpc/sign-in/v1'));
  assert.deepEqual(message.subarray(24, 56), new Uint8Array(32).fill(0x11));
  assert.deepEqual(message.subarray(56, 88), new Uint8Array(32).fill(0x22));
  assert.deepEqual(message.subarray(88), alice.publicKey);
});

test('over HTTP the token is a bearer header, renewed before it expires, dropped on stop', async () => {
  const node = await scriptedNode({ ttl: 1_000 });
  const rpc = new RpcClient(node.http);
  await assert.rejects(rpc.request('whoami'), (e) => e instanceof RpcError && e.code === AuthErrorCode.UNAUTHENTICATED);
  const session = new Session(rpc, alice);
  const grant = await session.signIn();
  assert.equal(await rpc.request('whoami'), alice.address);
  assert.equal(node.seen.bearer.at(-1), grant.token);
  // Past the first token's life the session still works: it was renewed.
  await sleep(1_600);
  assert.equal(await rpc.request('whoami'), alice.address);
  assert.ok(node.seen.renewals >= 1, 'renewed before expiry');
  assert.notEqual(session.token, grant.token);
  assert.equal(node.seen.bearer.at(-1), session.token);
  session.stop();
  await assert.rejects(rpc.request('whoami'), (e) => e.code === AuthErrorCode.UNAUTHENTICATED);
  assert.equal(node.seen.bearer.at(-1), null);
  node.close();
});

for (const tokenIn of ['protocol', 'query']) {
  test(`over WebSocket every new connection carries the current token (${tokenIn})`, async () => {
    const node = await scriptedNode({ ttl: 1_000 });
    const rpc = new RpcClient(node.ws, { tokenIn, backoff: { initial: 20, max: 100 } });
    const session = new Session(rpc, alice);
    // Signed in on an anonymous connection, which takes the session it answered.
    await session.signIn();
    assert.equal(await rpc.request('whoami'), alice.address);
    assert.deepEqual([node.seen.protocols[0], node.seen.queries[0]], [null, null]);
    // A new connection (the node dropped the first) sends the token in its handshake.
    const reconnected = new Promise((resolve) => rpc.on('connected', resolve));
    node.sockets[0].terminate();
    await reconnected;
    assert.equal(await rpc.request('whoami'), alice.address);
    const sent = tokenIn === 'protocol' ? node.seen.protocols[1] : node.seen.queries[1];
    assert.equal(sent, tokenIn === 'protocol' ? `${TOKEN_PROTOCOL}${session.token}` : session.token);
    // Renewals on the connection keep it signed in past each token's life.
    await sleep(1_600);
    assert.equal(await rpc.request('whoami'), alice.address);
    session.stop();
    await rpc.close();
    node.close();
  });
}

test('a session that can no longer be renewed signs in again with its signer', async () => {
  const node = await scriptedNode({ ttl: 600, renewableFor: 1_000 });
  const rpc = new RpcClient(node.http);
  const session = new Session(rpc, alice);
  await session.signIn();
  await sleep(1_800);
  assert.equal(await rpc.request('whoami'), alice.address);
  assert.ok(node.seen.signIns >= 2, `signed in again (${node.seen.signIns} sign-ins, ${node.seen.renewals} renewals)`);
  session.stop();
  node.close();
});

test('a token given to the transport goes out at once, and tokenIn is checked', async () => {
  assert.throws(() => new RpcClient('ws://x', { tokenIn: 'cookie' }), /tokenIn/);
  const rpc = new RpcClient('wss://node.example:9944/rpc?x=1', { tokenIn: 'query', token: 'abc' });
  assert.deepEqual(rpc.handshake(), { url: 'wss://node.example:9944/rpc?x=1&token=abc', protocols: undefined });
  rpc.setToken('def');
  rpc.tokenIn = 'protocol';
  assert.deepEqual(rpc.handshake(), { url: 'wss://node.example:9944/rpc?x=1', protocols: ['carechain.token.def'] });
  rpc.setToken(null);
  assert.deepEqual(rpc.handshake().protocols, undefined);
});

test('signOut ends the sign-in on the node over HTTP, every renewed token with it', async () => {
  const node = await scriptedNode({ ttl: 400 });
  const rpc = new RpcClient(node.http);
  const session = new Session(rpc, alice);
  const first = (await session.signIn()).token;
  await sleep(350);
  const renewed = session.token;
  assert.notEqual(renewed, first, 'renewed before signing out');
  assert.equal(await session.signOut(), true);
  assert.deepEqual(node.seen.signOuts, [renewed]);
  assert.equal(session.token, null);
  // A copy of either token is refused now.
  for (const token of [first, renewed]) {
    const copy = new RpcClient(node.http, { token });
    await assert.rejects(copy.request('whoami'), (e) => e instanceof RpcError && e.code === AuthErrorCode.SESSION_REVOKED);
  }
  assert.equal(await session.signOut(), false, 'nothing left to end');
  node.close();
});

test('signOutEverywhere ends every session of the account, on other devices too, and no one else\'s', async () => {
  const node = await scriptedNode({ ttl: 2_000 });
  const bob = Account.fromUri('//Bob');
  const phone = new Session(new RpcClient(node.http), alice);
  const laptop = new Session(new RpcClient(node.http), alice);
  const bobs = new Session(new RpcClient(node.http), bob);
  const tokens = [(await phone.signIn()).token, (await laptop.signIn()).token];
  const bobsToken = (await bobs.signIn()).token;
  assert.equal(await phone.signOutEverywhere(), true);
  assert.equal(phone.token, null);
  for (const token of tokens) {
    const copy = new RpcClient(node.http, { token });
    await assert.rejects(copy.request('whoami'), (e) => e instanceof RpcError && e.code === AuthErrorCode.SESSION_REVOKED);
  }
  assert.equal(await new RpcClient(node.http, { token: bobsToken }).request('whoami'), bob.address);
  assert.equal(await phone.signOutEverywhere(), false, 'nothing left to end');
  laptop.stop();
  bobs.stop();
  node.close();
});

test('a session signed out elsewhere stops renewing instead of signing in again', async () => {
  const node = await scriptedNode({ ttl: 400 });
  const rpc = new RpcClient(node.http);
  const errors = [];
  const session = new Session(rpc, alice, { onError: (e) => errors.push(e), retryMs: 50 });
  await session.signIn();
  node.revokeAll();
  await sleep(500);
  assert.equal(errors.length, 1, `${errors}`);
  assert.equal(errors[0].code, AuthErrorCode.SESSION_REVOKED);
  assert.equal(session.token, null, 'stopped');
  assert.equal(node.seen.signIns, 1, 'did not sign in again on its own');
  node.close();
});
