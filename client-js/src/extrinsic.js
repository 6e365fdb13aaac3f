// Signed transactions in the runtime's format: a v4 extrinsic whose transaction extensions are
// read from the metadata, in the runtime's order, and whose signed payload is
// `call ‖ extensions ‖ implicit data` (blake2-256 of it when longer than 256 bytes).

import { concat, toBytes } from './bytes.js';
import { blake2_256 } from './hashing.js';
import { Writer, encodeCompact } from './scale.js';

const SIGNED_V4 = 0x84;

/** The two bytes of a mortal era of `period` blocks that starts at block `current`. */
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
  return metadata.extrinsic.extensions.map(({ identifier, type, implicit }) => {
    switch (identifier) {
      case 'CheckSpecVersion':
        return [new Uint8Array(0), codec.encode(implicit, context.specVersion)];
      case 'CheckTxVersion':
        return [new Uint8Array(0), codec.encode(implicit, context.transactionVersion)];
      case 'CheckGenesis':
        return [new Uint8Array(0), toBytes(context.genesisHash)];
      case 'CheckEra':
      case 'CheckMortality':
        return [context.era, toBytes(context.eraBlockHash)];
      case 'CheckNonce':
        return [codec.encode(type, context.nonce), new Uint8Array(0)];
      case 'ChargeTransactionPayment':
        return [encodeCompact(context.tip ?? 0), new Uint8Array(0)];
      case 'CheckMetadataHash':
        return [Uint8Array.of(0), Uint8Array.of(0)];
      default:
        // Extensions without data (CheckNonZeroSender, CheckWeight, CheckPermissioned...).
        if (isUnit(codec, type) && isUnit(codec, implicit)) return [new Uint8Array(0), new Uint8Array(0)];
        throw new ExtensionError(identifier);
    }
  });
}

function isUnit(codec, id) {
  const def = codec.type(id).def;
  return (def.kind === 'tuple' && def.fields.length === 0) || (def.kind === 'composite' && def.fields.length === 0);
}

/** The bytes a signer signs for `call` with `context`. */
export function signingPayload(metadata, call, context) {
  const parts = extensionParts(metadata, context);
  const payload = concat(call, ...parts.map(([explicit]) => explicit), ...parts.map(([, implicit]) => implicit));
  return payload.length > 256 ? blake2_256(payload) : payload;
}

/** A signed extrinsic of `call` (SCALE bytes) by `signer` (an Account), length-prefixed. */
export function signExtrinsic(metadata, call, signer, context) {
  const { codec, extrinsic } = metadata;
  if (extrinsic.version !== 4) {
    throw new Error(`the runtime's extrinsic version is ${extrinsic.version}; this client signs version 4`);
  }
  const signature = signer.sign(signingPayload(metadata, call, context));
  const parts = extensionParts(metadata, context);
  const body = new Writer()
    .bytes(Uint8Array.of(SIGNED_V4))
    .bytes(codec.encode(extrinsic.address, { type: 'Id', value: signer.publicKey }, 'address'))
    .bytes(codec.encode(extrinsic.signature, { type: signer.type === 'sr25519' ? 'Sr25519' : 'Ed25519', value: signature }, 'signature'))
    .bytes(concat(...parts.map(([explicit]) => explicit)))
    .bytes(call)
    .finish();
  return concat(encodeCompact(body.length), body);
}
