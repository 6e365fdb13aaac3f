// An unmodified @polkadot/api 16.5 against a real `carechain --dev --rpc-auth on` node, with a
// member's session token in the WsProvider URL (`?token=`): it connects, reads metadata and
// constants, signs with an ed25519 keyring pair, submits a records call and sees its event in a
// finalized block; a wallet's fee queries (`tx.paymentInfo`, `payment_queryInfo`,
// `rpc.payment.queryFeeDetails`) answer the call's weight and a fee of zero on this feeless
// chain. Without a session the node answers only what is public by design.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, blake2AsHex } from '@polkadot/util-crypto';
import { freePort } from '../../client-js/src/testing/dev-node.js';

const here = dirname(fileURLToPath(import.meta.url));
const binary = process.env.CARECHAIN_BIN ?? join(here, '..', '..', 'target', 'debug', 'carechain');

let node;
let api;
let provider;
let wsUrl;
let basePath;
let httpUrl;
let log = '';

/** One JSON-RPC call over HTTP; the whole answer (result or error). */
async function call(method, params = []) {
  const response = await fetch(httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  return response.json();
}

/**
 * Signs in as `pair` (auth_challenge, then auth_signIn over the message the node names:
 * `carechain/rpc/sign-in/v1` ++ genesis hash ++ challenge ++ account) and returns the token,
 * retrying while the node starts.
 */
async function signIn(pair) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const { result } = await call('auth_challenge', [pair.address]);
      const message = Buffer.concat([
        Buffer.from('carechain/rpc/sign-in/v1'),
        Buffer.from(result.genesisHash.slice(2), 'hex'),
        Buffer.from(result.challenge.slice(2), 'hex'),
        Buffer.from(pair.publicKey),
      ]);
      const signature = `0x${Buffer.from(pair.sign(message)).toString('hex')}`;
      const answer = await call('auth_signIn', [pair.address, result.challenge, signature]);
      assert.ok(answer.result, `sign-in refused: ${JSON.stringify(answer.error)}`);
      return answer.result.token;
    } catch (e) {
      if (Date.now() > deadline || e instanceof assert.AssertionError) throw new Error(`no session: ${e.message}\n${log}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

before(async () => {
  assert.ok(existsSync(binary), `${binary} is missing: run cargo build -p carechain-node first`);
  basePath = mkdtempSync(join(tmpdir(), 'carechain-js-'));
  const rpcPort = await freePort();
  node = spawn(binary, [
    '--dev', '--gpu', 'cpu', '--base-path', basePath,
    '--rpc-port', String(rpcPort),
    '--prometheus-port', String(await freePort()),
    '--listen-addr', `/ip4/127.0.0.1/tcp/${await freePort()}`,
    '--rpc-auth', 'on',
  ]);
  node.stdout.on('data', (chunk) => { log += chunk; });
  node.stderr.on('data', (chunk) => { log += chunk; });
  await cryptoWaitReady();
  httpUrl = `http://127.0.0.1:${rpcPort}`;
  // Alice is an admin of St. Alice General Hospital: a member, who may read raw state.
  const token = await signIn(new Keyring({ type: 'ed25519' }).addFromUri('//Alice'));
  wsUrl = `ws://127.0.0.1:${rpcPort}?token=${token}`;
  provider = new WsProvider(wsUrl, 250);
  api = await ApiPromise.create({ provider, throwOnConnect: false, noInitWarn: true });
});

after(async () => {
  await api?.disconnect();
  node?.kill('SIGKILL');
  if (basePath) rmSync(basePath, { recursive: true, force: true });
});

test('connects and reads the chain, metadata and constants', async () => {
  assert.equal((await api.rpc.system.chain()).toString(), 'Development');
  assert.equal(api.runtimeVersion.specName.toString(), 'carechain');
  assert.ok(api.runtimeMetadata.version >= 14);
  assert.ok(api.tx.records.createRecord, 'the records pallet is in the metadata');
  assert.ok(api.consts.records.maxVersions.toNumber() > 0);
  const genesis = await api.rpc.chain.getBlockHash(0);
  assert.equal(genesis.toHex(), api.genesisHash.toHex());
});

/** Bob (ed25519), Eve, and Bob's call anchoring an Observation of Eve sealed as `ciphertext`. */
function bobRecordsForEve(ciphertext, size) {
  const keyring = new Keyring({ type: 'ed25519' });
  const bob = keyring.addFromUri('//Bob');
  const eve = keyring.addFromUri('//Eve');
  const contentHash = blake2AsHex(ciphertext);
  const call = api.tx.records.createRecord(eve.address, 'Observation', {
    contentHash,
    size,
    locator: contentHash, // the vault's content address of the blob
    patientKey: '0x' + '07'.repeat(80), // an HPKE-wrapped key is 80 bytes
  });
  return { bob, eve, call };
}

