// SCALE primitives and the storage hashes against reference values.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Reader, TypeCodec, Writer, encodeCompact } from './scale.js';
import { toHex, utf8 } from './bytes.js';
import { twox, blake2_256 } from './hashing.js';
import { mortalEra } from './extrinsic.js';

test('compact integers at every boundary', () => {
  const cases = [
    [0, '0x00'], [1, '0x04'], [63, '0xfc'], [64, '0x0101'], [16383, '0xfdff'], [16384, '0x02000100'],
    [2 ** 30 - 1, '0xfeffffff'], [2 ** 30, '0x0300000040'], [2n ** 64n - 1n, '0x13ffffffffffffffff'],
  ];
  for (const [value, hex] of cases) {
    assert.equal(toHex(encodeCompact(value)), hex, String(value));
    assert.equal(new Reader(encodeCompact(value)).compact(), BigInt(value));
  }
  assert.throws(() => encodeCompact(-1), /unsigned/);
});

test('fixed integers refuse what does not fit', () => {
  assert.equal(toHex(new Writer().uint(258, 2).finish()), '0x0201');
  assert.equal(toHex(new Writer().int(-1, 4).finish()), '0xffffffff');
  assert.throws(() => new Writer().uint(256, 1), /does not fit in 8 unsigned bits/);
  assert.throws(() => new Reader(Uint8Array.of(1)).uint(4), /unexpected end of input/);
});

test('twox and blake2 match Substrate storage prefixes and xxHash references', () => {
  assert.equal(toHex(twox('System', 128)), '0x26aa394eea5630e07c48ae0c9558cef7');
  assert.equal(toHex(twox('Account', 128)), '0xb99d880ec681799c0cf30e8886371da9');
  // Reference values from the xxhash C library (python-xxhash), for inputs of 32 bytes and more.
  assert.equal(toHex(twox(utf8('a'.repeat(40)), 64)), '0x03ef113184a69e56');
  const hundred = Uint8Array.from({ length: 100 }, (_, i) => i);
  assert.equal(toHex(twox(hundred, 128)).slice(18), '23708a09a2a3193d');
  assert.equal(toHex(blake2_256(new Uint8Array(0))), '0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8');
});

test('the type codec maps structs, enums, options and bytes', () => {
  // 0 u8, 1 Vec<u8>, 2 u64, 3 Option<u64>, 4 enum, 5 struct, 6 u32
  const types = [
    { path: [], def: { kind: 'primitive', primitive: 'u8' } },
    { path: [], def: { kind: 'sequence', type: 0 } },
    { path: [], def: { kind: 'primitive', primitive: 'u64' } },
    { path: ['Option'], def: { kind: 'variant', variants: [{ name: 'None', index: 0, fields: [] }, { name: 'Some', index: 1, fields: [{ name: null, type: 2 }] }] } },
    { path: ['Kind'], def: { kind: 'variant', variants: [{ name: 'Empty', index: 0, fields: [] }, { name: 'Counted', index: 3, fields: [{ name: null, type: 6 }] }] } },
    { path: ['Thing'], def: { kind: 'composite', fields: [{ name: 'label', type: 1 }, { name: 'max_size', type: 3 }, { name: 'kind', type: 4 }] } },
    { path: [], def: { kind: 'primitive', primitive: 'u32' } },
  ];
  const codec = new TypeCodec(types, null);
  const value = { label: 'ab', maxSize: 7n, kind: { type: 'Counted', value: 9 } };
  const bytes = codec.encode(5, value);
  assert.equal(toHex(bytes), '0x08616201070000000000000003' + '09000000');
  assert.deepEqual(codec.decode(5, bytes), { label: '0x6162', maxSize: 7n, kind: { type: 'Counted', value: 9 } });
  assert.deepEqual(codec.decode(5, codec.encode(5, { label: '0x', maxSize: null, kind: 'Empty' })), { label: '0x', maxSize: null, kind: { type: 'Empty' } });
  assert.throws(() => codec.encode(5, { label: 'x', maxSize: null }), /Thing.kind is missing/);
  assert.throws(() => codec.encode(5, { label: 'x', maxSize: null, kind: 'Other' }), /unknown variant "Other"; expected one of Empty, Counted/);
  assert.throws(() => codec.decode(5, Uint8Array.of(0, 0, 9)), /no variant with index 9/);
  assert.throws(() => codec.decode(6, Uint8Array.of(1, 0, 0, 0, 0)), /1 bytes left over/);
});

test('mortal eras encode as Substrate does', () => {
  // sp_runtime::generic::Era::mortal(64, 100) encodes as [0x45, 0x02].
  assert.equal(toHex(mortalEra(100, 64)), '0x4502');
  assert.equal(toHex(mortalEra(0, 64)), '0x0500');
});
