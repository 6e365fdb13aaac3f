// Clinical codes as the chain sees them: keyed pseudonyms ("code tags"), byte for byte as
// `pallet_claims::code_tag` computes them:
// - tag = BLAKE2b-256, keyed with the policy's 32-byte code key, of
//   "carechain/code/v1" ‖ kind (0 diagnosis, 1 procedure) ‖ length ‖ code (ASCII).
// - a claim's principal diagnosis: one tag per prefix length 3..7; where the code is shorter
//   than the length, the tag of the whole code with that length byte (padding no real prefix
//   has), so every diagnosis is five tags whatever its length.
// - a code key is shared with a provider organization by HPKE (X25519, HKDF-SHA256,
//   ChaCha20-Poly1305) to the organization's X25519 key, info "carechain/claims/code-key/v1",
//   aad = policy id ‖ epoch ‖ organization id (u32 little-endian each): 80 bytes, as the vault
//   wraps data keys.
// The plaintext codes never go on chain: they travel in the claim's sealed attachment, a FHIR
// Claim written to the vault (see `claimAttachment`).

import { blake2b } from '@noble/hashes/blake2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { concat, toBytes, toHex, utf8 } from './bytes.js';
import { HpkeError, open as hpkeOpen, seal as hpkeSeal } from './hpke.js';

/** What every tagged message starts with. */
export const CODE_TAG_DOMAIN = utf8('carechain/code/v1');
/** The byte of each code kind in a tagged message. */
export const CodeKind = Object.freeze({ Diagnosis: 0, Procedure: 1 });
/** The prefix lengths a principal diagnosis is tagged at. */
export const DIAGNOSIS_PREFIX_LENGTHS = Object.freeze([3, 4, 5, 6, 7]);
/** Bytes of a wrapped code key. */
export const WRAPPED_CODE_KEY_LEN = 80;
const WRAP_INFO = utf8('carechain/claims/code-key/v1');
const CODE = /^[A-Z0-9]{1,8}$/;

/** A code, key or wrapped key was unusable; `reason` is a stable code. */
export class CodeError extends Error {
  constructor(reason, message) {
    super(message);
    this.name = 'CodeError';
    this.reason = reason;
  }
}

/** A fresh random policy code key (32 bytes), which the payer keeps and shares with providers. */
export function generateCodeKey() {
  return randomBytes(32);
}

function keyBytes(key) {
  const bytes = toBytes(key, 'code key');
  if (bytes.length !== 32) throw new CodeError('key-length', `a code key has 32 bytes, not ${bytes.length}`);
  return bytes;
}

function kindByte(kind) {
  const byte = typeof kind === 'number' ? kind : CodeKind[kind];
  if (byte !== CodeKind.Diagnosis && byte !== CodeKind.Procedure) {
    throw new CodeError('kind', `${kind} is not a code kind: use 'Diagnosis' or 'Procedure'`);
  }
  return byte;
}

function checkCode(code) {
  if (typeof code !== 'string' || !CODE.test(code)) {
    throw new CodeError('code', `${JSON.stringify(code)} is not a code: 1 to 8 capital letters and digits, ICD-10-CM without the dot`);
  }
}

function tagWithLength(key, kind, length, code) {
  return toHex(blake2b(concat(CODE_TAG_DOMAIN, Uint8Array.of(kind, length), utf8(code)), { key, dkLen: 32 }));
}

/**
 * The tag (0x-hex) of one procedure code, or of one diagnosis prefix a policy covers, under a
 * policy code key. `kind`: 'Diagnosis' or 'Procedure'.
 */
export function codeTag(key, kind, code) {
  checkCode(code);
  return tagWithLength(keyBytes(key), kindByte(kind), code.length, code);
}

/** The five tags (0x-hex) of a principal diagnosis (ICD-10-CM, 3 to 7 characters, no dot). */
export function diagnosisTags(key, code) {
  checkCode(code);
  if (code.length < 3 || code.length > 7) {
    throw new CodeError('code', `${code} is not an ICD-10-CM code: 3 to 7 characters without the dot`);
  }
  const bytes = keyBytes(key);
  return DIAGNOSIS_PREFIX_LENGTHS.map((n) => tagWithLength(bytes, CodeKind.Diagnosis, n, code.slice(0, n)));
}

/**
 * The tags a claim carries for a code: a diagnosis's five (`diagnosisTags`), a procedure's one
 * (`[codeTag]`).
 */
export function codeTags(key, kind, code) {
  return kindByte(kind) === CodeKind.Diagnosis ? diagnosisTags(key, code) : [codeTag(key, 'Procedure', code)];
}

/**
 * A policy's code lists with plaintext codes (`procedures: [[code, amount]]`,
 * `diagnosisPrefixes: [prefix]`, `priorAuthorization: [code]`) tagged under `key`; every other
 * field is kept. For `publishPolicy` (whole terms) and `rotateCodeKey` (the lists alone).
 */