test('signs a records call with an ed25519 pair and sees its event finalized', async () => {
  const { bob, eve, call } = bobRecordsForEve('ciphertext from @polkadot/api', 2048);
  const events = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not finalized in 60 s; node log:\n${log}`)), 60_000);
    call.signAndSend(bob, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        clearTimeout(timer);
        reject(new Error(`dispatch failed: ${dispatchError.toString()}`));
      }
      if (status.isFinalized) {
        clearTimeout(timer);
        resolve(events);
      }
    }).catch((error) => { clearTimeout(timer); reject(error); });
  });
  const created = events.find(({ event }) => api.events.records.RecordCreated.is(event));
  assert.ok(created, `RecordCreated among ${events.map(({ event }) => event.method).join(', ')}`);
  assert.equal(created.event.data.author.toString(), bob.address);
  assert.equal(created.event.data.patient.toString(), eve.address);
  const nonce = await api.rpc.system.accountNextIndex(bob.address);
  assert.equal(nonce.toNumber(), 1);
});

test('tx.paymentInfo and rpc.payment.* answer the weight and a fee of zero', async () => {
  const { bob, call: tx } = bobRecordsForEve('a fee query from @polkadot/api', 512);
  assert.ok(api.call.transactionPaymentApi?.queryInfo, 'TransactionPaymentApi is in the runtime');
  const info = await tx.paymentInfo(bob);
  assert.equal(info.partialFee.toBigInt(), 0n);
  assert.equal(info.class.toString(), 'Normal');
  assert.ok(info.weight.refTime.toBigInt() > 0n, `weight ${info.weight.toString()}`);
  // The legacy RPC, on signed bytes, answers the same fee, in Substrate's shape: the weight
  // as sp-weights serializes it (`ref_time`, `proof_size`). @polkadot/api's decorated
  // `rpc.payment.queryInfo` still decodes the weight as V1 (a bare number: "Stuck on V1
  // forever", its source says) and fails on it, against Substrate's own nodes as here; the
  // provider's answer is checked instead.
  const signed = await tx.signAsync(bob, { nonce: 1000 });
  const legacy = await api.rpc.payment.queryFeeDetails(signed.toHex());
  assert.equal(legacy.inclusionFee.unwrap().baseFee.toBigInt(), 0n);
  const raw = await provider.send('payment_queryInfo', [signed.toHex()]);
  assert.deepEqual(raw, {
    weight: { ref_time: Number(info.weight.refTime.toBigInt()), proof_size: Number(info.weight.proofSize.toBigInt()) },
    class: 'normal',
    partialFee: '0',
  });
  // Given the type Substrate's nodes answer with (`RuntimeDispatchInfo`, whose weight is
  // sp-weights' V2) through @polkadot/api's own `rpc` option, its decorated
  // `rpc.payment.queryInfo` decodes the answer.
  const v2 = await ApiPromise.create({
    provider: new WsProvider(wsUrl, 250),
    noInitWarn: true,
    rpc: {
      payment: {
        queryInfo: {
          description: 'The weight, class and fee of an extrinsic',
          params: [{ name: 'extrinsic', type: 'Bytes' }, { name: 'at', type: 'BlockHash', isOptional: true }],
          type: 'RuntimeDispatchInfo',
        },
      },
    },
  });
  try {
    const decorated = await v2.rpc.payment.queryInfo(signed.toHex());
    assert.equal(decorated.weight.refTime.toBigInt(), info.weight.refTime.toBigInt());
    assert.equal(decorated.weight.proofSize.toBigInt(), info.weight.proofSize.toBigInt());
    assert.equal(decorated.class.toString(), 'Normal');
    assert.equal(decorated.partialFee.toBigInt(), 0n);
  } finally {
    await v2.disconnect();
  }
  // A caller without a session too.
  const anonymous = await call('payment_queryInfo', [signed.toHex()]);
  assert.equal(anonymous.result?.partialFee, '0', JSON.stringify(anonymous));
  assert.equal(BigInt(anonymous.result.weight.ref_time), info.weight.refTime.toBigInt());
  // Block hashes for a list of numbers, as Substrate answers them.
  const hashes = await call('chain_getBlockHash', [[0, 1]]);
  assert.equal(hashes.result?.[0], api.genesisHash.toHex(), JSON.stringify(hashes));
});

test('without a session the node answers only what is public by design', async () => {
  assert.equal((await call('system_health')).result.isSyncing, false);
  assert.ok((await call('state_getRuntimeVersion')).result.specVersion > 0);
  const key = api.query.system.number.key();
  const refused = await call('state_getStorage', [key]);
  assert.equal(refused.error?.code, -32040, JSON.stringify(refused));
  assert.match(refused.error.message, /auth_signIn/);
  // The session's connection reads it.
  assert.ok((await api.query.system.number()).toNumber() >= 1);
});
