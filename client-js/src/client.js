// The client: one connection to a node, the runtime's metadata, and the generic operations
// every pallet helper is built on: submit a call and wait for finality, read storage, call a
// runtime API, decode events, follow finalized blocks.

import { compact } from '@polkadot-api/substrate-bindings';
import { concat, fromHex, toHex } from './bytes.js';
import { blake2_256 } from './hashing.js';
import { Metadata, jsonSafe } from './metadata.js';
import { RpcClient } from './rpc.js';
import { mortalEra, signExtrinsic } from './extrinsic.js';
import { Claims, Consent, Provenance, Records, Registry, Research, Telehealth, Trials, Wellness } from './pallets.js';
import { Vault } from './vault.js';
import { Session } from './session.js';

/** A transaction ran in a finalized block and failed; `pallet` and `name` say how. */
export class DispatchError extends Error {
  constructor({ pallet, name, docs }, outcome) {
    super(pallet ? `${pallet}.${name}: ${docs || 'the call failed'}` : `dispatch failed: ${docs}`);
    this.name = 'DispatchError';
    this.pallet = pallet;
    this.error = name;
    this.docs = docs;
    this.outcome = outcome;
  }
}

/** The pool dropped a transaction it had accepted (invalid in a later block, or replaced). */
export class TransactionError extends Error {
  constructor(status, hash) {
    super(`the transaction ${hash} was ${status} by the node's pool before it reached a block`);
    this.name = 'TransactionError';
    this.status = status;
  }
}

const ERA_PERIOD = 64;

/** An event record as `{ pallet, name, data, phase, topics }`. */
function eventOf(record) {
  return {
    pallet: record.event.type,
    name: record.event.value.type ?? record.event.value,
    data: record.event.value.value ?? null,
    phase: record.phase,
    topics: record.topics,
  };
}

/** A decoded block header, with its hash. */
function header(json) {
  const logs = json.digest.logs.map((l) => fromHex(l));
  const number = Number(BigInt(json.number));
  const encoded = concat(
    fromHex(json.parentHash),
    compact.enc(number),
    fromHex(json.stateRoot),
    fromHex(json.extrinsicsRoot),
    compact.enc(logs.length),
    ...logs,
  );
  return { ...json, number, hash: toHex(blake2_256(encoded)) };
}

/** A connection to a node with a helper per pallet: registry, records, consent, claims, provenance, trials, research, telehealth, wellness, vault. */
export class Carechain {
  /**
   * Connects to a node (ws://, wss://, http://, https://) and reads its runtime; with
   * `options.signIn` (an Account), signs in first (see `signIn`). Other options are the
   * transport's (`RpcClient`).
   */
  static async connect(url = 'ws://127.0.0.1:9944', options = {}) {
    const client = new Carechain(new RpcClient(url, options));
    try {
      if (options.signIn) await client.signIn(options.signIn);
      // Each request waits for the connection at most `options.timeout` (30 s by default).
      await client.refreshRuntime();
    } catch (e) {
      await client.rpc.close();
      throw e;
    }
    return client;
  }

  constructor(rpc) {
    this.rpc = rpc;
    this.nonces = new Map();
    this.registry = new Registry(this);
    this.records = new Records(this);
    this.consent = new Consent(this);
    this.claims = new Claims(this);
    this.provenance = new Provenance(this);
    this.trials = new Trials(this);
    this.research = new Research(this);
    this.telehealth = new Telehealth(this);
    this.wellness = new Wellness(this);
    this.vault = new Vault(this);
  }

  /** Reads the runtime version, metadata, genesis hash and SS58 prefix again (after an upgrade). */
  async refreshRuntime() {
    const [raw, genesisHash, version, properties] = await Promise.all([
      this.rpc.request('state_call', ['Metadata_metadata_at_version', '0x0f000000']),
      this.rpc.request('chain_getBlockHash', [0]),
      this.rpc.request('state_getRuntimeVersion', []),
      this.rpc.request('system_properties', []),
    ]);
    const bytes = Metadata.opaque(raw);
    if (!bytes) throw new Error('the node does not serve version 15 metadata, which this client reads');
    this.ss58 = properties.ss58Format ?? 42;
    this.genesisHash = genesisHash;
    this.version = version;
    this.metadata = new Metadata(bytes, { ss58Prefix: this.ss58 });
  }