export function tagRules(key, { procedures, diagnosisPrefixes = [], priorAuthorization = [], ...rest }) {
  return {
    ...rest,
    procedures: procedures.map(([code, amount]) => [codeTag(key, 'Procedure', code), BigInt(amount)]),
    diagnosisPrefixes: diagnosisPrefixes.map((prefix) => codeTag(key, 'Diagnosis', prefix)),
    priorAuthorization: priorAuthorization.map((code) => codeTag(key, 'Procedure', code)),
  };
}

function wrapAad(policyId, epoch, org) {
  const aad = new Uint8Array(12);
  const view = new DataView(aad.buffer);
  [policyId, epoch, org].forEach((value, i) => view.setUint32(4 * i, value, true));
  return aad;
}

/**
 * `codeKey` wrapped to a provider organization's X25519 public key, bound to the policy, epoch
 * and organization (80 bytes). `ephemeralIkm` only for known-answer tests.
 */
export function wrapCodeKey(codeKey, recipientPublic, { policyId, epoch, org }, ephemeralIkm = undefined) {
  try {
    const { enc, ciphertext } = hpkeSeal(toBytes(recipientPublic, 'recipient key'), WRAP_INFO, keyBytes(codeKey), wrapAad(policyId, epoch, org), ephemeralIkm);
    return concat(enc, ciphertext);
  } catch (e) {
    if (e instanceof HpkeError) throw new CodeError('bad-public-key', 'the organization key is not a usable X25519 key');
    throw e;
  }
}

/** The code key of a wrapped one, with the organization's EncryptionKey (or its 32 secret bytes). */
export function unwrapCodeKey(wrapped, secret, { policyId, epoch, org }) {
  const bytes = toBytes(wrapped, 'wrapped code key');
  if (bytes.length !== WRAPPED_CODE_KEY_LEN) {
    throw new CodeError('wrapped-key-length', `wrapped code key of ${bytes.length} bytes: expected ${WRAPPED_CODE_KEY_LEN}`);
  }
  const secretKey = typeof secret?.exposeSecret === 'function' ? secret.exposeSecret() : toBytes(secret);
  try {
    return hpkeOpen(secretKey, bytes.subarray(0, 32), WRAP_INFO, bytes.subarray(32), wrapAad(policyId, epoch, org));
  } catch {
    throw new CodeError('unwrap-failed', 'the wrapped code key does not open with this secret key for this policy, epoch and organization');
  }
}

const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';
const CPT = 'http://www.ama-assn.org/go/cpt';

/** CMS's place-of-service code set, where telehealth is 02 (not at home) or 10 (at home). */
const PLACE_OF_SERVICE = 'https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set';

/** A telehealth line's modifier and place of service, as a Claim item carries them. */
function telehealthItem({ placeOfService, modifier }) {
  return {
    modifier: [{ coding: [{ system: CPT, code: String(modifier) }] }],
    locationCodeableConcept: { coding: [{ system: PLACE_OF_SERVICE, code: String(placeOfService).padStart(2, '0') }] },
  };
}

/**
 * The claim's attachment: a FHIR R4 Claim with the plaintext codes (the principal diagnosis
 * first), which is sealed into the vault; the chain keeps only its content hash. `patient` and
 * `provider` (account addresses) name the patient and the practitioner when given.
 */
export function claimAttachment({ policyId, serviceDate, diagnoses, lines, patient = undefined, provider = undefined }) {
  diagnoses.forEach(checkCode);
  lines.forEach((line) => checkCode(line.procedure));
  const day = new Date(serviceDate * 86_400_000).toISOString().slice(0, 10);
  const account = (address, display) => (address ? { identifier: { system: 'urn:carechain:account', value: address } } : { display });
  return {
    resourceType: 'Claim',
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'professional' }] },
    use: 'claim',
    patient: account(patient, "the claim's patient on chain"),
    created: day,
    provider: account(provider, "the claim's practitioner on chain"),
    priority: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/processpriority', code: 'normal' }] },
    insurance: [{ sequence: 1, focal: true, coverage: { display: `policy ${policyId}` } }],
    diagnosis: diagnoses.map((code, i) => ({
      sequence: i + 1,
      diagnosisCodeableConcept: { coding: [{ system: ICD10CM, code }] },
    })),
    item: lines.map((line, i) => ({
      sequence: i + 1,
      productOrService: { coding: [{ system: CPT, code: line.procedure }] },
      servicedDate: day,
      quantity: { value: line.units },
      net: { value: Number(line.charged), currency: 'USD' },
      ...(line.telehealth ? telehealthItem(line.telehealth) : {}),
    })),
  };
}
