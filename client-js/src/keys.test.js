// Keys against known answers from `carechain key inspect --scheme ed25519` (sp-core), against
// polkadot.js's Keyring for ed25519 and sr25519, SS58, and what must never leak.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { ed25519 } from '@noble/curves/ed25519.js';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady, signatureVerify } from '@polkadot/util-crypto';
import { Account, DEV_PHRASE, KeyError, decodeAddress, encodeAddress } from './keys.js';
import { toHex } from './bytes.js';

// Each (secret URI, public key, SS58 address) as `carechain key inspect --scheme ed25519` prints it.
const KNOWN = [
  ['//Alice', '0x88dc3417d5058ec4b4503e0c12ea1a0a89be200fe98922423d4334014fa6b0ee', '5FA9nQDVg267DEd8m1ZypXLBnvN7SFxYwV7ndqSYGiN9TTpu'],
  [DEV_PHRASE, '0x345071da55e5dccefaaa440339415ef9f2663338a38f7da0df21be5ab4e055ef', '5DFJF7tY4bpbpcKPJcBTQaKuCDEPCpiz8TRjpmLeTtweqmXL'],
  [`${DEV_PHRASE}//hospital//1`, '0x486623a64485d281798ec010b2d14526ffc074d2922b82f68af30a5f6a7e4639', '5DhdeTGT4xbQ1PVf7wEG5UZrb124eUK7P4xsMA6ALTDeQAS4'],
  [`${DEV_PHRASE}//Alice///secret`, '0x749359c2116a245efb1f224dcca5d4c72ec1d64d02537721a9c36e124894ad65', '5EhZBdSULRVkzT1dFpVRY5SCeARTr4UzRibwzTLKFhaeFyKp'],
  ['//0', '0xffe0b81700cedadde9debaf7e61292d80581d4a37896055ba25f491b96b25ee6', '5HrCphkqYygSXWt9rHebqaqbfEYekhzjyjQNjZiPxpb3XsKY'],
  ['//a-junction-name-that-is-longer-than-thirty-two-bytes', '0x8f03a8241e11491ca5c5fa070d84c7e56fd254bc94dc2d9019a9c33496df39ec', '5FJDnq5PcScASZQMgFJAb3jRfHTLAAhu1pNSo19ryMNFqrpi'],
];

test('secret URIs give the accounts sp-core gives', () => {
  for (const [uri, publicKey, address] of KNOWN) {
    const account = Account.fromUri(uri);
    assert.equal(toHex(account.publicKey), publicKey, uri);
    assert.equal(account.address, address, uri);
    assert.equal(encodeAddress(decodeAddress(address)), address);
  }
});

// Secret URIs with hard and soft junctions, passwords, hex seeds and long junction names;
// `soft` marks those that only sr25519 derives.
const URIS = [
  ['//Alice', false],
  ['//Bob//stash', false],
  ['//Alice/1', true],
  ['//Alice//hospital/2/ward', true],
  [`${DEV_PHRASE}//hospital//1`, false],
  [`${DEV_PHRASE}/soft//hard///pass word`, true],
  ['legal winner thank year wave sausage worth useful legal winner thank yellow', false],
  ['legal winner thank year wave sausage worth useful legal winner thank yellow///TREZOR', false],
  ['0x9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60//1', false],
  ['//a-junction-name-that-is-longer-than-thirty-two-bytes/and-a-soft-one-that-is-also-long', true],
  ['//18446744073709551615//0', false],
];
// Numeric junctions past u64 (`//18446744073709551616`) are where sp-core and polkadot.js part:
// sp-core reads them as text, polkadot.js truncates them to 64 bits. This client follows sp-core
// (`carechain key inspect`), so they are left out here.

test('sr25519 and ed25519 accounts have the addresses polkadot.js gives', async () => {
  await cryptoWaitReady();
  const sr = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const ed = new Keyring({ type: 'ed25519', ss58Format: 42 });
  for (const [uri, soft] of URIS) {
    const account = Account.fromUri(uri, { type: 'sr25519' });
    assert.equal(account.type, 'sr25519');
    assert.equal(account.address, sr.addFromUri(uri).address, `sr25519 ${uri}`);
    if (soft) assert.throws(() => Account.fromUri(uri), /no soft derivation/);
    else assert.equal(Account.fromUri(uri).address, ed.addFromUri(uri).address, `ed25519 ${uri}`);
  }
  const { account, mnemonic } = Account.generate({ type: 'sr25519' });
  assert.equal(account.address, sr.addFromMnemonic(mnemonic).address);
  assert.equal(Account.fromMnemonic(mnemonic, { type: 'sr25519', password: 'x' }).address, sr.addFromUri(`${mnemonic}///x`).address);
  assert.equal(Account.fromUri('//Alice', { type: 'sr25519', prefix: 0 }).address, new Keyring({ type: 'sr25519', ss58Format: 0 }).addFromUri('//Alice').address);
  // The well-known dev account, as every Substrate tool prints it.
  assert.equal(Account.fromUri('//Alice', { type: 'sr25519' }).address, '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY');
});

