// Typed helpers for Carechain's pallets: each signs, submits, waits for finality and returns
// what the caller needs from the events (the new record's id, the consent's id, the claim's
// adjudication, the verification's answer). Reads go to storage, runtime APIs or the node's
// domain RPC methods. Arguments use the forms of codec.js; addresses are SS58 strings.

import { randomBytes } from '@noble/hashes/utils.js';
import { concat, fromHex, fromUtf8, toBytes, toHex, utf8 } from './bytes.js';
import { dispenseCommitment, fillNullifier, randomBlinding, verifyDispenseOpening } from './dispense.js';
import { blake2_256 } from './hashing.js';
import { unwrapKey, wrapKey } from './envelope.js';
import { claimAttachment, codeTag, diagnosisTags, tagRules, unwrapCodeKey, wrapCodeKey } from './codes.js';
import { TrialError, allocationReveal, enrolmentNullifier, registryId } from './trials.js';
import { jurisdiction } from './telehealth.js';

const DAY_MS = 86_400_000;

/** Today's day number (days since 1970-01-01, UTC), as claims and provenance count days. */
export function today(now = Date.now()) {
  return Math.floor(now / DAY_MS);
}

/** The day number of a Date, a day number or an ISO date string ("2027-03-31"). */
export function dayOf(value) {
  if (typeof value === 'number') return value;
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new TypeError(`${value} is not a date`);
  return today(date.getTime());
}

/** The text of bytes decoded as 0x-hex (lots, serials, codes, locators). */
export function text(hex) {
  return fromUtf8(fromHex(hex));
}

/** A 32-byte hash of text (a justification, a reason, a member id) that keeps the text off chain. */
export function hashText(value) {
  return toHex(blake2_256(typeof value === 'string' ? utf8(value) : value));
}

/**
 * A salted commitment to text that may be clinical (a break-glass justification): the
 * blake2b-256 of 32 random bytes and the text, so that nobody can confirm a guessed phrase
 * against the chain. Returns `{ hash, salt }`; keep the salt with the text to open the
 * commitment to the patient or an auditor (`hashText(salt ++ text)`).
 */
export function commitText(value, salt = randomBytes(32)) {
  const bytes = typeof value === 'string' ? utf8(value) : value;
  return { hash: toHex(blake2_256(concat(salt, bytes))), salt: toHex(salt) };
}

/**
 * A value the node serialized with serde (`{ "Allowed": { "Consent": 3 } }`) in the shape the
 * SCALE codec gives (`{ type: 'Allowed', value: { type: 'Consent', value: 3 } }`), so that
 * answers look the same whichever way they came.
 */
export function fromSerde(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && /^[A-Z]/.test(keys[0])) return { type: keys[0], value: fromSerde(value[keys[0]]) };
  return Object.fromEntries(keys.map((k) => [k, fromSerde(value[k])]));
}

/** The data of an event of the outcome's transaction, or undefined. */
export function findEvent(outcome, pallet, name) {
  return outcome.events.find((e) => e.pallet === pallet && e.name === name)?.data;
}

/** The data of an event the transaction must have emitted. */
export function event(outcome, pallet, name) {
  const found = findEvent(outcome, pallet, name);
  if (found === undefined) throw new Error(`expected a ${pallet}.${name} event in block ${outcome.blockHash}`);
  return found;
}

class PalletHelper {
  constructor(client, pallet) {
    this.client = client;
    this.pallet = pallet;
  }

  submit(signer, call, args) {
    return this.client.submit(signer, this.pallet, call, args);
  }

  query(entry, keys, at) {
    return this.client.query(this.pallet, entry, keys, at);
  }
}

/** Organizations, members, patients and guardians. */
export class Registry extends PalletHelper {
  constructor(client) {
    super(client, 'Registry');
  }

  /**
   * Registers the signer as a patient with the X25519 key their records are wrapped to
   * (default: the account's own `encryptionKey()`).
   */
  registerPatient(signer, { encryptionKey = signer.encryptionKey().publicKey, guardians = [] } = {}) {
    return this.submit(signer, 'register_patient', { encryptionKey, guardians });
  }

  addGuardian(patient, guardian) {
    return this.submit(patient, 'add_guardian', { guardian });
  }

  removeGuardian(patient, guardian) {
    return this.submit(patient, 'remove_guardian', { guardian });
  }

  rotateEncryptionKey(patient, encryptionKey) {
    return this.submit(patient, 'rotate_encryption_key', { encryptionKey });
  }

  /** An admin adds `who` to their organization with `role` (Admin, Practitioner, Clerk...). */
  addMember(admin, who, role) {
    return this.submit(admin, 'add_member', { who, role });
  }

  removeMember(admin, who) {
    return this.submit(admin, 'remove_member', { who });
  }

  /** A registered patient `{ encryptionKey, guardians, registeredAt }`, or null. */
  patient(address) {
    return this.query('Patients', [address]);
  }

  /** An account's membership `{ org, role }`, or null. */
  member(address) {
    return this.query('Members', [address]);
  }

  organization(id) {
    return this.query('Organizations', [id]);
  }
}

/** Record content with its locator: the content address, unless one is given (to be refused). */
function withLocator(content) {
  return { locator: content?.contentHash, ...content };
}

/** The index of medical records: hashes, locators and wrapped keys, never content. */
export class Records extends PalletHelper {
  constructor(client) {
    super(client, 'Records');
  }

