// The runtime's metadata: its types, pallets, calls, events, errors, storage, constants,
// transaction extensions and runtime APIs. polkadot-api decodes it
// (`@polkadot-api/substrate-bindings`) and builds a codec per type from it
// (`@polkadot-api/metadata-builders`); this class adds lookups by name with errors that say
// what exists, so the client follows the runtime rather than hard-coding it.

import { getDynamicBuilder, getLookupFn } from '@polkadot-api/metadata-builders';
import { Bytes, Option, decAnyMetadata, unifyMetadata } from '@polkadot-api/substrate-bindings';
import { ScaleError, TypeCodec, camelCase } from './codec.js';

const OPAQUE_METADATA = Option(Bytes());

/** A part of a pallet that is an enum of the runtime: its calls, events or errors. */
const PARTS = ['calls', 'events', 'errors'];

/** Decoded runtime metadata with lookups by name. */
export class Metadata {
  /**
   * Decodes `RuntimeMetadataPrefixed` (version 14, 15 or 16) from bytes or hex.
   * @param {string|Uint8Array} bytes
   * @param {{ ss58Prefix?: number }} [options] the prefix of decoded addresses (default: the
   *   runtime's `System.SS58Prefix`, else 42)
   */
  constructor(bytes, { ss58Prefix } = {}) {
    let decoded;
    try {
      decoded = unifyMetadata(decAnyMetadata(typeof bytes === 'string' ? bytes : Uint8Array.from(bytes)));
    } catch (e) {
      throw new ScaleError(`not runtime metadata of version 14 to 16: ${e.message}`, { cause: e });
    }
    /** polkadot-api's unified metadata. */
    this.raw = decoded;
    const lookup = getLookupFn(decoded);
    const builder = getDynamicBuilder(lookup);
    this.builder = builder;
    this.ss58Prefix = ss58Prefix ?? builder.ss58Prefix ?? 42;
    this.codec = new TypeCodec(lookup, builder, this.ss58Prefix);
    this.pallets = decoded.pallets;
    const extensions = decoded.extrinsic.signedExtensions[0] ?? Object.values(decoded.extrinsic.signedExtensions)[0] ?? [];
    // Version 14 names the address, signature and call types only as the extrinsic type's parameters.
    const param = (name) => this.codec.types.get(decoded.extrinsic.type)?.params.find((p) => p.name === name)?.type;
    this.extrinsic = {
      versions: decoded.extrinsic.version,
      address: decoded.extrinsic.address ?? param('Address'),
      call: decoded.extrinsic.call ?? lookup.call,
      signature: decoded.extrinsic.signature ?? param('Signature'),
      extensions: extensions.map(({ identifier, type, additionalSigned }) => ({ identifier, type, implicit: additionalSigned })),
    };
    this.apis = decoded.apis;
    this.outer = decoded.outerEnums ?? { call: this.extrinsic.call, event: null, error: null };
  }

  /**
   * The metadata in a `Metadata_metadata_at_version` answer (an `Option<OpaqueMetadata>`), or
   * null when the runtime does not have that version.
   * @param {string} hex the `state_call` result
   * @returns {Uint8Array|null}
   */
  static opaque(hex) {
    return OPAQUE_METADATA.dec(hex) ?? null;
  }

  /**
   * The pallet named `name` (as in construct_runtime, e.g. "Records"), or by index.
   * @param {string|number} name
   */
  pallet(name) {
    const pallet = this.pallets.find((p) => (typeof name === 'number' ? p.index === name : p.name === name));
    if (!pallet) {
      throw new ScaleError(`no pallet ${name} in the runtime; it has ${this.pallets.map((p) => p.name).join(', ')}`);
    }
    return pallet;
  }