  /**
   * Signs in as `signer` (an Account) to a node that authenticates RPC, and keeps the session:
   * every later request carries its token, renewed before it expires. Members of an
   * organization then read raw state and blocks; patients, guardians and grantees their
   * patients' data. Resolves with the grant `{ token, account, expiresAt, renewableUntil }`.
   * `options.onError` hears renewals that failed.
   */
  async signIn(signer, options = {}) {
    this.session?.stop();
    this.session = new Session(this.rpc, signer, options);
    return this.session.signIn();
  }

  /**
   * Ends the session (if any) on the node, for every connection and every token renewed from
   * its sign-in; later requests, on this connection too, are anonymous.
   */
  async signOut() {
    const session = this.session;
    this.session = null;
    if (session) await session.signOut();
    else if (!this.rpc.http) await this.rpc.request('auth_signOut', []);
  }

  /**
   * Ends every session of the signed-in account on the node (other devices' too), then this
   * one; later requests are anonymous. False when not signed in.
   */
  async signOutEverywhere() {
    const session = this.session;
    this.session = null;
    return session ? session.signOutEverywhere() : false;
  }

  /** Closes the connection. */
  close() {
    this.session?.stop();
    return this.rpc.close();
  }

  /** The SCALE bytes of a pallet's call, e.g. ('Records', 'create_record', { patient, ... }). */
  encodeCall(pallet, call, args = {}) {
    const { codec, outer } = this.metadata;
    this.metadata.variant(pallet, 'calls', call);
    return codec.encode(outer.call, { type: pallet, value: { type: call, value: args } }, `${pallet}.${call}`);
  }

  /** The next nonce of `address`, counting transactions this client sent and the pool holds. */
  async nextNonce(address) {
    const fromNode = await this.rpc.request('system_accountNextIndex', [address]);
    const local = this.nonces.get(address) ?? 0;
    const nonce = Math.max(fromNode, local);
    this.nonces.set(address, nonce + 1);
    return nonce;
  }

  /** The signed extrinsic of `pallet.call(args)` by `signer`, as 0x-hex. */
  async sign(signer, pallet, call, args = {}) {
    return this.signCall(signer, this.encodeCall(pallet, call, args));
  }

  /**
   * The signed extrinsic of an encoded call (bytes of a `RuntimeCall`, as the node's
   * `provenance_planImport` plans them) by `signer`, as 0x-hex.
   */
  async signCall(signer, callBytes) {
    const head = await this.finalizedHead();
    const nonce = await this.nextNonce(signer.address);
    return toHex(
      signExtrinsic(this.metadata, callBytes, signer, {
        nonce,
        specVersion: this.version.specVersion,
        transactionVersion: this.version.transactionVersion,
        genesisHash: this.genesisHash,
        era: mortalEra(head.number, ERA_PERIOD),
        eraBlockHash: head.hash,
      }),
    );
  }

  /**
   * Signs and submits `pallet.call(args)` and resolves when it is in a finalized block, with
   * `{ blockHash, blockNumber, index, events }`. Rejects with an RpcError (code and message of
   * the node) when the pool refuses it, a TransactionError when the pool drops it, and a
   * DispatchError (pallet and error name) when it ran and failed.
   */
  async submit(signer, pallet, call, args = {}) {
    let extrinsic;
    try {
      extrinsic = await this.sign(signer, pallet, call, args);
      return await this.submitExtrinsic(extrinsic);
    } catch (e) {
      // A refused transaction did not use its nonce; ask the node again next time.
      if (!(e instanceof DispatchError)) this.nonces.delete(signer.address);
      throw e;
    }
  }

