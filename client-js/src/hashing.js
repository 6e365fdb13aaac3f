// The blake2b-256 of record content, block headers, signed payloads and commitments, from
// polkadot-api's hashers (which also key storage: Twox128, Blake2_128Concat...).

import { Blake2256 } from '@polkadot-api/substrate-bindings';
import { toBytes } from './bytes.js';

/**
 * blake2b with a 32-byte digest.
 * @param {string|Uint8Array} data bytes, 0x-hex, or text as UTF-8
 * @returns {Uint8Array}
 */
export function blake2_256(data) {
  return Blake2256(toBytes(data));
}
