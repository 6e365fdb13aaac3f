// An unmodified polkadot-api 2.x against a real `carechain --dev --rpc-auth on` node, through its
// default WebSocket provider and the node's new-spec methods (chainHead_v1_*, chainSpec_v1_*,
// transactionWatch_v1_*), with a member's session token in the URL (`?token=`): it follows
// finalized blocks, names the runtime by the hash of `:code`, reads storage and a constant
// through the unsafe API, and signs a call with an ed25519 key, submits it and watches it to
// finalization.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'polkadot-api';
import { getWsProvider } from 'polkadot-api/ws';
import { getPolkadotSigner } from 'polkadot-api/signer';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, blake2AsHex } from '@polkadot/util-crypto';
import { WebSocket as NodeWebSocket } from 'ws';
import { startDevNode } from '../../client-js/src/testing/dev-node.js';

let node;
let client;

/** One JSON-RPC call over HTTP: its result, or throws its error. */
async function rpc(method, params = []) {
  const response = await fetch(node.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const answer = await response.json();
  if (answer.error) throw new Error(`${method}: ${JSON.stringify(answer.error)}`);
  return answer.result;
}

/** A member's session token (Alice, an admin of St. Alice General Hospital), once the node answers. */
async function memberToken() {
  const alice = new Keyring({ type: 'ed25519' }).addFromUri('//Alice');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const { genesisHash, challenge } = await rpc('auth_challenge', [alice.address]);
      // The message the node names: tag ++ genesis hash ++ challenge ++ account.
      const message = Buffer.concat([
        Buffer.from('carechain/rpc/sign-in/v1'),
        Buffer.from(genesisHash.slice(2), 'hex'),
        Buffer.from(challenge.slice(2), 'hex'),
        Buffer.from(alice.publicKey),
      ]);
      const signature = `0x${Buffer.from(alice.sign(message)).toString('hex')}`;
      return (await rpc('auth_signIn', [alice.address, challenge, signature])).token;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`no session: ${e.message}\n${node.log()}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** Resolves with the first value of `observable` that `accept` takes, within `ms`. */
function first(observable, accept, ms = 60_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { sub.unsubscribe(); reject(new Error(`nothing in ${ms} ms\n${node.log()}`)); }, ms);
    const sub = observable.subscribe({
      next: (value) => {
        if (!accept(value)) return;
        clearTimeout(timer);
        queueMicrotask(() => sub.unsubscribe());
        resolve(value);
      },
      error: (e) => { clearTimeout(timer); reject(e); },
    });
  });
}

before(async () => {
  node = await startDevNode(['--rpc-auth', 'on']);
  await cryptoWaitReady();
  const token = await memberToken();
  // Node 20 has no global WebSocket; papi's provider takes the `ws` package's.
  const websocketClass = globalThis.WebSocket ?? NodeWebSocket;
  client = createClient(getWsProvider(`${node.url}?token=${token}`, { websocketClass }));
});

after(() => {
  client?.destroy();
  node?.stop();
});

test('speaks the new spec and names the runtime by the hash of :code', async () => {
  const { methods } = await rpc('rpc_methods');
  for (const method of ['chainHead_v1_follow', 'chainHead_v1_storage', 'chainSpec_v1_genesisHash',
    'transaction_v1_broadcast', 'transactionWatch_v1_submitAndWatch']) {
    assert.ok(methods.includes(method), `rpc_methods lists ${method}`);
  }
  const spec = await client.getChainSpecData();
  assert.equal(spec.name, 'Development');
  assert.equal(spec.genesisHash, await rpc('chain_getBlockHash', [0]));
  // `:code` is public (anyone may read the runtime's identity) and not WebAssembly.
  const code = await rpc('state_getStorage', ['0x3a636f6465']);
  assert.ok(code && !code.startsWith('0x0061736d'), `:code holds an identity: ${code}`);
  assert.ok(Buffer.from(code.slice(2), 'hex').toString('latin1').startsWith('carechain:native-runtime'));
  const version = await rpc('state_getRuntimeVersion');
  const metadata = await client.getMetadata((await client.getFinalizedBlock()).hash);
  assert.ok(metadata.length > 1000, 'metadata read through chainHead_v1_call');
  assert.ok(version.specVersion >= 3, blake2AsHex(code));
});

test('follows finalized blocks', async () => {
  const start = await client.getFinalizedBlock();
  const later = await first(client.finalizedBlock$, (block) => block.number >= start.number + 2);
  const header = await client.getBlockHeader(later.hash);
  assert.equal(header.number, later.number);
  const body = await client.getBlockBody(later.hash);
  assert.ok(body.length >= 1, 'the timestamp at least');
});

test('reads storage and a constant through the unsafe API', async () => {
  const api = client.getUnsafeApi();
  const number = await api.query.System.Number.getValue();
  assert.ok(number >= 1, `System.Number ${number}`);
  const maxVersions = await api.constants.Records.MaxVersions();
  assert.ok(Number(maxVersions) > 0);
  const account = await api.query.System.Account.getValue(
    new Keyring({ type: 'ed25519' }).addFromUri('//Alice').address);
  assert.equal(typeof account.nonce, 'number');
});

test('signs a call with an ed25519 key, submits it and watches it to finalization', async () => {
  const api = client.getUnsafeApi();
  const alice = new Keyring({ type: 'ed25519' }).addFromUri('//Alice');
  const signer = getPolkadotSigner(alice.publicKey, 'Ed25519', (message) => alice.sign(message));
  // Remarks must be empty on this chain: the call is a signed no-op.
  const tx = api.tx.System.remark({ remark: new Uint8Array() });
  const events = [];
  const finalized = await first(tx.signSubmitAndWatch(signer), (event) => {
    events.push(event.type);
    return event.type === 'finalized';
  });
  assert.ok(events.includes('signed') && events.includes('broadcasted'), events.join(', '));
  assert.equal(finalized.ok, true, JSON.stringify(finalized.dispatchError));
  const success = finalized.events.find((e) => e.type === 'System' && e.value.type === 'ExtrinsicSuccess');
  assert.ok(success, `ExtrinsicSuccess among ${finalized.events.map((e) => `${e.type}.${e.value.type}`).join(', ')}`);
});