  /** Submits a signed extrinsic (0x-hex) and waits as `submit` does. */
  submitExtrinsic(extrinsic) {
    return this.watch(extrinsic).finalized;
  }

  /**
   * Submits a signed extrinsic (0x-hex): `ready` settles when the pool has accepted it (or
   * refused it), `finalized` when it is in a finalized block, as `submit` describes.
   */
  watch(extrinsic) {
    let subscription;
    let accepted;
    const ready = new Promise((resolve, reject) => {
      accepted = { resolve, reject };
    });
    const finalized = new Promise((resolve, reject) => {
      const settle = (promise) => {
        subscription?.unsubscribe().catch(() => {});
        promise.then(resolve, reject);
      };
      const onStatus = (status) => {
        if (status?.finalized) settle(this.outcome(status.finalized, extrinsic));
        else if (['invalid', 'dropped'].includes(status) || status?.usurped) {
          const hash = toHex(blake2_256(fromHex(extrinsic)));
          settle(Promise.reject(new TransactionError(typeof status === 'string' ? status : 'usurped', hash)));
        }
      };
      this.rpc
        .subscribe('author_submitAndWatchExtrinsic', [extrinsic], 'author_unwatchExtrinsic', onStatus, {
          resubscribe: false,
          onError: reject,
        })
        .then(
          (s) => {
            subscription = s;
            accepted.resolve();
          },
          (e) => {
            accepted.reject(e);
            reject(e);
          },
        );
    });
    // Callers that only await one of the two must not see the other as unhandled.
    ready.catch(() => {});
    finalized.catch(() => {});
    return { ready, finalized };
  }

  /**
   * The outcome of `extrinsic` (0x-hex) in block `blockHash`, asked with its signed bytes
   * (`author_extrinsicOutcome`), so that it needs no session: a patient's wallet reads its own.
   */
  async outcome(blockHash, extrinsic) {
    const found = await this.rpc.request('author_extrinsicOutcome', [extrinsic, blockHash]);
    if (!found) throw new Error(`the node reported block ${blockHash} but the extrinsic is not in it`);
    const { index, blockNumber } = found;
    const records = this.metadata.codec.decode(this.metadata.storage('System', 'Events').value, found.events);
    const events = records.map(eventOf);
    const outcome = { blockHash, blockNumber, index, events };
    const failed = events.find((e) => e.pallet === 'System' && e.name === 'ExtrinsicFailed');
    if (failed) throw new DispatchError(this.metadata.describeDispatchError(failed.data.dispatchError), outcome);
    return outcome;
  }

  /** The events of a block, each `{ pallet, name, data, phase, topics }` (a raw read: members). */
  async events(blockHash) {
    return (await this.query('System', 'Events', [], blockHash)).map(eventOf);
  }

  /** The storage key of `pallet.entry` with map keys `keys` (all of them, or a prefix). */
  storageKey(pallet, entry, keys = []) {
    const item = this.metadata.storage(pallet, entry);
    const keyTypes = this.keyTypes(item);
    if (keys.length > keyTypes.length) {
      throw new TypeError(`${pallet}.${entry} has ${keyTypes.length} keys, got ${keys.length}`);
    }
    const { codec } = this.metadata;
    return fromHex(item.codec.keys.enc(...keys.map((key, i) => codec.toPapi(keyTypes[i], key, `${pallet}.${entry} key ${i}`))));
  }

  /** The lookup entries of a storage map's keys, in order (none for a plain value). */
  keyTypes(item) {
    if (item.hashers.length === 0) return [];
    const key = this.metadata.codec.entry(item.key);
    if (item.hashers.length === 1) return [key];
    return key.type === 'tuple' ? key.value : Array(key.len).fill(key.value);
  }