  /**
   * Indexes a record of `patient`: `content` is `{ contentHash, size, patientKey }`, and
   * `locator`, the blob's content address in the vault, which the chain requires to equal
   * `contentHash` (the default). Resolves with `{ recordId, ...outcome }`.
   */
  async create(author, { patient, resourceType, content }) {
    const outcome = await this.submit(author, 'create_record', { patient, resourceType, content: withLocator(content) });
    return { recordId: event(outcome, 'Records', 'RecordCreated').recordId, ...outcome };
  }

  /** A new version of a record; resolves with `{ recordId, version, ...outcome }`. */
  async amend(author, recordId, content) {
    const outcome = await this.submit(author, 'amend_record', { recordId, content: withLocator(content) });
    const amended = event(outcome, 'Records', 'RecordAmended');
    return { recordId: amended.newRecordId, version: amended.version, ...outcome };
  }

  markEnteredInError(author, recordId) {
    return this.submit(author, 'mark_entered_in_error', { recordId });
  }

  /** Crypto-shredding: the locator and every wrapped key go; a tombstone stays. */
  erase(signer, recordId) {
    return this.submit(signer, 'erase_record', { recordId });
  }

  /** Puts the signer's access to a record on chain (the audit entry a vault read needs). */
  async logAccess(accessor, recordId, purpose) {
    const outcome = await this.submit(accessor, 'log_access', { recordId, purpose });
    return { basis: event(outcome, 'Records', 'AccessLogged').basis, ...outcome };
  }

  /** A record version, or null. */
  get(recordId) {
    return this.query('Records', [recordId]);
  }

  /** A patient's records, `[{ recordId, ...record }]`, a page at a time. */
  async byPatient(patient, { start = 0, count = 100, at = null } = {}) {
    const raw = await this.client.rpc.request('records_byPatient', [patient, start, count, at]);
    return this.client.decodeApiOutput('RecordsApi', 'records_by_patient', raw).map(([recordId, record]) => ({ recordId, ...record }));
  }

  /** Every version of a record, oldest first. */
  async history(recordId) {
    const versions = await this.client.callApi('RecordsApi', 'record_with_history', [recordId]);
    return versions.map(([id, record]) => ({ recordId: id, ...record }));
  }
}

/** Consent (FHIR Consent), break-glass access and the accounting of disclosures. */
export class Consent extends PalletHelper {
  constructor(client) {
    super(client, 'Consent');
  }

  /**
   * Grants `grantee` (`{ type: 'Organization', value: orgId }` or
   * `{ type: 'Practitioner', value: address }`) access for `purposes` until `expiresAt`
   * (a Date or milliseconds). `scope`: 'AllRecords', `{ type: 'ResourceTypes', value: [...] }`
   * or `{ type: 'Records', value: [recordIds] }`.
   *
   * Key wrapping: with `share: { encryptionKey, recipient }` (the patient's EncryptionKey and
   * the grantee's X25519 public key), the data key of every record in scope is unwrapped with
   * the patient's key and wrapped to the grantee's, and the wrapped keys go on chain with the
   * grant. Resolves with `{ consentId, wrappedKeys, ...outcome }`.
   */
  async grant(signer, { patient = signer.address, grantee, scope = 'AllRecords', purposes, expiresAt, share = null }) {
    const wrappedKeys = share ? await this.wrapForGrantee(patient, scope, share) : [];
    const outcome = await this.submit(signer, 'grant', {
      patient,
      grantee,
      scope,
      purposes,
      expiresAt: BigInt(expiresAt instanceof Date ? expiresAt.getTime() : expiresAt),
      wrappedKeys,
    });
    return { consentId: event(outcome, 'Consent', 'ConsentGranted').consentId, wrappedKeys: wrappedKeys.length, ...outcome };
  }

  async wrapForGrantee(patient, scope, { encryptionKey, recipient }) {
    const records = (await new Records(this.client).byPatient(patient, { count: 1000 })).filter(
      (r) => r.status === 'Active' && r.patientKey !== null && inScope(scope, r),
    );
    return records.map((r) => {
      const dataKey = unwrapKey(r.patientKey, encryptionKey);
      const wrapped = wrapKey(dataKey, recipient);
      dataKey.fill(0);
      return [r.recordId, wrapped];
    });
  }

  revoke(signer, consentId) {
    return this.submit(signer, 'revoke', { consentId });
  }

  /**
   * Opens emergency access to a patient's records. `reason` is why consent could not be asked
   * (`Unconscious`, `UnableToConsent`, `LifeThreatening` or `Other`), never a diagnosis; the
   * justification stays off chain: only a salted commitment to it is recorded (`commitText`).
   * Resolves with `{ emergencyId, expiresAt, justificationSalt, ...outcome }`; keep the salt
   * with the justification.
   */
  async breakGlass(signer, { patient, reason, justification }) {
    const { hash, salt } = commitText(justification);
    const outcome = await this.submit(signer, 'break_glass', { patient, reason, justificationHash: hash });
    const opened = event(outcome, 'Consent', 'BreakGlassOpened');
    return { emergencyId: opened.emergencyId, expiresAt: opened.expiresAt, justificationSalt: salt, ...outcome };
  }

  /** The patient disputes an emergency access. */
  dispute(patient, emergencyId) {
    return this.submit(patient, 'dispute', { emergencyId });
  }

  /** The patient or a guardian lets a practitioner whose emergency access they disputed break the glass again. */
  liftDisputeBlock(signer, { patient = signer.address, accessor }) {
    return this.submit(signer, 'lift_dispute_block', { patient, accessor });
  }

