// The node's record vault: encrypt and upload a FHIR resource, fetch and decrypt one with a
// signed challenge. The node sees ciphertext and wrapped keys only; data keys and plaintext
// exist only here.

import { concat, fromHex, fromUtf8, toHex, utf8 } from './bytes.js';
import { contentHash, open, sealFhir, unwrapKey, wrapKey } from './envelope.js';
import { Records, event, fromSerde } from './pallets.js';

/** What an account signs to upload the blob `hash` (as `carechain_vault::access::put_message`). */
export function putMessage(challenge, hash) {
  return concat(utf8('carechain/vault/put/v1'), fromHex(challenge), hash);
}

/**
 * What an account signs to read `recordId` for `purpose` (as
 * `carechain_vault::access::get_message`): the purpose is its SCALE index.
 */
export function getMessage(metadata, challenge, recordId, purpose) {
  const purposeType = metadata.api('ConsentApi', 'check_access').inputs.find((i) => i.name === 'purpose').type;
  return concat(utf8('carechain/vault/get/v1'), fromHex(challenge), fromHex(recordId), metadata.codec.encode(purposeType, purpose));
}

export class Vault {
  constructor(client) {
    this.client = client;
    this.records = new Records(client);
  }

  /** A fresh single-use challenge for `address`: `{ challenge, block, expiresInMs }`. */
  challenge(address) {
    return this.client.rpc.request('vault_challenge', [address]);
  }

  /**
   * Uploads ciphertext of a record the signer authored or is the patient of (in a block, or
   * waiting in the pool when `recordId` is null). `keys`: `[[address, wrappedKey]]` deposited
   * for members of the uploader's organization. Resolves with the node's receipt.
   */
  async put(signer, { ciphertext, recordId = null, keys = [] }) {
    const { challenge } = await this.challenge(signer.address);
    const signature = signer.sign(putMessage(challenge, contentHash(ciphertext)));
    return this.client.rpc.request('vault_put', [
      {
        uploader: signer.address,
        record: recordId,
        ciphertext: toHex(ciphertext),
        keys: keys.map(([who, key]) => [who, toHex(key)]),
        challenge,
        signature: toHex(signature),
      },
    ]);
  }

  /**
   * Reads a record's ciphertext and the signer's wrapped key. The node serves it only after
   * the signer's `records.logAccess` for this purpose is in a block after the challenge, and
   * only when consent (or authorship, or an open break-glass) allows it.
   */
  async get(signer, { recordId, purpose, challenge }) {
    const signature = signer.sign(getMessage(this.client.metadata, challenge, recordId, purpose));
    const response = await this.client.rpc.request('vault_get', [
      { accessor: signer.address, record: recordId, purpose, challenge, signature: toHex(signature) },
    ]);
    return { ...response, basis: fromSerde(response.basis), ciphertext: fromHex(response.ciphertext) };
  }

  /**
   * Encrypts a FHIR R4 resource for `patient` and writes it: the record goes on chain (its
   * data key wrapped to the patient's registered X25519 key) and the ciphertext into the vault
   * while the record waits in the pool. `share`: `[[address, x25519PublicKey]]` of colleagues
   * in the author's organization, whose wrapped keys the vault keeps. Resolves with
   * `{ recordId, contentHash, resourceType, receipt, ...outcome }`.
   */
  async writeRecord(author, { patient, resource, share = [] }) {
    const sealed = sealFhir(resource);
    // Types the chain does not index are recorded as Other.
    const resourceType = resourceTypes(this.client).includes(sealed.resourceType) ? sealed.resourceType : 'Other';
    try {
      const registered = await this.client.query('Registry', 'Patients', [patient]);
      if (!registered) throw new Error(`${patient} is not a registered patient, so there is no key to wrap the record to`);
      const hash = toHex(sealed.contentHash);
      const extrinsic = await this.client.sign(author, 'Records', 'create_record', {
        patient,
        resourceType,
        content: {
          contentHash: hash,
          size: BigInt(sealed.ciphertext.length),
          locator: hash, // the vault's content address: the chain refuses anything else
          patientKey: wrapKey(sealed.dataKey, fromHex(registered.encryptionKey)),
        },
      });
      const submitted = this.client.watch(extrinsic);
      await submitted.ready;
      const keys = share.map(([who, publicKey]) => [who, wrapKey(sealed.dataKey, publicKey)]);
      const receipt = await this.put(author, { ciphertext: sealed.ciphertext, keys });
      const outcome = await submitted.finalized;
      const { recordId } = event(outcome, 'Records', 'RecordCreated');
      return { recordId, contentHash: hash, resourceType, receipt, ...outcome };
    } finally {
      sealed.dataKey.fill(0);
      sealed.plaintext.fill(0);
    }
  }

  /**
   * Reads and decrypts a record: takes a challenge, logs the access on chain (the audit entry
   * the vault requires), fetches the ciphertext and the caller's wrapped key, unwraps it with
   * `encryptionKey` and opens the payload. Resolves with `{ json, resource, basis, auditIndex }`.
   */
  async readRecord(reader, { recordId, purpose, encryptionKey }) {
    const { challenge } = await this.challenge(reader.address);
    await this.records.logAccess(reader, recordId, purpose);
    const response = await this.get(reader, { recordId, purpose, challenge });
    if (toHex(contentHash(response.ciphertext)) !== response.contentHash) {
      throw new Error(`the vault returned ciphertext whose hash is not the record's ${response.contentHash}`);
    }
    if (!response.wrappedKey) {
      throw new Error('access was allowed but no data key is wrapped for this account: ask the patient to grant with key sharing');
    }
    const dataKey = unwrapKey(response.wrappedKey, encryptionKey);
    try {
      const plaintext = open(response.ciphertext, dataKey);
      const json = fromUtf8(plaintext);
      plaintext.fill(0);
      return { json, resource: JSON.parse(json), basis: response.basis, auditIndex: response.auditIndex };
    } finally {
      dataKey.fill(0);
    }
  }
}

/** The FHIR resource types the chain indexes, from the runtime's own enum. */
export function resourceTypes(client) {
  const { metadata } = client;
  const call = metadata.variant('Records', 'calls', 'create_record');
  const type = call.fields.find((f) => f.name === 'resource_type').type;
  return metadata.type(type).def.value.map((v) => v.name).filter((name) => name !== 'Other');
}
