// The SDK's values over polkadot-api's dynamic codecs. The bytes are polkadot-api's
// (`@polkadot-api/metadata-builders` builds a codec for each type of the runtime from
// `@polkadot-api/substrate-bindings`); this file only maps values, walking the same lookup
// entries, so that callers keep one convention whichever pallet they touch:
// - bool, str: boolean, string; u8..u32, i8..i32: number; wider integers: bigint (a number or
//   a decimal string is accepted when encoding, and checked against the type's range).
// - sequences and arrays of u8: `0x` hex strings (a Uint8Array, or a plain string as UTF-8, is
//   accepted when encoding); other sequences, arrays and tuples: arrays.
// - structs: objects keyed by field name in camelCase (snake_case is accepted when encoding).
// - AccountId32: an SS58 address (hex, bytes or an account object are accepted when encoding).
// - Option: the value or null; `()`: null.
// - enums whose variants carry no data: the variant's name; other enums:
//   `{ type: 'Variant', value }`, or `{ type: 'Variant' }` for a variant without data (a name
//   alone is accepted when encoding). Result: `{ type: 'Ok' | 'Err', value }`.

import { createDecoder } from '@polkadot-api/substrate-bindings';
import { isHex, toBytes, toHex } from './bytes.js';
import { accountBytes, decodeAddress, encodeAddress } from './keys.js';

/** A value did not fit its type, or bytes did not decode as it. */
export class ScaleError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = 'ScaleError';
  }
}

/**
 * `snake_case` to `camelCase`, as field names appear in JavaScript.
 * @param {string} name
 * @returns {string}
 */