  /** Whether `accessor` may read `recordId` of `patient` for `purpose` now: `{ type: 'Allowed'|'Denied', value }`. */
  async check(patient, accessor, recordId, purpose) {
    return fromSerde(await this.client.rpc.request('consent_check', [patient, accessor, recordId, purpose, null]));
  }

  /** Every access to the patient's records since `since` (ms): the HIPAA accounting of disclosures. */
  async accountingOfDisclosures(patient, since = 0) {
    const raw = await this.client.rpc.request('consent_accountingOfDisclosures', [patient, since, null]);
    return this.client.decodeApiOutput('ConsentApi', 'accounting_of_disclosures', raw);
  }

  /** A consent, or null. */
  get(consentId) {
    return this.query('Consents', [consentId]);
  }
}

function inScope(scope, record) {
  if (scope === 'AllRecords') return true;
  if (scope.type === 'ResourceTypes') return scope.value.includes(record.resourceType);
  if (scope.type === 'Records') return scope.value.includes(record.recordId);
  return false;
}

/** Payer policies as on-chain rules, enrolment, claims, adjudication and appeals. */
export class Claims extends PalletHelper {
  constructor(client) {
    super(client, 'Claims');
  }

  /**
   * Publishes coverage terms; resolves with `{ policyId, escrow, ...outcome }`. With
   * `codeKey` (the policy's code key of epoch 0, from `generateCodeKey`), `procedures`,
   * `diagnosisPrefixes` and `priorAuthorization` hold plaintext codes and are tagged here;
   * without it they must be tags already. The chain never sees the codes.
   */
  async publishPolicy(payer, terms, { codeKey } = {}) {
    const outcome = await this.submit(payer, 'publish_policy', { terms: codeKey ? tagRules(codeKey, terms) : terms });
    const published = event(outcome, 'Claims', 'PolicyPublished');
    return { policyId: published.policyId, escrow: published.escrow, ...outcome };
  }

  fundPolicy(payer, policyId, amount) {
    return this.submit(payer, 'fund_policy', { policyId, amount: BigInt(amount) });
  }

  /**
   * Enrols a patient; the member id stays off chain. The chain records a salted commitment to
   * it (`commitText`), so that trying member numbers cannot find it; the payer keeps the
   * returned `memberIdSalt` to open it.
   */
  async enroll(payer, policyId, patient, memberId) {
    const { hash, salt } = commitText(memberId);
    const outcome = await this.submit(payer, 'enroll', { policyId, patient, memberIdHash: hash });
    return { memberIdSalt: salt, ...outcome };
  }

  /**
   * Authorizes `procedure` (a plaintext code, tagged under `codeKey`, the key of the epoch of
   * the days covered) for the patient from `from` to `until`; resolves with
   * `{ authorizationId, ...outcome }`. The event names neither the patient nor the procedure.
   */
  async authorizeProcedure(payer, { policyId, patient, procedure, codeKey, from, until }) {
    const outcome = await this.submit(payer, 'authorize_procedure', {
      policyId,
      patient,
      procedure: codeTag(codeKey, 'Procedure', procedure),
      from: dayOf(from),
      until: dayOf(until),
    });
    return { authorizationId: event(outcome, 'Claims', 'PriorAuthorizationGranted').authorizationId, ...outcome };
  }

  /**
   * Rotates a policy's code key: `rules` are the policy's code lists in plaintext
   * (`procedures`, `diagnosisPrefixes`, `priorAuthorization`), tagged here under the fresh
   * `codeKey`. Resolves with `{ epoch, firstDay, ...outcome }`; share the new key with
   * `shareCodeKey` before `firstDay`.
   */
  async rotateCodeKey(payer, policyId, rules, codeKey) {
    const { procedures, diagnosisPrefixes, priorAuthorization } = tagRules(codeKey, rules);
    const outcome = await this.submit(payer, 'rotate_code_key', { policyId, rules: { procedures, diagnosisPrefixes, priorAuthorization } });
    const rotated = event(outcome, 'Claims', 'CodeKeyRotated');
    return { epoch: rotated.epoch, firstDay: rotated.firstDay, ...outcome };
  }

  /** Wraps the policy's code key of `epoch` to a provider organization's X25519 key and stores it on chain. */
  shareCodeKey(payer, { policyId, epoch, org, codeKey, orgPublicKey }) {
    const wrappedKey = wrapCodeKey(codeKey, orgPublicKey, { policyId, epoch, org });
    return this.submit(payer, 'share_code_key', { policyId, epoch, org, wrappedKey });
  }

  /**
   * The policy's code key of `epoch` (the current one unless given) that the payer shared with
   * `org`, unwrapped with the organization's `encryptionKey`: `{ codeKey, epoch }`.
   */
  async codeKey(policyId, org, encryptionKey, epoch = undefined) {
    const at = epoch ?? (await this.policy(policyId)).codeKey.epoch;
    const holders = await this.query('WrappedCodeKeys', [policyId, at]);
    const held = (holders ?? []).find(([holder]) => holder === org);
    if (!held) throw new Error(`policy ${policyId}'s code key of epoch ${at} was not shared with organization ${org}: ask the payer to share it`);
    return { codeKey: unwrapCodeKey(held[1], encryptionKey, { policyId, epoch: at, org }), epoch: at };
  }

