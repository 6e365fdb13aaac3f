// The hashes of Substrate's storage keys and content: blake2b (from @noble/hashes) and
// xxHash64 ("twox"), which @noble does not provide.

import { blake2b } from '@noble/hashes/blake2.js';
import { concat, toBytes } from './bytes.js';

/** blake2b with a 32-byte digest: record content hashes, block hashes, signed payloads. */
export function blake2_256(data) {
  return blake2b(toBytes(data), { dkLen: 32 });
}

/** blake2b with a 16-byte digest. */
export function blake2_128(data) {
  return blake2b(toBytes(data), { dkLen: 16 });
}

const MASK = (1n << 64n) - 1n;
const P1 = 0x9e3779b185ebca87n;
const P2 = 0xc2b2ae3d27d4eb4fn;
const P3 = 0x165667b19e3779f9n;
const P4 = 0x85ebca77c2b2ae63n;
const P5 = 0x27d4eb2f165667c5n;

const rotl = (x, r) => ((x << BigInt(r)) | (x >> BigInt(64 - r))) & MASK;
const mul = (a, b) => (a * b) & MASK;
const add = (a, b) => (a + b) & MASK;

function read(bytes, at, n) {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
  return v;
}

function round(acc, input) {
  return mul(rotl(add(acc, mul(input, P2)), 31), P1);
}

function merge(acc, value) {
  return add(mul(acc ^ round(0n, value), P1), P4);
}

/** xxHash64 of `bytes` with `seed`. */
export function xxh64(bytes, seed = 0n) {
  const len = bytes.length;
  let p = 0;
  let h;
  if (len >= 32) {
    let v = [add(add(seed, P1), P2), add(seed, P2), seed, (seed - P1) & MASK];
    for (; p + 32 <= len; p += 32) v = v.map((acc, i) => round(acc, read(bytes, p + 8 * i, 8)));
    h = add(add(rotl(v[0], 1), rotl(v[1], 7)), add(rotl(v[2], 12), rotl(v[3], 18)));
    for (const acc of v) h = merge(h, acc);
  } else {
    h = add(seed, P5);
  }
  h = add(h, BigInt(len));
  for (; p + 8 <= len; p += 8) h = add(mul(rotl(h ^ round(0n, read(bytes, p, 8)), 27), P1), P4);
  if (p + 4 <= len) {
    h = add(mul(rotl(h ^ mul(read(bytes, p, 4), P1), 23), P2), P3);
    p += 4;
  }
  for (; p < len; p++) h = mul(rotl(h ^ mul(BigInt(bytes[p]), P5), 11), P1);
  h = mul(h ^ (h >> 33n), P2);
  h = mul(h ^ (h >> 29n), P3);
  return h ^ (h >> 32n);
}

/** Substrate's twox hash of `bits` (64, 128 or 256): xxHash64 with seeds 0, 1, ... concatenated. */
export function twox(data, bits) {
  const bytes = toBytes(data);
  const out = new Uint8Array(bits / 8);
  for (let seed = 0; seed < bits / 64; seed++) {
    let h = xxh64(bytes, BigInt(seed));
    for (let i = 0; i < 8; i++, h >>= 8n) out[8 * seed + i] = Number(h & 0xffn);
  }
  return out;
}

/** A storage map key's part for `hasher` (as metadata names it) over the encoded key. */
export function hashKey(hasher, encoded) {
  switch (hasher) {
    case 'Blake2_128':
      return blake2_128(encoded);
    case 'Blake2_256':
      return blake2_256(encoded);
    case 'Blake2_128Concat':
      return concat(blake2_128(encoded), encoded);
    case 'Twox128':
      return twox(encoded, 128);
    case 'Twox256':
      return twox(encoded, 256);
    case 'Twox64Concat':
      return concat(twox(encoded, 64), encoded);
    case 'Identity':
      return encoded;
    default:
      throw new Error(`unknown storage hasher ${hasher}`);
  }
}