  /**
   * The value of a storage entry: `query('Registry', 'Patients', [address])`. A missing value
   * is the entry's default, or null for optional entries. `at`: a block hash (default: best).
   */
  async query(pallet, entry, keys = [], at = undefined) {
    const item = this.metadata.storage(pallet, entry);
    const key = toHex(this.storageKey(pallet, entry, keys));
    const raw = await this.rpc.request('state_getStorage', at ? [key, at] : [key]);
    if (raw === null) return item.modifier === 'Default' ? this.metadata.codec.decode(item.value, item.default) : null;
    return this.metadata.codec.decode(item.value, raw);
  }

  /**
   * All entries of a storage map under a key prefix: `[{ keys, value }]`, where `keys` holds
   * the map keys that the hashers let one read back (null for hashed-only keys).
   */
  async entries(pallet, entry, prefixKeys = [], at = undefined) {
    const item = this.metadata.storage(pallet, entry);
    const prefix = toHex(this.storageKey(pallet, entry, prefixKeys));
    const keys = [];
    for (let start = null; ; ) {
      const page = await this.rpc.request('state_getKeysPaged', [prefix, 1000, start, at ?? null]);
      keys.push(...page);
      if (page.length < 1000) break;
      start = page[page.length - 1];
    }
    if (keys.length === 0) return [];
    const [changes] = await this.rpc.request('state_queryStorageAt', [keys, at ?? null]);
    return changes.changes
      .filter(([, value]) => value !== null)
      .map(([key, value]) => ({ keys: this.decodeKeys(item, key), value: this.metadata.codec.decode(item.value, value) }));
  }

  /**
   * The map keys of a storage key (0x-hex) that its hashers let one read back: null for a key
   * that only a hash of is stored.
   */
  decodeKeys(item, key) {
    const types = this.keyTypes(item);
    return item.codec.keys
      .dec(key)
      .map((value, i) => (['Blake2128Concat', 'Twox64Concat', 'Identity'].includes(item.hashers[i]) ? this.metadata.codec.fromPapi(types[i], value) : null));
  }

  /** A pallet's constant, decoded. */
  constant(pallet, name) {
    return this.metadata.constant(pallet, name);
  }

  /** Calls a runtime API: `callApi('ProvenanceApi', 'verify_product', [sgtin])`. */
  async callApi(api, method, args = [], at = undefined) {
    const found = this.metadata.api(api, method);
    if (args.length !== found.inputs.length) {
      throw new TypeError(`${api}.${found.name} takes ${found.inputs.map((i) => i.name).join(', ')}`);
    }
    const input = concat(...found.inputs.map((p, i) => this.metadata.codec.encode(p.type, args[i], `${api}.${found.name}(${p.name})`)));
    const raw = await this.rpc.request('state_call', [`${api}_${found.name}`, toHex(input), at ?? null]);
    return this.decodeApiOutput(api, method, raw);
  }

  /** A runtime API method's SCALE output (0x-hex), as `state_call` or a domain RPC returns it. */
  decodeApiOutput(api, method, raw) {
    return this.metadata.codec.decode(this.metadata.api(api, method).output, raw);
  }

  /** Calls `onHeader(header)` for each finalized block; resolves with the subscription. */
  subscribeFinalizedHeads(onHeader) {
    return this.rpc.subscribe('chain_subscribeFinalizedHeads', [], 'chain_unsubscribeFinalizedHeads', (h) => onHeader(header(h)));
  }

  /** Calls `onBlock({ blockNumber, blockHash, events })` for each finalized block, in order. */
  subscribeEvents(onBlock) {
    let chain = Promise.resolve();
    return this.subscribeFinalizedHeads((h) => {
      chain = chain
        .then(() => this.events(h.hash))
        .then((events) => onBlock({ blockNumber: h.number, blockHash: h.hash, events }))
        .catch(() => {});
    });
  }

  /** The number and hash of the finalized head. */
  async finalizedHead() {
    const hash = await this.rpc.request('chain_getFinalizedHead', []);
    return header(await this.rpc.request('chain_getHeader', [hash]));
  }

  /** `value` as JSON text, with bigints as decimal strings. */
  static json(value) {
    return JSON.stringify(value, jsonSafe);
  }
}