  /**
   * The variant of a pallet's Call, Event or Error enum, by name or index.
   * @param {string|number} palletName
   * @param {'calls'|'events'|'errors'} part
   * @param {string|number} name
   * @returns {{ name: string, index: number, fields: Array<{ name?: string, type: number }>, docs: string[] }}
   */
  variant(palletName, part, name) {
    if (!PARTS.includes(part)) throw new TypeError(`a pallet's enums are ${PARTS.join(', ')}, not ${part}`);
    const pallet = this.pallet(palletName);
    if (!pallet[part]) throw new ScaleError(`pallet ${pallet.name} has no ${part}`);
    const { def } = this.type(pallet[part].type);
    const found = def.value.find((v) => (typeof name === 'number' ? v.index === name : v.name === name));
    if (!found) {
      throw new ScaleError(
        `pallet ${pallet.name} has no ${part.replace(/s$/, '')} ${name}; it has ${def.value.map((v) => v.name).join(', ')}`,
      );
    }
    return { name: found.name, index: found.index, fields: found.fields, docs: found.docs };
  }

  /**
   * The registry's definition of type `id`: `{ id, path, params, def: { tag, value }, docs }`.
   * @param {number} id
   */
  type(id) {
    const type = this.codec.types.get(id);
    if (!type) throw new ScaleError(`type ${id} is not in the runtime's type registry`);
    return type;
  }

  /**
   * A storage entry of a pallet: `{ prefix, name, modifier: 'Optional' | 'Default', hashers,
   * key, value, default }`, with polkadot-api's codec of its keys and value in `codec`.
   * @param {string} palletName
   * @param {string} entryName
   */
  storage(palletName, entryName) {
    const pallet = this.pallet(palletName);
    const entry = pallet.storage?.items.find((e) => e.name === entryName);
    if (!entry) {
      const names = pallet.storage?.items.map((e) => e.name).join(', ') ?? 'none';
      throw new ScaleError(`pallet ${pallet.name} has no storage ${entryName}; it has ${names}`);
    }
    const map = entry.type.tag === 'map' ? entry.type.value : null;
    return {
      prefix: pallet.storage.prefix,
      name: entry.name,
      modifier: entry.modifier === 1 ? 'Default' : 'Optional',
      hashers: map ? map.hashers.map((h) => h.tag) : [],
      key: map ? map.key : null,
      value: map ? map.value : entry.type.value,
      default: entry.fallback,
      docs: entry.docs,
      codec: this.builder.buildStorage(pallet.name, entry.name),
    };
  }

  /**
   * The decoded value of a pallet's constant.
   * @param {string} palletName
   * @param {string} name
   * @returns {any}
   */
  constant(palletName, name) {
    const pallet = this.pallet(palletName);
    const constant = pallet.constants.find((c) => c.name === name);
    if (!constant) {
      throw new ScaleError(`pallet ${pallet.name} has no constant ${name}; it has ${pallet.constants.map((c) => c.name).join(', ')}`);
    }
    return this.codec.decode(constant.type, constant.value);
  }

  /**
   * A runtime API method, e.g. ("ProvenanceApi", "verify_product"): `{ name, inputs, output, docs }`.
   * @param {string} apiName
   * @param {string} method its name in snake_case or camelCase
   */
  api(apiName, method) {
    const api = this.apis.find((a) => a.name === apiName);
    if (!api) throw new ScaleError(`the runtime has no API ${apiName}; it has ${this.apis.map((a) => a.name).join(', ')}`);
    const found = api.methods.find((m) => m.name === method || camelCase(m.name) === method);
    if (!found) throw new ScaleError(`runtime API ${apiName} has no method ${method}; it has ${api.methods.map((m) => m.name).join(', ')}`);
    return found;
  }

  /**
   * A dispatch error in words: `{ pallet, name, docs }` for a pallet's error, `{ name }` for
   * the others (BadOrigin, Token, Arithmetic...). `error` is a decoded `DispatchError`, whose
   * `Module` variant polkadot-api decodes as `{ type: pallet, value: error }`.
   * @param {any} error
   * @returns {{ pallet: string|null, name: string, docs: string }}
   */
  describeDispatchError(error) {
    if (error?.type === 'Module') {
      const pallet = error.value.type;
      const name = typeof error.value.value === 'string' ? error.value.value : error.value.value?.type;
      const variant = this.variant(pallet, 'errors', name);
      return { pallet, name, docs: variant.docs.join(' ').trim() };
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