  /**
   * Files a claim: `diagnoses` are ICD-10-CM codes (the principal one first), `lines`
   * `{ procedure, units, charged, telehealth? }` with CPT/HCPCS codes (`telehealth`: see
   * `telehealthService`), `records` the consented records that
   * back it; the codes are tagged under `codeKey` of epoch `epoch` (the current one unless
   * given; the previous one for days before a rotation). Unless `attachment` (a content hash)
   * is given, the codes are sealed into a FHIR Claim written to the vault as a record of the
   * patient, which the claim cites and whose content hash it keeps. Adjudication runs in the
   * same block; resolves with `{ claimId, status, payerPaid, patientShare, claim, attachment,
   * ...outcome }`.
   */
  async submitClaim(provider, { policyId, patient, serviceDate = today(), codeKey, epoch, diagnoses, lines, records, attachment }) {
    const day = dayOf(serviceDate);
    const diagnosis = diagnosisTags(codeKey, diagnoses[0]);
    const tagged = lines.map((l) => ({
      procedure: codeTag(codeKey, 'Procedure', l.procedure),
      units: l.units,
      charged: BigInt(l.charged),
      telehealth: telehealthService(l.telehealth),
    }));
    const codeKeyEpoch = epoch ?? (await this.policy(policyId))?.codeKey.epoch ?? 0;
    let cited = records;
    if (attachment === undefined) {
      const written = await this.client.vault.writeRecord(provider, {
        patient,
        resource: claimAttachment({ policyId, serviceDate: day, diagnoses, lines, patient, provider: provider.address }),
      });
      attachment = written.contentHash;
      cited = [...records, written.recordId];
    }
    const outcome = await this.submit(provider, 'submit_claim', {
      policyId,
      patient,
      serviceDate: day,
      codeKeyEpoch,
      diagnosis,
      lines: tagged,
      records: cited,
      attachment,
    });
    const { claimId } = event(outcome, 'Claims', 'ClaimSubmitted');
    const adjudicated = findEvent(outcome, 'Claims', 'ClaimAdjudicated');
    const claim = await this.query('Claims', [claimId], outcome.blockHash);
    return {
      claimId,
      status: claim.status.type ?? claim.status,
      payerPaid: adjudicated?.payerPaid ?? 0n,
      patientShare: adjudicated?.patientShare ?? 0n,
      claim,
      attachment,
      ...outcome,
    };
  }

  reviewClaim(payer, claimId, approve) {
    return this.submit(payer, 'review_claim', { claimId, approve });
  }

  /**
   * Appeals a line; the justification stays off chain as a salted commitment (`commitText`),
   * so that guessing its words cannot confirm them. The provider keeps `justificationSalt`.
   */
  async appealLine(provider, claimId, line, justification) {
    const { hash, salt } = commitText(justification);
    const outcome = await this.submit(provider, 'appeal_line', { claimId, line, justification: hash });
    return { justificationSalt: salt, ...outcome };
  }

  resolveAppeal(payer, claimId, line, allowed = null) {
    return this.submit(payer, 'resolve_appeal', { claimId, line, allowed: allowed === null ? null : BigInt(allowed) });
  }

  /** A claim with its adjudicated lines, or null. */
  get(claimId) {
    return this.query('Claims', [claimId]);
  }

  policy(policyId) {
    return this.query('Policies', [policyId]);
  }

  /** The settlement balance of an account. */
  async balance(address) {
    const account = await this.client.query('System', 'Account', [address]);
    return account.data.free;
  }
}

/** A serialized unit's identifier (SGTIN) as an EPC. */
export function unitEpc(gtin, serial) {
  return { type: 'Unit', value: { gtin, serial } };
}

/** A container's SSCC as an EPC. */
export function containerEpc(sscc) {
  return { type: 'Container', value: sscc };
}

/** Serialized drug units (DSCSA, GS1 EPCIS): commissioning, custody, verification, dispensing. */
export class Provenance extends PalletHelper {
  constructor(client) {
    super(client, 'Provenance');
  }

  /** A manufacturer registers a GTIN-14 (14 digits with the GS1 check digit). */
  registerProduct(manufacturer, gtin, description) {
    return this.submit(manufacturer, 'register_product', { gtin, descriptionHash: hashText(description) });
  }

  /** Commissions serialized units of a lot. */
  commission(manufacturer, { gtin, lot, expiry, serials }) {
    return this.submit(manufacturer, 'commission', { gtin, lot, expiry: dayOf(expiry), serials });
  }

  aggregate(owner, sscc, children) {
    return this.submit(owner, 'aggregate', { parent: sscc, children });
  }

  disaggregate(owner, sscc, children) {
    return this.submit(owner, 'disaggregate', { parent: sscc, children });
  }

  ship(owner, epc, toOrg) {
    return this.submit(owner, 'ship', { epc, to: toOrg });
  }

  receive(receiver, epc) {
    return this.submit(receiver, 'receive', { epc });
  }

  /**
   * Verifies a product identifier read from a package, on chain (a request about a known unit
   * is recorded; an unknown identifier is only answered);
   * resolves with the answer: 'Unknown' (a counterfeit sign) or `{ type: 'Known', value:
   * { owner, status, inTransit, lot, expiry, recalled, expired } }`.
   */
  async verifyProduct(signer, { gtin, serial }) {
    const outcome = await this.submit(signer, 'verify_product', { sgtin: { gtin, serial } });
    return { verification: event(outcome, 'Provenance', 'ProductVerified').verification, ...outcome };
  }

  /** The same answer without a transaction (nothing is recorded). */
  verify({ gtin, serial }) {
    return this.client.callApi('ProvenanceApi', 'verify_product', [{ gtin, serial }]);
  }

  /** A unit's or container's supply events, oldest first. */
  history(epc) {
    return this.client.callApi('ProvenanceApi', 'history', [epc]);
  }

  recallLot(manufacturer, { gtin, lot, reason }) {
    return this.submit(manufacturer, 'recall_lot', { gtin, lot, reason: hashText(reason) });
  }

