// The SDK's values over polkadot-api's codecs, on a small type registry in the metadata's own
// format: the bytes are polkadot-api's, the values and the errors are this client's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getLookupCodecBuilder, getLookupFn } from '@polkadot-api/metadata-builders';
import { ScaleError, TypeCodec } from './codec.js';
import { toHex } from './bytes.js';
import { blake2_256 } from './hashing.js';
import { mortalEra } from './extrinsic.js';
import { Account } from './keys.js';

const primitive = (tag) => ({ tag: 'primitive', value: { tag } });
const field = (name, type) => ({ name, type, typeName: undefined, docs: [] });
const variant = (name, index, fields = []) => ({ name, index, fields, docs: [] });

// 0 u8, 1 Vec<u8>, 2 u64, 3 Option<u64>, 4 enum Kind, 5 struct Thing, 6 u32, 7 AccountId32,
// 8 [u8; 32], 9 Result<u32, u8>, 10 enum Color (no data), 11 Vec<AccountId32>, 12 (u32, u64),
// 13 Compact<u128>, 14 bool
const TYPES = [
  primitive('u8'),
  { tag: 'sequence', value: 0 },
  primitive('u64'),
  { tag: 'variant', value: [variant('None', 0), variant('Some', 1, [field(undefined, 2)])] },
  { tag: 'variant', value: [variant('Empty', 0), variant('Counted', 3, [field(undefined, 6)]), variant('Named', 4, [field('who', 7), field('flag', 14)])] },
  { tag: 'composite', value: [field('label', 1), field('max_size', 3), field('kind', 4)] },
  primitive('u32'),
  { tag: 'composite', value: [field(undefined, 8)] },
  { tag: 'array', value: { len: 32, type: 0 } },
  { tag: 'variant', value: [variant('Ok', 0, [field(undefined, 6)]), variant('Err', 1, [field(undefined, 0)])] },
  { tag: 'variant', value: [variant('Red', 0), variant('Green', 1)] },
  { tag: 'sequence', value: 7 },
  { tag: 'tuple', value: [6, 2] },
  { tag: 'compact', value: 15 },
  primitive('bool'),
  primitive('u128'),
];
const PATHS = { 3: ['Option'], 4: ['Kind'], 5: ['Thing'], 7: ['sp_core', 'crypto', 'AccountId32'], 9: ['Result'], 10: ['Color'] };
const PARAMS = { 3: [{ name: 'T', type: 2 }], 9: [{ name: 'T', type: 6 }, { name: 'E', type: 0 }] };

function codec(prefix = 42) {
  const lookup = getLookupFn({
    lookup: TYPES.map((def, id) => ({ id, path: PATHS[id] ?? [], params: PARAMS[id] ?? [], def, docs: [] })),
    pallets: [],
    extrinsic: { call: null },
  });
  return new TypeCodec(lookup, { buildDefinition: getLookupCodecBuilder(lookup) }, prefix);
}

test('structs, enums, options and bytes map both ways over the same bytes as before', () => {
  const c = codec();
  const value = { label: 'ab', maxSize: 7n, kind: { type: 'Counted', value: 9 } };
  const bytes = c.encode(5, value);
  assert.equal(toHex(bytes), '0x08616201070000000000000003' + '09000000');
  assert.deepEqual(c.decode(5, bytes), { label: '0x6162', maxSize: 7n, kind: { type: 'Counted', value: 9 } });
  assert.deepEqual(c.decode(5, toHex(bytes)), c.decode(5, bytes), 'hex in, the same value out');
  assert.deepEqual(c.decode(5, c.encode(5, { label: '0x', max_size: null, kind: 'Empty' })), { label: '0x', maxSize: null, kind: { type: 'Empty' } });
  assert.equal(c.decode(10, c.encode(10, 'Green')), 'Green');
  assert.deepEqual(c.decode(9, c.encode(9, { type: 'Err', value: 3 })), { type: 'Err', value: 3 });
  assert.deepEqual(c.decode(12, c.encode(12, [1, '18446744073709551615'])), [1, 18446744073709551615n]);
  assert.equal(toHex(c.encode(13, 2n ** 64n - 1n)), '0x13ffffffffffffffff');
});

test('accounts are SS58 addresses of the chain, from any form of account', () => {
  const alice = Account.fromUri('//Alice');
  const bob = Account.fromUri('//Bob', { type: 'sr25519' });
  const c = codec();
  const bytes = c.encode(11, [alice, bob.address, toHex(alice.publicKey)]);
  assert.deepEqual(c.decode(11, bytes), [alice.address, bob.address, alice.address]);
  const named = c.decode(4, c.encode(4, { type: 'Named', value: { who: bob.publicKey, flag: true } }));
  assert.deepEqual(named, { type: 'Named', value: { who: bob.address, flag: true } });
  assert.equal(codec(0).decode(7, alice.publicKey), Account.fromUri('//Alice', { prefix: 0 }).address);
});

test('values that do not fit say which and why', () => {
  const c = codec();
  assert.throws(() => c.encode(5, { label: 'x', maxSize: null }), /Thing.kind is missing/);
  assert.throws(() => c.encode(5, { label: 'x', maxSize: null, kind: 'Other' }), /unknown variant "Other"; expected one of Empty, Counted, Named/);
  assert.throws(() => c.encode(5, { label: 'x', maxSize: null, kind: 'Counted' }), /Counted needs a value/);
  assert.throws(() => c.encode(0, 256), (e) => e instanceof ScaleError && /256 does not fit in u8/.test(e.message));
  assert.throws(() => c.encode(6, -1), /does not fit in u32/);
  assert.throws(() => c.encode(2, 2 ** 64), /must be an integer/);
  assert.throws(() => c.encode(2, 1.5), /must be an integer/);
  assert.throws(() => c.encode(8, '0x1234'), /exactly 32 items, got 2/);
  assert.throws(() => c.encode(7, '5Gx'), /5Gx is not a valid SS58 address/);
  assert.throws(() => c.encode(14, 1), /true or false/);
  assert.throws(() => c.decode(6, Uint8Array.of(1, 0, 0, 0, 0)), /1 bytes left over after decoding/);
  assert.throws(() => c.decode(6, Uint8Array.of(1, 0)), ScaleError);
});

test('a view into a larger buffer decodes from its own start', () => {
  const c = codec();
  const buffer = Uint8Array.of(9, 9, 5, 0, 0, 0);
  assert.equal(c.decode(6, buffer.subarray(2)), 5);
});

test('blake2 and mortal eras match Substrate', () => {
  assert.equal(toHex(blake2_256(new Uint8Array(0))), '0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8');
  // sp_runtime::generic::Era::mortal(64, 100) encodes as [0x45, 0x02].
  assert.equal(toHex(mortalEra(100, 64)), '0x4502');
  assert.equal(toHex(mortalEra(0, 64)), '0x0500');
});
