// Signed transactions in the runtime's format: a v4 extrinsic whose transaction extensions are
// read from the metadata, in the runtime's order, and whose signed payload is
// `call ‖ extensions ‖ implicit data` (blake2-256 of it when longer than 256 bytes). Every
// value is encoded by the runtime's own types (polkadot-api's codecs, see codec.js).

import { compact } from '@polkadot-api/substrate-bindings';
import { concat, toBytes } from './bytes.js';
import { blake2_256 } from './hashing.js';

const SIGNED_V4 = 0x84;
const NOTHING = new Uint8Array(0);

/**
 * The two bytes of a mortal era of `period` blocks that starts at block `current`, as
 * `sp_runtime::generic::Era::mortal` encodes it.
 * @param {number} current the block number the era starts at
 * @param {number} [period] blocks, rounded up to a power of two in 4..65536
 * @returns {Uint8Array}
 */
export function mortalEra(current, period = 64) {
  let p = 4;
  while (p < period && p < 65536) p *= 2;
  const phase = current % p;
  const factor = Math.max(p >> 12, 1);
  const trailingZeros = Math.log2(p);
  const encoded = Math.min(15, Math.max(1, trailingZeros - 1)) | (Math.floor(phase / factor) << 4);
  return Uint8Array.of(encoded & 0xff, encoded >> 8);
}

/** A transaction extension this client does not know how to fill in. */
export class ExtensionError extends Error {
  constructor(identifier) {
    super(`the runtime has a transaction extension ${identifier} that this client does not know how to fill in`);
    this.name = 'ExtensionError';
  }
}

/**
 * The explicit and implicit bytes of each extension. `context`: `{ nonce, specVersion,
 * transactionVersion, genesisHash, era, eraBlockHash, tip }`.
 */
function extensionParts(metadata, context) {
  const { codec } = metadata;
  const isUnit = (id) => codec.entry(id).type === 'void';
  return metadata.extrinsic.extensions.map(({ identifier, type, implicit }) => {
    switch (identifier) {
      case 'CheckSpecVersion':
        return [NOTHING, codec.encode(implicit, context.specVersion, identifier)];
      case 'CheckTxVersion':
        return [NOTHING, codec.encode(implicit, context.transactionVersion, identifier)];
      case 'CheckGenesis':
        return [NOTHING, toBytes(context.genesisHash)];
      case 'CheckEra':
      case 'CheckMortality':
        return [context.era, toBytes(context.eraBlockHash)];
      case 'CheckNonce':
        return [codec.encode(type, context.nonce, identifier), NOTHING];
      case 'ChargeTransactionPayment':
        return [compact.enc(BigInt(context.tip ?? 0)), NOTHING];
      case 'CheckMetadataHash':
        // Mode::Disabled, and no metadata hash in the signed data.
        return [Uint8Array.of(0), Uint8Array.of(0)];
      default:
        // Extensions without data (CheckNonZeroSender, CheckWeight, CheckPermissioned...).
        if (isUnit(type) && isUnit(implicit)) return [NOTHING, NOTHING];
        throw new ExtensionError(identifier);
    }
  });
}

/**
 * The bytes a signer signs for `call` with `context`.
 * @param {import('./metadata.js').Metadata} metadata
 * @param {Uint8Array} call the call's SCALE bytes
 * @param {{ nonce: number, specVersion: number, transactionVersion: number, genesisHash: string, era: Uint8Array, eraBlockHash: string, tip?: number|bigint }} context
 * @returns {Uint8Array}
 */
export function signingPayload(metadata, call, context) {
  const parts = extensionParts(metadata, context);
  const payload = concat(call, ...parts.map(([explicit]) => explicit), ...parts.map(([, implicit]) => implicit));
  return payload.length > 256 ? blake2_256(payload) : payload;
}

const SIGNATURE_VARIANT = { ed25519: 'Ed25519', sr25519: 'Sr25519' };

/**
 * A signed extrinsic of `call` (SCALE bytes) by `signer` (an Account), length-prefixed: the
 * signature is `MultiSignature::Ed25519` or `::Sr25519` after the signer's scheme.
 * @param {import('./metadata.js').Metadata} metadata
 * @param {Uint8Array} call
 * @param {{ type: 'ed25519'|'sr25519', publicKey: Uint8Array, sign(message: Uint8Array): Uint8Array }} signer
 * @param {Parameters<typeof signingPayload>[2]} context as `signingPayload` takes it
 * @returns {Uint8Array}
 */
export function signExtrinsic(metadata, call, signer, context) {
  const { codec, extrinsic } = metadata;
  if (!extrinsic.versions.includes(4)) {
    throw new Error(`the runtime takes extrinsic versions ${extrinsic.versions.join(', ')}; this client signs version 4`);
  }
  const variant = SIGNATURE_VARIANT[signer.type];
  if (!variant) throw new Error(`a signer's type is ed25519 or sr25519, not ${signer.type}`);
  const signature = signer.sign(signingPayload(metadata, call, context));
  const parts = extensionParts(metadata, context);
  const body = concat(
    Uint8Array.of(SIGNED_V4),
    codec.encode(extrinsic.address, { type: 'Id', value: signer.publicKey }, 'address'),
    codec.encode(extrinsic.signature, { type: variant, value: signature }, 'signature'),
    ...parts.map(([explicit]) => explicit),
    call,
  );
  return concat(compact.enc(body.length), body);
}