export function camelCase(name) {
  return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

const BITS = { u8: 8, u16: 16, u32: 32, u64: 64, u128: 128, u256: 256, i8: 8, i16: 16, i32: 32, i64: 64, i128: 128, i256: 256 };

const isU8 = (entry) => entry.type === 'primitive' && entry.value === 'u8';

/** An integer of `primitive` from a number, bigint or decimal string, checked against its range. */
function integer(primitive, value, what) {
  let v;
  try {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error();
    if (!['number', 'bigint', 'string'].includes(typeof value)) throw new Error();
    v = BigInt(value);
  } catch {
    throw new ScaleError(`${what} must be an integer, got ${String(value)}`);
  }
  const bits = BigInt(BITS[primitive]);
  const [min, max] = primitive.startsWith('i') ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
  if (v < min || v > max) throw new ScaleError(`${what}: ${value} does not fit in ${primitive} (${min}..${max})`);
  return bits <= 32n ? Number(v) : v;
}

/**
 * Encodes and decodes values of the runtime's types (by type id) with the conventions above.
 */
export class TypeCodec {
  /**
   * @param {import('@polkadot-api/metadata-builders').MetadataLookup} lookup metadata-builders'
   *   `getLookupFn(metadata)`
   * @param {{ buildDefinition(id: number): import('@polkadot-api/substrate-bindings').Codec<any>, ss58Prefix?: number }} builder
   *   its `getDynamicBuilder(lookup)` (or anything with `buildDefinition`)
   * @param {number} ss58Prefix the prefix of decoded addresses
   */
  constructor(lookup, builder, ss58Prefix) {
    this.lookup = lookup;
    this.builder = builder;
    this.ss58Prefix = ss58Prefix;
    // polkadot-api decodes accounts with the runtime's `System.SS58Prefix` (42 without one);
    // another prefix means writing each address again.
    this.readdress = ss58Prefix !== (builder.ss58Prefix ?? 42);
    this.types = new Map(lookup.metadata.lookup.map((t) => [t.id, t]));
  }

  /**
   * The lookup entry of type `id`: `{ type: 'struct' | 'enum' | ..., value }`.
   * @param {number} id
   * @returns {import('@polkadot-api/metadata-builders').LookupEntry}
   */
  entry(id) {
    if (!this.types.has(id)) throw new ScaleError(`type ${id} is not in the runtime's type registry`);
    return this.lookup(id);
  }

  /**
   * A readable name of a type, for error messages.
   * @param {number} id
   * @returns {string}
   */
  name(id) {
    const path = this.types.get(id)?.path ?? [];
    return path.length ? path[path.length - 1] : `type ${id}`;
  }

  /**
   * The SCALE bytes of `value` as type `id`; throws a ScaleError naming `what` when it does not fit.
   * @param {number} id
   * @param {unknown} value
   * @param {string} [what] what the value is, for error messages
   * @returns {Uint8Array}
   */
  encode(id, value, what = this.name(id)) {
    const papi = this.toPapi(this.entry(id), value, what);
    try {
      return this.builder.buildDefinition(id).enc(papi);
    } catch (e) {
      throw new ScaleError(`${what} does not encode as ${this.name(id)}: ${e.message}`, { cause: e });
    }
  }

  /**
   * The value of type `id` from all of `bytes`; throws a ScaleError on bytes left over.
   * @param {number} id
   * @param {string|Uint8Array} bytes 0x-hex or bytes
   * @returns {any}
   */
  decode(id, bytes) {
    return this.fromPapi(this.entry(id), decodeAll(this.builder.buildDefinition(id), bytes, this.name(id)));
  }

  /**
   * An SDK value as polkadot-api's codec of `entry` takes it.
   * @param {import('@polkadot-api/metadata-builders').LookupEntry} entry
   * @param {unknown} value
   * @param {string} what what the value is, for error messages
   * @returns {any}
   */
  toPapi(entry, value, what) {
    switch (entry.type) {
      case 'void':
        return undefined;
      case 'primitive':
        return primitive(entry.value, value, what);
      case 'compact':
        return integer(entry.size, value && typeof value === 'object' ? Object.values(value)[0] : value, what);
      case 'AccountId32':
        return encodeAddress(accountBytes(value, what), this.ss58Prefix);
      case 'AccountId20': {
        const bytes = toBytes(value, what);
        if (bytes.length !== 20) throw new ScaleError(`${what} must have 20 bytes, got ${bytes.length}`);
        return toHex(bytes);
      }
      case 'sequence':
        if (isU8(entry.value)) return toBytes(value, what);
        if (!Array.isArray(value)) throw new ScaleError(`${what} must be an array`);
        return value.map((item, i) => this.toPapi(entry.value, item, `${what}[${i}]`));
      case 'array': {
        const items = isU8(entry.value) ? toBytes(value, what) : value;
        if (!items || items.length !== entry.len) {
          throw new ScaleError(`${what} must have exactly ${entry.len} items, got ${items?.length}`);
        }
        if (items instanceof Uint8Array) return toHex(items);
        return items.map((item, i) => this.toPapi(entry.value, item, `${what}[${i}]`));
      }
      case 'tuple':
        if (!Array.isArray(value) || value.length !== entry.value.length) {
          throw new ScaleError(`${what} must be an array of ${entry.value.length} items`);
        }
        return entry.value.map((inner, i) => this.toPapi(inner, value[i], `${what}[${i}]`));
      case 'struct':
        return this.fieldsToPapi(entry.value, value, what);
      case 'option':
        return value === null || value === undefined ? undefined : this.toPapi(entry.value, value, what);
      case 'result': {
        if (value?.type !== 'Ok' && value?.type !== 'Err') throw new ScaleError(`${what} must be { type: 'Ok' | 'Err', value }`);
        const ok = value.type === 'Ok';
        return { success: ok, value: this.toPapi(ok ? entry.value.ok : entry.value.ko, value.value, `${what}.${value.type}`) };
      }
      case 'enum':
        return this.variantToPapi(entry, value, what);
      default:
        throw new ScaleError(`${what}: ${entry.type} values are not supported`);
    }
  }

  fieldsToPapi(fields, value, what) {
    const names = Object.keys(fields);
    if (value === null || typeof value !== 'object') {
      throw new ScaleError(`${what} must be an object with ${names.map(camelCase).join(', ')}`);
    }
    const out = {};
    for (const name of names) {
      const key = camelCase(name) in value ? camelCase(name) : name;
      if (!(key in value)) throw new ScaleError(`${what}.${camelCase(name)} is missing`);
      out[name] = this.toPapi(fields[name], value[key], `${what}.${key}`);
    }
    return out;
  }

  variantToPapi(entry, value, what) {
    const name = typeof value === 'string' ? value : value?.type;
    const variant = Object.hasOwn(entry.value, name) ? entry.value[name] : undefined;
    if (!variant) {
      throw new ScaleError(
        `${what}: unknown variant ${JSON.stringify(name)}; expected one of ${Object.keys(entry.value).join(', ')}`,
      );
    }
    if (variant.type === 'void') return { type: name, value: undefined };
    if (typeof value === 'string') throw new ScaleError(`${what}: ${name} needs a value`);
    const at = `${what}.${name}`;
    switch (variant.type) {
      case 'lookupEntry':
        return { type: name, value: this.toPapi(variant.value, value.value, at) };
      case 'struct':
        return { type: name, value: this.fieldsToPapi(variant.value, value.value, at) };
      default:
        // 'tuple' and 'array' variants: their fields as an array.
        return { type: name, value: this.toPapi(variant, value.value, at) };
    }
  }

  /**
   * A value decoded by polkadot-api's codec of `entry`, in the SDK's convention.
   * @param {import('@polkadot-api/metadata-builders').LookupEntry} entry
   * @param {any} value
   * @returns {any}
   */
  fromPapi(entry, value) {
    switch (entry.type) {
      case 'void':
        return null;
      case 'sequence':
        return isU8(entry.value) ? toHex(value) : value.map((item) => this.fromPapi(entry.value, item));
      case 'array':
        if (isU8(entry.value)) return typeof value === 'string' ? value : toHex(value);
        return value.map((item) => this.fromPapi(entry.value, item));
      case 'tuple':
        return entry.value.map((inner, i) => this.fromPapi(inner, value[i]));
      case 'struct':
        return this.fieldsFromPapi(entry.value, value);
      case 'option':
        return value === undefined ? null : this.fromPapi(entry.value, value);
      case 'result':
        return value.success
          ? { type: 'Ok', value: this.fromPapi(entry.value.ok, value.value) }
          : { type: 'Err', value: this.fromPapi(entry.value.ko, value.value) };
      case 'enum': {
        const variants = Object.values(entry.value);
        if (variants.every((v) => v.type === 'void')) return value.type;
        const variant = entry.value[value.type];
        switch (variant.type) {
          case 'void':
            return { type: value.type };
          case 'lookupEntry':
            return { type: value.type, value: this.fromPapi(variant.value, value.value) };
          case 'struct':
            return { type: value.type, value: this.fieldsFromPapi(variant.value, value.value) };
          default:
            return { type: value.type, value: this.fromPapi(variant, value.value) };
        }
      }
      case 'AccountId32':
        return this.readdress ? encodeAddress(decodeAddress(value), this.ss58Prefix) : value;
      default:
        // Primitives and compacts are already numbers, bigints and strings.
        return value;
    }
  }

  fieldsFromPapi(fields, value) {
    const out = {};
    for (const name of Object.keys(fields)) out[camelCase(name)] = this.fromPapi(fields[name], value[name]);
    return out;
  }
}

function primitive(type, value, what) {
  if (type in BITS) return integer(type, value, what);
  switch (type) {
    case 'bool':
      if (typeof value !== 'boolean') throw new ScaleError(`${what} must be true or false`);
      return value;
    case 'str':
    case 'char':
      if (typeof value !== 'string') throw new ScaleError(`${what} must be a string`);
      return value;
    default:
      throw new ScaleError(`${what}: unknown primitive ${type}`);
  }
}

/** `codec.dec` over all of `bytes`: bytes left over mean the type was the wrong one. */
function decodeAll(codec, bytes, name) {
  // scale-ts reads a Uint8Array's whole underlying buffer, so a view is copied first.
  const input = typeof bytes === 'string' ? bytes : Uint8Array.from(bytes);
  if (typeof input === 'string' && !isHex(input)) throw new ScaleError(`${name}: bytes must be 0x-hex or a Uint8Array`);
  return createDecoder((internal) => {
    let value;
    try {
      value = codec.dec(internal);
    } catch (e) {
      throw new ScaleError(`the bytes do not decode as ${name}: ${e.message}`, { cause: e });
    }
    if (internal.i !== internal.length) {
      throw new ScaleError(`${internal.length - internal.i} bytes left over after decoding ${name}`);
    }
    return value;
  })(input);
}
