// The runtime's metadata (version 15): its types, pallets, calls, events, errors, storage,
// constants, transaction extensions and runtime APIs. Everything the client encodes or
// decodes is looked up here, so the client follows the runtime rather than hard-coding it.

import { fromHex } from './bytes.js';
import { Reader, ScaleError, TypeCodec, camelCase } from './scale.js';

const MAGIC = 0x6174656d; // "meta"
const PRIMITIVES = ['bool', 'char', 'str', 'u8', 'u16', 'u32', 'u64', 'u128', 'u256', 'i8', 'i16', 'i32', 'i64', 'i128', 'i256'];
const HASHERS = ['Blake2_128', 'Blake2_256', 'Blake2_128Concat', 'Twox128', 'Twox256', 'Twox64Concat', 'Identity'];

const docs = (r) => r.seq(() => r.str());
const typeId = (r) => r.length();

function readTypeDef(r) {
  const kind = r.u8();
  switch (kind) {
    case 0:
      return { kind: 'composite', fields: r.seq(readField) };
    case 1:
      return {
        kind: 'variant',
        variants: r.seq(() => ({
          name: r.str(),
          fields: r.seq(readField),
          index: r.u8(),
          docs: docs(r),
        })),
      };
    case 2:
      return { kind: 'sequence', type: typeId(r) };
    case 3:
      return { kind: 'array', len: r.u32(), type: typeId(r) };
    case 4:
      return { kind: 'tuple', fields: r.seq(typeId) };
    case 5:
      return { kind: 'primitive', primitive: PRIMITIVES[r.u8()] };
    case 6:
      return { kind: 'compact', type: typeId(r) };
    case 7:
      return { kind: 'bitsequence', store: typeId(r), order: typeId(r) };
    default:
      throw new ScaleError(`unknown type definition kind ${kind} in the metadata`);
  }
}

function readField(r) {
  return { name: r.option((x) => x.str()), type: typeId(r), typeName: r.option((x) => x.str()), docs: docs(r) };
}

function readStorage(r) {
  return {
    prefix: r.str(),
    entries: r.seq(() => {
      const name = r.str();
      const modifier = r.u8() === 0 ? 'Optional' : 'Default';
      const kind = r.u8();
      const entry =
        kind === 0
          ? { hashers: [], key: null, value: typeId(r) }
          : { hashers: r.seq(() => HASHERS[r.u8()]), key: typeId(r), value: typeId(r) };
      return { name, modifier, ...entry, default: r.vec(), docs: docs(r) };
    }),
  };
}

function readPallet(r) {
  return {
    name: r.str(),
    storage: r.option(readStorage),
    calls: r.option(typeId),
    events: r.option(typeId),
    constants: r.seq(() => ({ name: r.str(), type: typeId(r), value: r.vec().slice(), docs: docs(r) })),
    errors: r.option(typeId),
    index: r.u8(),
    docs: docs(r),
  };
}

/** Decoded runtime metadata with lookups by name. */
export class Metadata {
  /**
   * Decodes `RuntimeMetadataPrefixed` (version 15) from bytes or hex. `accounts` converts
   * AccountId32 values (see TypeCodec).
   */
  constructor(bytes, accounts) {
    const r = new Reader(typeof bytes === 'string' ? fromHex(bytes, 'metadata') : bytes);
    if (r.u32() !== MAGIC) throw new ScaleError('not runtime metadata: the "meta" prefix is missing');
    const version = r.u8();
    if (version !== 15) throw new ScaleError(`metadata version ${version}: this client reads version 15`);
    const types = [];
    r.seq(() => {
      const id = typeId(r);
      types[id] = {
        path: r.seq(() => r.str()),
        params: r.seq(() => ({ name: r.str(), type: r.option(typeId) })),
        def: readTypeDef(r),
        docs: docs(r),
      };
    });
    this.pallets = r.seq(readPallet);
    this.extrinsic = {
      version: r.u8(),
      address: typeId(r),
      call: typeId(r),
      signature: typeId(r),
      extra: typeId(r),
      extensions: r.seq(() => ({ identifier: r.str(), type: typeId(r), implicit: typeId(r) })),
    };
    this.runtimeType = typeId(r);
    this.apis = r.seq(() => ({
      name: r.str(),
      methods: r.seq(() => ({
        name: r.str(),
        inputs: r.seq(() => ({ name: r.str(), type: typeId(r) })),
        output: typeId(r),
        docs: docs(r),
      })),
      docs: docs(r),
    }));
    this.outer = { call: typeId(r), event: typeId(r), error: typeId(r) };
    this.codec = new TypeCodec(types, accounts);
  }