  markSuspect(signer, sgtin, reason) {
    return this.submit(signer, 'mark_suspect', { sgtin, reason: hashText(reason) });
  }

  clearSuspect(signer, sgtin) {
    return this.submit(signer, 'clear_suspect', { sgtin });
  }

  declareIllegitimate(signer, sgtin) {
    return this.submit(signer, 'declare_illegitimate', { sgtin });
  }

  /**
   * A pharmacy dispenses a unit to `patient` (an address or account), against `prescription`
   * (a MedicationRequest record id) when it fills one. Neither goes on chain: the call carries
   * a commitment to them under fresh random bytes, and, for a prescription, the nullifier of
   * its next unspent fill, keyed with the prescription's data key `dataKey` (the pharmacy
   * unwraps it from the patient's consent). Check the prescription first (it is the patient's,
   * current, and was given to you): the chain cannot. Resolves with `{ opening, commitment,
   * fill, counterfeitSign, ...outcome }`: keep `opening` (`{ patient, prescription, blinding }`)
   * in the dispensing record, to open the commitment to the patient, a regulator or an auditor.
   * `fill` is `{ index, nullifier }` or null. An already dispensed identifier is reported as a
   * likely counterfeit: `counterfeitSign` says why (null when the unit was dispensed); an
   * unknown one is refused with `UnknownUnit`; a fill spent meanwhile by another pharmacy with
   * `PrescriptionFillUsed` (dispense again for the next fill).
   */
  async dispense(pharmacy, sgtin, { patient, prescription = null, dataKey = null } = {}) {
    if (patient === undefined || patient === null) {
      throw new TypeError('dispense needs the patient: the commitment binds the unit to them');
    }
    if ((prescription === null) !== (dataKey === null)) {
      throw new TypeError('a prescription is filled with its data key: give both or neither');
    }
    const opening = { patient, prescription, blinding: randomBlinding() };
    const commitment = dispenseCommitment({ ...opening, sgtin });
    const fill = prescription === null ? null : await this.nextFill(dataKey, prescription);
    const outcome = await this.submit(pharmacy, 'dispense', { sgtin, commitment, fill: fill?.nullifier ?? null });
    const counterfeit = findEvent(outcome, 'Provenance', 'CounterfeitSuspected');
    return { opening, commitment, fill, counterfeitSign: counterfeit?.sign ?? null, ...outcome };
  }

  /**
   * The lowest fill of a prescription not yet dispensed, `{ index, nullifier }`, of the chain's
   * `MaxFillsPerPrescription`; throws when every fill is spent (the prescriber must issue a new
   * prescription). The chain cannot tell fills apart, so this bound is the pharmacy's to keep.
   */
  async nextFill(dataKey, prescription) {
    const fills = Number(this.client.constant('Provenance', 'MaxFillsPerPrescription'));
    for (let index = 0; index < fills; index++) {
      const nullifier = fillNullifier(dataKey, prescription, index);
      if ((await this.query('FillNullifiers', [nullifier])) === null) return { index, nullifier };
    }
    throw new Error(`all ${fills} fills of prescription ${toHex(toBytes(prescription))} were dispensed: ask the prescriber for a new one`);
  }

  /** The commitment a dispensed unit was dispensed under (0x-hex), or null. */
  dispenseCommitment(sgtin) {
    return this.query('DispenseCommitments', [sgtin]);
  }

  /**
   * Whether `opening` (`{ patient, prescription, blinding }`, shown by the pharmacy) opens the
   * commitment stored for `sgtin`. Only the stored commitment is read from the node; the
   * opening is checked here and never sent.
   */
  async verifyDispense(sgtin, opening) {
    const commitment = await this.dispenseCommitment(sgtin);
    return commitment !== null && verifyDispenseOpening(commitment, sgtin, opening);
  }

  unit(sgtin) {
    return this.query('Units', [sgtin]);
  }
}

/**
 * Clinical trials: a sponsor registers and runs a study, sites screen and follow subjects, and
 * a patient takes part from a subject account registered nowhere (see `trials.js`), so that no
 * block or state ties the patient's own account to the study. Documents, arms and outcomes go
 * on chain as blake2b-256 hashes of their text (`hashText`): keep the texts off chain.
 */
export class Trials extends PalletHelper {
  constructor(client) {
    super(client, 'Trials');
  }

  /**
   * A sponsor's admin or practitioner registers a study: `registryId` ('NCT01234567'), `phase`
   * ('Phase1'..'Phase4', 'NotApplicable'...), `arms` (descriptions), `targetEnrolment`,
   * `protocol`, `consentForm`, `primaryOutcomes`, `secondaryOutcomes`, `analysisPlan` (texts,
   * hashed here) and `allocationRoot` (from `allocationList`). Resolves with `{ study, ...outcome }`.
   */
  async registerStudy(sponsor, { registryId: id, phase, arms, targetEnrolment, protocol, consentForm, primaryOutcomes, secondaryOutcomes = [], analysisPlan, allocationRoot }) {
    const outcome = await this.submit(sponsor, 'register_study', {
      registryId: registryId(id),
      phase,
      arms: arms.map((description, index) => ({ index, descriptionHash: hashText(description) })),
      targetEnrolment,
      protocolHash: hashText(protocol),
      consentFormHash: hashText(consentForm),
      primaryOutcomes: primaryOutcomes.map(hashText),
      secondaryOutcomes: secondaryOutcomes.map(hashText),
      analysisPlanHash: hashText(analysisPlan),
      allocationRoot,
    });
    return { study: event(outcome, 'Trials', 'StudyRegistered').study, ...outcome };
  }

