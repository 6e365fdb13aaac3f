// SCALE, the encoding of everything on a Substrate chain, driven by the runtime's type registry.
//
// Values map to JavaScript as follows, both ways:
// - bool, str: boolean, string; u8..u32, i8..i32: number; wider integers: bigint (a number or
//   a decimal string is accepted when encoding).
// - sequences and arrays of u8: `0x` hex strings (a Uint8Array, or a plain string as UTF-8, is
//   accepted when encoding); other sequences, arrays and tuples: arrays.
// - structs: objects keyed by field name; a struct with one unnamed field is that field's value.
// - AccountId32: an SS58 address (hex, bytes or an account object are accepted when encoding).
// - Option: the value or null.
// - enums whose variants carry no data: the variant's name; other enums:
//   `{ type: 'Variant', value }` (the value follows the struct rules; a name alone is accepted
//   for variants without data).

import { concat, fromUtf8, toBytes, toHex, utf8 } from './bytes.js';

/** A SCALE value did not fit its type, or bytes did not decode. */
export class ScaleError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ScaleError';
  }
}

/** Appends SCALE bytes. */
export class Writer {
  constructor() {
    this.parts = [];
  }

  bytes(bytes) {
    this.parts.push(bytes);
    return this;
  }

  uint(value, byteLength) {
    let v = BigInt(value);
    if (v < 0n || v >= 1n << BigInt(8 * byteLength)) {
      throw new ScaleError(`${value} does not fit in ${8 * byteLength} unsigned bits`);
    }
    const out = new Uint8Array(byteLength);
    for (let i = 0; i < byteLength; i++) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return this.bytes(out);
  }

  int(value, byteLength) {
    const bits = BigInt(8 * byteLength);
    const v = BigInt(value);
    if (v < -(1n << (bits - 1n)) || v >= 1n << (bits - 1n)) {
      throw new ScaleError(`${value} does not fit in ${bits} signed bits`);
    }
    return this.uint(v < 0n ? v + (1n << bits) : v, byteLength);
  }

  compact(value) {
    return this.bytes(encodeCompact(value));
  }

  /** Length-prefixed bytes, as `Vec<u8>` encodes. */
  vec(bytes) {
    return this.compact(bytes.length).bytes(bytes);
  }

  finish() {
    return concat(...this.parts);
  }
}

/** The SCALE compact encoding of a non-negative integer. */
export function encodeCompact(value) {
  const v = BigInt(value);
  if (v < 0n) throw new ScaleError(`compact integers are unsigned, got ${value}`);
  if (v < 1n << 6n) return Uint8Array.of(Number(v << 2n));
  if (v < 1n << 14n) {
    const n = Number((v << 2n) | 1n);
    return Uint8Array.of(n & 0xff, n >> 8);
  }
  if (v < 1n << 30n) {
    const n = (v << 2n) | 2n;
    return new Writer().uint(n, 4).finish();
  }
  let length = 0;
  for (let rest = v; rest > 0n; rest >>= 8n) length++;
  if (length > 67) throw new ScaleError(`${value} is too large for a compact integer`);
  return concat(Uint8Array.of(((length - 4) << 2) | 3), new Writer().uint(v, length).finish());
}

