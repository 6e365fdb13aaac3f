// @carechain/client: the Carechain wallet SDK.

export { Carechain } from './client.js';
export { DispatchError, TransactionError } from './client.js';
export { RpcClient, RpcError, RpcTimeoutError, RpcDisconnectedError } from './rpc.js';
export { Session, AuthErrorCode, TOKEN_PROTOCOL, signInMessage } from './session.js';
export { Account, EncryptionKey, KeyError, DEV_PHRASE, SCHEMES, encodeAddress, decodeAddress, generateMnemonic } from './keys.js';
export * as envelope from './envelope.js';
export { EnvelopeError } from './envelope.js';
export * as codes from './codes.js';
export * as epcis from './epcis.js';
export { EpcisImportError, EpcisQueryError } from './epcis.js';
export { CodeError, codeTag, codeTags, diagnosisTags, generateCodeKey } from './codes.js';
export { Metadata } from './metadata.js';
export { ScaleError } from './codec.js';
export { today, dayOf, text, hashText, commitText, unitEpc, containerEpc, telehealthService } from './pallets.js';
export { toHex, fromHex } from './bytes.js';
export { dispenseCommitment, verifyDispenseOpening, fillNullifier, randomBlinding, encodeSgtin } from './dispense.js';
export { TrialError, subjectIdentity, pseudonym, subjectKey, enrolmentNullifier, allocationList, allocationReveal, allocationDepth, registryId } from './trials.js';
export { TelehealthError, attestationPayload, countersign, jurisdiction } from './telehealth.js';