  /** The sponsor amends the protocol: a new version, and whether subjects must consent again. */
  async amendProtocol(sponsor, study, { protocol, consentForm, reconsentRequired }) {
    const outcome = await this.submit(sponsor, 'amend_protocol', {
      study,
      protocolHash: hashText(protocol),
      consentFormHash: hashText(consentForm),
      reconsentRequired,
    });
    return { version: event(outcome, 'Trials', 'ProtocolAmended').version, ...outcome };
  }

  /** The sponsor activates a care provider as a site, with its ethics committee's approval (hashed). */
  activateSite(sponsor, study, site, ethicsApproval) {
    return this.submit(sponsor, 'activate_site', { study, site, ethicsApprovalHash: hashText(ethicsApproval) });
  }

  deactivateSite(sponsor, study, site) {
    return this.submit(sponsor, 'deactivate_site', { study, site });
  }

  /**
   * A site's practitioner screens a subject: `identity` is what the patient's wallet gave the
   * site (`{ pseudonym, key }` of `subjectIdentity`), `patient` the patient's address (known to
   * the site, never sent: it only feeds the enrolment nullifier, under the study's
   * `nullifierKey`), `eligible` the screening's verdict.
   */
  screen(practitioner, study, { pseudonym, key }, { patient, nullifierKey, eligible = true }) {
    const nullifier = enrolmentNullifier(nullifierKey, study, patient);
    return this.submit(practitioner, 'screen', { study, pseudonym, key, nullifier, eligible });
  }

  /** The subject, signing with its subject account, consents to `version` and enrols at `site`. */
  enrol(identity, { site, version }) {
    return this.submit(identity.account, 'enrol', { study: identity.study, pseudonym: identity.pseudonym, site, version });
  }

  /** The subject consents to the current version after an amendment. */
  reconsent(identity, version) {
    return this.submit(identity.account, 'reconsent', { study: identity.study, pseudonym: identity.pseudonym, version });
  }

  /** The subject withdraws: nothing more is captured for it. */
  withdraw(identity) {
    return this.submit(identity.account, 'withdraw', { study: identity.study, pseudonym: identity.pseudonym });
  }

  /**
   * The sponsor randomises an enrolled subject by revealing its slot of the allocation list
   * (`list` from `allocationList`; the slot is the one the subject took at enrolment).
   * Resolves with `{ arm, slot, ...outcome }`.
   */
  async randomise(sponsor, study, pseudonym, list) {
    const subject = await this.query('Subjects', [study, pseudonym]);
    if (subject?.slot === undefined || subject.slot === null) throw new TrialError(`subject ${pseudonym} of study ${study} has no slot: it is not enrolled`);
    const { arm, salt, proof } = allocationReveal(list, subject.slot);
    const outcome = await this.submit(sponsor, 'randomise', { study, pseudonym, arm, salt, proof });
    return { arm, slot: subject.slot, ...outcome };
  }

  /**
   * A site's practitioner captures a case-report form for a subject: the chain keeps a salted
   * hash of it (`commitText`), never a records-pallet id, whose index names the patient (the
   * chain refuses one: `RecordIdentifiesPatient`). Resolves with `{ hash, salt, ...outcome }`:
   * keep the salt with the form, to open the commitment to a monitor or auditor.
   */
  async captureForm(practitioner, study, pseudonym, form) {
    const { hash, salt } = commitText(typeof form === 'string' ? form : JSON.stringify(form));
    const outcome = await this.captureData(practitioner, study, pseudonym, hash);
    return { hash, salt, ...outcome };
  }

  /** Captures a hash the site computed itself (see `captureForm`). */
  captureData(practitioner, study, pseudonym, hash) {
    return this.submit(practitioner, 'capture_data', { study, pseudonym, record: hash });
  }

  markLostToFollowUp(practitioner, study, pseudonym) {
    return this.submit(practitioner, 'mark_lost_to_follow_up', { study, pseudonym });
  }

  complete(practitioner, study, pseudonym) {
    return this.submit(practitioner, 'complete', { study, pseudonym });
  }

  /**
   * A site reports an adverse event of a subject: `report` (text, hashed), `seriousness`
   * ('NonSerious' or 'Serious') and `onset` (ms since the epoch).
   * Resolves with `{ late, ...outcome }`: whether it came after its deadline.
   */
  async reportAdverseEvent(practitioner, study, pseudonym, { report, seriousness, onset }) {
    const outcome = await this.submit(practitioner, 'report_adverse_event', { study, pseudonym, reportHash: hashText(report), seriousness, onset });
    return { late: findEvent(outcome, 'Trials', 'AdverseEventReportedLate') !== undefined, ...outcome };
  }

  /** The sponsor locks the database with its root over the clinical data. */
  lockDatabase(sponsor, study, dataRoot) {
    return this.submit(sponsor, 'lock_database', { study, dataRoot });
  }

  /**
   * The sponsor reports results: the results document and the outcomes it reports (texts,
   * hashed as at registration). Resolves with `{ switched, ...outcome }`: the comparison when
   * an outcome was added, dropped, promoted or demoted (null when none was).
   */
  async reportResults(sponsor, study, { results, primaryOutcomes, secondaryOutcomes = [] }) {
    const outcome = await this.submit(sponsor, 'report_results', {
      study,
      resultsHash: hashText(results),
      primaryOutcomes: primaryOutcomes.map(hashText),
      secondaryOutcomes: secondaryOutcomes.map(hashText),
    });
    return { switched: findEvent(outcome, 'Trials', 'OutcomeSwitched') ?? null, ...outcome };
  }