/** Reads SCALE bytes from the front. */
export class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.offset = 0;
  }

  take(length) {
    if (this.offset + length > this.bytes.length) {
      throw new ScaleError(
        `unexpected end of input: needed ${length} bytes at offset ${this.offset} of ${this.bytes.length}`,
      );
    }
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  u8() {
    return this.take(1)[0];
  }

  uint(byteLength) {
    const bytes = this.take(byteLength);
    let v = 0n;
    for (let i = byteLength - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
    return v;
  }

  int(byteLength) {
    const v = this.uint(byteLength);
    const bits = BigInt(8 * byteLength);
    return v >= 1n << (bits - 1n) ? v - (1n << bits) : v;
  }

  u32() {
    return Number(this.uint(4));
  }

  compact() {
    const first = this.bytes[this.offset];
    if (first === undefined) throw new ScaleError('unexpected end of input in a compact integer');
    switch (first & 3) {
      case 0:
        return BigInt(this.u8() >> 2);
      case 1:
        return this.uint(2) >> 2n;
      case 2:
        return this.uint(4) >> 2n;
      default:
        this.u8();
        return this.uint((first >> 2) + 4);
    }
  }

  /** A compact integer that must fit in a JavaScript number (lengths, indices). */
  length() {
    const v = this.compact();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ScaleError(`length ${v} is implausible`);
    return Number(v);
  }

  vec() {
    return this.take(this.length());
  }

  str() {
    return fromUtf8(this.vec());
  }

  bool() {
    const b = this.u8();
    if (b > 1) throw new ScaleError(`invalid bool byte ${b}`);
    return b === 1;
  }

  option(read) {
    const tag = this.u8();
    if (tag === 0) return null;
    if (tag === 1) return read(this);
    throw new ScaleError(`invalid Option tag ${tag}`);
  }

  seq(read) {
    const n = this.length();
    const out = [];
    for (let i = 0; i < n; i++) out.push(read(this));
    return out;
  }

  get remaining() {
    return this.bytes.length - this.offset;
  }
}

const UNSIGNED = { u8: 1, u16: 2, u32: 4, u64: 8, u128: 16, u256: 32 };
const SIGNED = { i8: 1, i16: 2, i32: 4, i64: 8, i128: 16, i256: 32 };

/**
 * Encodes and decodes values of the types of a runtime's portable type registry.
 * `accounts` converts AccountId32 values: `{ encode(value) -> Uint8Array, decode(bytes) -> any }`.
 */
export class TypeCodec {
  constructor(types, accounts) {
    this.types = types;
    this.accounts = accounts;
  }

  type(id) {
    const type = this.types[id];
    if (!type) throw new ScaleError(`type ${id} is not in the runtime's type registry`);
    return type;
  }

  /** A readable name of a type, for error messages. */
  name(id) {
    const type = this.type(id);
    if (type.path.length) return type.path[type.path.length - 1];
    const def = type.def;
    switch (def.kind) {
      case 'primitive':
        return def.primitive;
      case 'sequence':
        return `Vec<${this.name(def.type)}>`;
      case 'array':
        return `[${this.name(def.type)}; ${def.len}]`;
      case 'compact':
        return `Compact<${this.name(def.type)}>`;
      case 'tuple':
        return `(${def.fields.map((t) => this.name(t)).join(', ')})`;
      default:
        return `type ${id}`;
    }
  }

  isBytes(id) {
    const def = this.type(id).def;
    return def.kind === 'primitive' && def.primitive === 'u8';
  }

  /** The SCALE bytes of `value` as type `id`. */
  encode(id, value, what = this.name(id)) {
    const writer = new Writer();
    this.write(writer, id, value, what);
    return writer.finish();
  }

  /** The value of type `id` from all of `bytes`. */
  decode(id, bytes) {
    const reader = bytes instanceof Reader ? bytes : new Reader(bytes);
    const value = this.read(reader, id);
    if (!(bytes instanceof Reader) && reader.remaining) {
      throw new ScaleError(`${reader.remaining} bytes left over after decoding ${this.name(id)}`);
    }
    return value;
  }

  write(w, id, value, what) {
    const type = this.type(id);
    const def = type.def;
    if (isAccountId32(type)) {
      w.bytes(this.accounts.encode(value, what));
      return;
    }
    switch (def.kind) {
      case 'primitive':
        return writePrimitive(w, def.primitive, value, what);
      case 'compact':
        return w.compact(compactValue(this, def.type, value, what));
      case 'sequence':
        if (this.isBytes(def.type)) return w.vec(toBytes(value, what));
        if (!Array.isArray(value)) throw new ScaleError(`${what} must be an array`);
        w.compact(value.length);
        value.forEach((item, i) => this.write(w, def.type, item, `${what}[${i}]`));
        return;
      case 'array': {
        const items = this.isBytes(def.type) ? toBytes(value, what) : value;
        if (!items || items.length !== def.len) {
          throw new ScaleError(`${what} must have exactly ${def.len} items, got ${items?.length}`);
        }
        if (items instanceof Uint8Array) return w.bytes(items);
        items.forEach((item, i) => this.write(w, def.type, item, `${what}[${i}]`));
        return;
      }
      case 'tuple':
        if (def.fields.length === 0) return;
        if (def.fields.length === 1 && !Array.isArray(value)) {
          return this.write(w, def.fields[0], value, what);
        }
        if (!Array.isArray(value) || value.length !== def.fields.length) {
          throw new ScaleError(`${what} must be an array of ${def.fields.length} items`);
        }
        def.fields.forEach((t, i) => this.write(w, t, value[i], `${what}[${i}]`));
        return;
      case 'composite':
        return this.writeFields(w, def.fields, value, what);
      case 'variant':
        return this.writeVariant(w, type, value, what);
      default:
        throw new ScaleError(`${what}: bit sequences are not supported`);
    }
  }

  writeFields(w, fields, value, what) {
    if (fields.length === 0) return;
    if (fields[0].name === null) {
      if (fields.length === 1) return this.write(w, fields[0].type, value, what);
      if (!Array.isArray(value) || value.length !== fields.length) {
        throw new ScaleError(`${what} must be an array of ${fields.length} items`);
      }
      fields.forEach((f, i) => this.write(w, f.type, value[i], `${what}[${i}]`));
      return;
    }
    if (value === null || typeof value !== 'object') {
      throw new ScaleError(
        `${what} must be an object with ${fields.map((f) => f.name).join(', ')}`,
      );
    }
    for (const field of fields) {
      const key = field.name in value ? field.name : camelCase(field.name);
      if (!(key in value)) throw new ScaleError(`${what}.${key} is missing`);
      this.write(w, field.type, value[key], `${what}.${key}`);
    }
  }

  writeVariant(w, type, value, what) {
    const variants = type.def.variants;
    if (isOption(type)) {
      if (value === null || value === undefined) return w.bytes(Uint8Array.of(0));
      w.bytes(Uint8Array.of(1));
      return this.write(w, variants.find((v) => v.name === 'Some').fields[0].type, value, what);
    }
    const name = typeof value === 'string' ? value : value?.type;
    const variant = variants.find((v) => v.name === name);
    if (!variant) {
      throw new ScaleError(
        `${what}: unknown variant ${JSON.stringify(name)}; expected one of ${variants.map((v) => v.name).join(', ')}`,
      );
    }
    w.bytes(Uint8Array.of(variant.index));
    if (variant.fields.length === 0) return;
    if (typeof value === 'string') throw new ScaleError(`${what}: ${name} needs a value`);
    this.writeFields(w, variant.fields, value.value, `${what}.${name}`);
  }

  read(r, id) {
    const type = this.type(id);
    const def = type.def;
    if (isAccountId32(type)) return this.accounts.decode(r.take(32));
    switch (def.kind) {
      case 'primitive':
        return readPrimitive(r, def.primitive);
      case 'compact': {
        const v = r.compact();
        return this.narrow(def.type) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case 'sequence':
        if (this.isBytes(def.type)) return toHex(r.vec());
        return r.seq(() => this.read(r, def.type));
      case 'array':
        if (this.isBytes(def.type)) return toHex(r.take(def.len));
        return Array.from({ length: def.len }, () => this.read(r, def.type));
      case 'tuple':
        if (def.fields.length === 0) return null;
        return def.fields.map((t) => this.read(r, t));
      case 'composite':
        return this.readFields(r, def.fields);
      case 'variant': {
        const index = r.u8();
        const variant = def.variants.find((v) => v.index === index);
        if (!variant) throw new ScaleError(`${this.name(id)}: no variant with index ${index}`);
        if (isOption(type)) return variant.name === 'None' ? null : this.readFields(r, variant.fields);
        if (def.variants.every((v) => v.fields.length === 0)) return variant.name;
        if (variant.fields.length === 0) return { type: variant.name };
        return { type: variant.name, value: this.readFields(r, variant.fields) };
      }
      default:
        throw new ScaleError(`${this.name(id)}: bit sequences are not supported`);
    }
  }

  readFields(r, fields) {
    if (fields.length === 0) return null;
    if (fields[0].name === null) {
      if (fields.length === 1) return this.read(r, fields[0].type);
      return fields.map((f) => this.read(r, f.type));
    }
    const out = {};
    for (const field of fields) out[camelCase(field.name)] = this.read(r, field.type);
    return out;
  }

  /** Whether compacts of type `id` fit in a JavaScript number. */
  narrow(id) {
    const def = this.type(id).def;
    if (def.kind === 'primitive') return ['u8', 'u16', 'u32'].includes(def.primitive);
    if (def.kind === 'composite' && def.fields.length === 1) return this.narrow(def.fields[0].type);
    return false;
  }
}

function compactValue(codec, id, value, what) {
  const def = codec.type(id).def;
  if (def.kind === 'composite' && def.fields.length === 1 && typeof value === 'object') {
    return compactValue(codec, def.fields[0].type, Object.values(value)[0], what);
  }
  return integer(value, what);
}

function integer(value, what) {
  try {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error();
    if (typeof value !== 'number' && typeof value !== 'bigint' && typeof value !== 'string') {
      throw new Error();
    }
    return BigInt(value);
  } catch {
    throw new ScaleError(`${what} must be an integer, got ${String(value)}`);
  }
}

function writePrimitive(w, primitive, value, what) {
  if (primitive in UNSIGNED) {
    try {
      return w.uint(integer(value, what), UNSIGNED[primitive]);
    } catch (e) {
      throw new ScaleError(`${what}: ${e.message}`);
    }
  }
  if (primitive in SIGNED) return w.int(integer(value, what), SIGNED[primitive]);
  switch (primitive) {
    case 'bool':
      if (typeof value !== 'boolean') throw new ScaleError(`${what} must be true or false`);
      return w.bytes(Uint8Array.of(value ? 1 : 0));
    case 'str':
      if (typeof value !== 'string') throw new ScaleError(`${what} must be a string`);
      return w.vec(utf8(value));
    case 'char':
      return w.uint(String(value).codePointAt(0), 4);
    default:
      throw new ScaleError(`${what}: unknown primitive ${primitive}`);
  }
}

function readPrimitive(r, primitive) {
  if (primitive in UNSIGNED) {
    const v = r.uint(UNSIGNED[primitive]);
    return UNSIGNED[primitive] <= 4 ? Number(v) : v;
  }
  if (primitive in SIGNED) {
    const v = r.int(SIGNED[primitive]);
    return SIGNED[primitive] <= 4 ? Number(v) : v;
  }
  switch (primitive) {
    case 'bool':
      return r.bool();
    case 'str':
      return r.str();
    case 'char':
      return String.fromCodePoint(r.u32());
    default:
      throw new ScaleError(`unknown primitive ${primitive}`);
  }
}

function isAccountId32(type) {
  return type.path.join('::') === 'sp_core::crypto::AccountId32';
}

function isOption(type) {
  return type.path.length === 1 && type.path[0] === 'Option';
}

/** `snake_case` to `camelCase`, as field names appear in JavaScript. */
export function camelCase(name) {
  return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}