test('sr25519 signatures verify with polkadot.js and bind the message and the key', async () => {
  await cryptoWaitReady();
  const alice = Account.fromUri('//Alice/wallet', { type: 'sr25519' });
  const message = new TextEncoder().encode('carechain');
  const signature = alice.sign(message);
  assert.equal(signature.length, 64);
  assert.ok(alice.verify(message, signature));
  const checked = signatureVerify(message, signature, alice.address);
  assert.ok(checked.isValid && checked.crypto === 'sr25519', JSON.stringify(checked));
  assert.notDeepEqual(alice.sign(message), signature, 'sr25519 signing draws fresh randomness');
  assert.ok(!alice.verify(new TextEncoder().encode('carechaiN'), signature));
  assert.ok(!Account.fromUri('//Alice', { type: 'sr25519' }).verify(message, signature));
  // A polkadot.js signature verifies here too.
  const theirs = new Keyring({ type: 'sr25519' }).addFromUri('//Alice/wallet').sign(message);
  assert.ok(alice.verify(message, theirs));
});

test('signatures verify as ed25519 and bind the message', () => {
  const alice = Account.fromUri('//Alice');
  const message = new TextEncoder().encode('carechain');
  const signature = alice.sign(message);
  assert.equal(signature.length, 64);
  assert.ok(ed25519.verify(signature, message, alice.publicKey));
  assert.ok(alice.verify(message, signature));
  assert.ok(!alice.verify(new TextEncoder().encode('carechaiN'), signature));
});

test('bad keys, addresses and URIs say what is wrong', () => {
  assert.throws(() => Account.fromUri('//Alice/soft'), /no soft derivation/);
  assert.throws(() => Account.fromUri('//Alice', { type: 'ecdsa' }), /ed25519 or sr25519, not ecdsa/);
  assert.throws(() => new Account(new Uint8Array(48), { type: 'sr25519' }), /32 bytes and a secret key 64, got 48/);
  assert.throws(() => Account.fromMnemonic('bottom drive obey lake curtain smoke basket hold race lonely fit fit'), /not a valid BIP-39/);
  assert.throws(() => Account.fromUri('0x1234'), /32 bytes/);
  const address = Account.fromUri('//Bob').address;
  const typo = address.slice(0, -1) + (address.endsWith('a') ? 'b' : 'a');
  assert.throws(() => decodeAddress(typo), (e) => e instanceof KeyError && /checksum/.test(e.message));
  assert.throws(() => decodeAddress('0OIl'), /not base58/);
});

test('secrets never print and forget() wipes them', () => {
  const { account, mnemonic } = Account.generate();
  assert.equal(mnemonic.split(' ').length, 12);
  const seedFree = (text) => !text.includes(mnemonic.split(' ')[0] + ' ' + mnemonic.split(' ')[1]);
  assert.ok(seedFree(JSON.stringify(account)) && seedFree(inspect(account)));
  assert.match(inspect(account), /<secret>/);
  assert.deepEqual(Object.keys(JSON.parse(JSON.stringify(account))).sort(), ['address', 'publicKey', 'type']);
  const key = account.encryptionKey();
  assert.deepEqual(key.publicKey, account.encryptionKey().publicKey, 'derived deterministically');
  assert.notDeepEqual(key.publicKey, Account.generate().account.encryptionKey().publicKey);
  account.forget();
  assert.notDeepEqual(account.sign(new Uint8Array(1)), Account.fromMnemonic(mnemonic).sign(new Uint8Array(1)));

  const { account: sr, mnemonic: srMnemonic } = Account.generate({ type: 'sr25519' });
  assert.ok(seedFree(JSON.stringify(sr)) && !inspect(sr).includes(srMnemonic.split(' ')[0] + ' '));
  assert.match(inspect(sr), /sr25519 .*<secret>/);
  const message = new Uint8Array(1);
  const before = sr.sign(message);
  assert.ok(sr.verify(message, before));
  sr.forget();
  assert.throws(() => { if (!sr.verify(message, sr.sign(message))) throw new Error('forgotten'); });
});