  /** Anyone flags a study whose results are overdue. */
  flagOverdue(signer, study) {
    return this.submit(signer, 'flag_overdue', { study });
  }

  /** The study's registration, state and protocol history (`trials_study`), or null. */
  study(study, at = null) {
    return this.client.rpc.request('trials_study', [study, at]);
  }

  /** A subject's consents as one document, with the block it was read at (`trials_consentHistory`), or null. */
  consentHistory(study, pseudonym, at = null) {
    return this.client.rpc.request('trials_consentHistory', [study, pseudonym, at]);
  }

  /** The study's CONSORT participant flow (`trials_consortFlow`), or null. */
  consortFlow(study, at = null) {
    return this.client.rpc.request('trials_consortFlow', [study, at]);
  }

  /** The study as a FHIR R4 ResearchStudy (`trials_researchStudy`), or null. */
  researchStudy(study, at = null) {
    return this.client.rpc.request('trials_researchStudy', [study, at]);
  }

  /** A subject as a FHIR R4 ResearchSubject named by its pseudonym (`trials_researchSubject`), or null. */
  researchSubject(study, pseudonym, at = null) {
    return this.client.rpc.request('trials_researchSubject', [study, pseudonym, at]);
  }
}

/**
 * Research access: a sponsor opens a request under an ethics approval and a data-use
 * agreement (texts, hashed here), patients opt in with a consent for 'Research' to the
 * sponsor (`consent.grant`) and out by revoking it, and each release of records is checked
 * against those consents and audited in each patient's accounting of disclosures.
 */
export class Research extends PalletHelper {
  constructor(client) {
    super(client, 'Research');
  }

  /**
   * Opens a request: `dataSet` ('DeIdentified' or 'LimitedDataSet'), `ethicsApproval` and
   * `dataUseAgreement` (texts), `expiresAt` (ms since the epoch). Resolves with `{ request, ...outcome }`.
   */
  async requestAccess(sponsor, { dataSet, ethicsApproval, dataUseAgreement, expiresAt }) {
    const outcome = await this.submit(sponsor, 'request_access', {
      dataSet,
      ethicsApprovalHash: hashText(ethicsApproval),
      dataUseAgreementHash: hashText(dataUseAgreement),
      expiresAt,
    });
    return { request: event(outcome, 'Research', 'AccessRequested').request, ...outcome };
  }

  closeRequest(sponsor, request) {
    return this.submit(sponsor, 'close_request', { request });
  }

  /** Releases records under a request, all or none; each is audited in its patient's log. */
  release(sponsor, request, records) {
    return this.submit(sponsor, 'release', { request, records });
  }

  /** The request `{ sponsor, dataSet, ..., closed, releases }`, or null. */
  request(request) {
    return this.client.callApi('ResearchApi', 'request', [request]);
  }

  /** The records a request released, as `[recordId, at]` pairs. */
  released(request) {
    return this.client.callApi('ResearchApi', 'released', [request]);
  }
}

/**
 * Telehealth: licences per jurisdiction, appointments, and encounters both sides attest. The
 * patient's wallet countersigns the encounter's facts (`countersign`); the practitioner submits
 * them with that signature, which the node verifies in its batch.
 */
export class Telehealth extends PalletHelper {
  constructor(client) {
    super(client, 'Telehealth');
  }

  /** A regulator's staff or the practitioner's own admin licenses `practitioner` in `code` (`US-CA`). */
  issueLicence(issuer, practitioner, code, expiresAt) {
    return this.submit(issuer, 'issue_licence', { practitioner, jurisdiction: jurisdiction(code), expiresAt });
  }

  revokeLicence(issuer, practitioner, code) {
    return this.submit(issuer, 'revoke_licence', { practitioner, jurisdiction: jurisdiction(code) });
  }

  /**
   * A licensed practitioner proposes an appointment: `{ patient, jurisdiction: 'US-CA', start,
   * end, modality: 'Video' | 'AudioOnly' | 'Asynchronous' }`. Resolves with `{ appointment, ...outcome }`.
   */
  async proposeAppointment(practitioner, { patient, jurisdiction: code, start, end, modality }) {
    const outcome = await this.submit(practitioner, 'propose_appointment', { patient, jurisdiction: jurisdiction(code), start, end, modality });
    return { appointment: event(outcome, 'Telehealth', 'AppointmentProposed').appointment, ...outcome };
  }

  /** The patient or a guardian books it. */
  book(signer, appointment) {
    return this.submit(signer, 'book', { appointment });
  }

  cancel(signer, appointment) {
    return this.submit(signer, 'cancel', { appointment });
  }

  /**
   * The practitioner records the encounter `{ patient, modality, startedAt, endedAt, noteHash }`
   * with the patient's `signature` (`countersign`). Resolves with `{ minutes, ...outcome }`.
   */
  async attestEncounter(practitioner, appointment, { patient, modality, startedAt, endedAt, noteHash }, signature) {
    const outcome = await this.submit(practitioner, 'attest_encounter', {
      appointment,
      patient,
      modality,
      startedAt,
      endedAt,
      noteHash,
      patientSignature: signature,
    });
    return { minutes: event(outcome, 'Telehealth', 'EncounterAttested').minutes, ...outcome };
  }

  markNoShow(practitioner, appointment) {
    return this.submit(practitioner, 'mark_no_show', { appointment });
  }