  /** The pallet named `name` (as in construct_runtime, e.g. "Records"), or by index. */
  pallet(name) {
    const pallet = this.pallets.find((p) => (typeof name === 'number' ? p.index === name : p.name === name));
    if (!pallet) {
      throw new ScaleError(`no pallet ${name} in the runtime; it has ${this.pallets.map((p) => p.name).join(', ')}`);
    }
    return pallet;
  }

  /** The variant of a pallet's Call, Event or Error enum, by name or index. */
  variant(palletName, part, name) {
    const pallet = this.pallet(palletName);
    if (pallet[part] === null) throw new ScaleError(`pallet ${pallet.name} has no ${part}`);
    const { variants } = this.codec.type(pallet[part]).def;
    const found = variants.find((v) => (typeof name === 'number' ? v.index === name : v.name === name));
    if (!found) {
      throw new ScaleError(
        `pallet ${pallet.name} has no ${part.replace(/s$/, '')} ${name}; it has ${variants.map((v) => v.name).join(', ')}`,
      );
    }
    return found;
  }

  /** A storage entry of a pallet. */
  storage(palletName, entryName) {
    const pallet = this.pallet(palletName);
    const entry = pallet.storage?.entries.find((e) => e.name === entryName);
    if (!entry) {
      const names = pallet.storage?.entries.map((e) => e.name).join(', ') ?? 'none';
      throw new ScaleError(`pallet ${pallet.name} has no storage ${entryName}; it has ${names}`);
    }
    return { prefix: pallet.storage.prefix, ...entry };
  }

  /** The decoded value of a pallet's constant. */
  constant(palletName, name) {
    const pallet = this.pallet(palletName);
    const constant = pallet.constants.find((c) => c.name === name);
    if (!constant) throw new ScaleError(`pallet ${pallet.name} has no constant ${name}`);
    return this.codec.decode(constant.type, constant.value);
  }

  /** A runtime API method, e.g. ("ProvenanceApi", "verify_product"). */
  api(apiName, method) {
    const api = this.apis.find((a) => a.name === apiName);
    if (!api) throw new ScaleError(`the runtime has no API ${apiName}`);
    const found = api.methods.find((m) => m.name === method || camelCase(m.name) === method);
    if (!found) throw new ScaleError(`runtime API ${apiName} has no method ${method}`);
    return found;
  }

  /**
   * A dispatch error in words: `{ pallet, name, docs }` for a pallet's error, `{ name }` for
   * the others (BadOrigin, Token, Arithmetic...).
   */
  describeDispatchError(error) {
    if (error?.type === 'Module') {
      const { index, error: code } = error.value;
      const pallet = this.pallet(index);
      const variant = this.variant(pallet.name, 'errors', Number(BigInt(code.slice(0, 4))));
      return { pallet: pallet.name, name: variant.name, docs: variant.docs.join(' ').trim() };
    }
    const name = typeof error === 'string' ? error : error?.type;
    const detail = typeof error === 'object' && error.value !== undefined ? `: ${JSON.stringify(error.value, jsonSafe)}` : '';
    return { pallet: null, name, docs: `${name}${detail}` };
  }
}

/** JSON.stringify's replacer that writes bigints as decimal strings. */
export function jsonSafe(_key, value) {
  return typeof value === 'bigint' ? value.toString() : value;
}