  /**
   * The practitioner links a prescription (a MedicationRequest record they wrote for the
   * patient during or within a day after the visit) to the encounter it was issued in.
   */
  linkPrescription(practitioner, appointment, recordId) {
    return this.submit(practitioner, 'link_prescription', { appointment, record: recordId });
  }

  /** An appointment `{ patient, practitioner, org, start, end, modality, status, encounter }`, or null. */
  appointment(appointment) {
    return this.query('Appointments', [appointment]);
  }

  /** The appointment as the node's JSON view (`telehealth_appointment`), or null. */
  view(appointment, at = null) {
    return this.client.rpc.request('telehealth_appointment', [appointment, at]);
  }

  /** The appointment as a FHIR R4 Appointment (`telehealth_fhirAppointment`), or null. */
  fhirAppointment(appointment, at = null) {
    return this.client.rpc.request('telehealth_fhirAppointment', [appointment, at]);
  }

  /** Its attested encounter as a FHIR R4 Encounter (`telehealth_fhirEncounter`), or null. */
  fhirEncounter(appointment, at = null) {
    return this.client.rpc.request('telehealth_fhirEncounter', [appointment, at]);
  }
}

/** The places of service and modifiers of a telehealth claim line, as billing writes them. */
const PLACES = { '02': 'OtherThanHome', 10: 'Home', '10': 'Home' };
const MODIFIERS = { 95: 'AudioVideo', '95': 'AudioVideo', 93: 'AudioOnly', '93': 'AudioOnly' };

/**
 * A telehealth claim line's `telehealth` part from `{ appointment, placeOfService: '02' | '10',
 * modifier: '95' | '93', jurisdiction: 'US-CA', minutes }`; null for an in-person line.
 */
export function telehealthService(t) {
  if (!t) return null;
  const place = PLACES[t.placeOfService];
  const modifier = MODIFIERS[t.modifier];
  if (!place) throw new Error(`place of service ${t.placeOfService} is not telehealth: use '02' or '10'`);
  if (!modifier) throw new Error(`modifier ${t.modifier} is not a telehealth modifier: use '95' (audio and video) or '93' (audio only)`);
  return { appointment: t.appointment, place, modifier, jurisdiction: jurisdiction(t.jurisdiction), minutes: t.minutes };
}

/**
 * Wellness programs: a payer funds rewards for attended visits, refills on time and
 * immunizations; patients enrol and redeem; pharmacies report fills (days supplied, never the
 * drug). Points are earned from facts the chain holds, pushed by the telehealth and records
 * pallets: no call here names a visit or a record.
 */
export class Wellness extends PalletHelper {
  constructor(client) {
    super(client, 'Wellness');
  }

  /**
   * A payer's admin creates a program: `terms` (text, hashed here), `pointValue`, `deposit`
   * (0 for none), `startsAt`, `endsAt` (ms), and `rules`, each `{ trigger, points, capPerPeriod,
   * periodDays, expiresAt }` with `trigger` 'AttendedVisit', 'Immunization' or `{ Refill: {
   * minPdc: 80 } }`. Resolves with `{ program, ...outcome }`.
   */
  async createProgram(payer, { terms, pointValue, deposit = 0n, startsAt, endsAt, rules }) {
    const outcome = await this.submit(payer, 'create_program', {
      termsHash: hashText(terms),
      pointValue: BigInt(pointValue),
      deposit: BigInt(deposit),
      startsAt,
      endsAt,
      rules: rules.map((r) => ({ ...r, trigger: trigger(r.trigger) })),
    });
    return { program: event(outcome, 'Wellness', 'ProgramCreated').program, ...outcome };
  }

  fund(payer, program, amount) {
    return this.submit(payer, 'fund', { program, amount: BigInt(amount) });
  }

  withdraw(payer, program, amount) {
    return this.submit(payer, 'withdraw', { program, amount: BigInt(amount) });
  }

  /** The patient, or a guardian for them, enrols (paying the deposit, if any). */
  enrol(signer, program, patient = signer.address) {
    return this.submit(signer, 'enrol', { program, patient });
  }

  /**
   * Leaves, for good: unredeemed points are forfeited, and the deposit comes back when the
   * program ends (a no-show of an appointment that began before still forfeits it).
   */
  leave(signer, program, patient = signer.address) {
    return this.submit(signer, 'leave', { program, patient });
  }

  /** Redeems points; resolves with `{ paid, ...outcome }`, paid to the patient. */
  async redeem(signer, program, points, patient = signer.address) {
    const outcome = await this.submit(signer, 'redeem', { program, patient, points: BigInt(points) });
    return { paid: event(outcome, 'Wellness', 'Redeemed').paid, ...outcome };
  }

  /** A pharmacy reports a fill of `daysSupply` days for an enrolled patient, after dispensing. */
  reportFill(pharmacist, program, patient, daysSupply) {
    return this.submit(pharmacist, 'report_fill', { program, patient, daysSupply });
  }

  /** The program with its ledger and totals per rule (`wellness_program`), or null. */
  program(program, at = null) {
    return this.client.rpc.request('wellness_program', [program, at]);
  }

  /** A patient's points, deposit and adherence in a program (`wellness_enrolment`), or null. */
  enrolment(program, patient, at = null) {
    return this.client.rpc.request('wellness_enrolment', [program, patient, at]);
  }
}

function trigger(t) {
  if (typeof t === 'string') return t;
  if (t?.Refill) return { type: 'Refill', value: { minPdc: t.Refill.minPdc } };
  throw new Error(`unknown wellness trigger ${JSON.stringify(t)}: use 'AttendedVisit', 'Immunization' or { Refill: { minPdc } }`);
}

