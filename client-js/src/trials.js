// Clinical trials on the client: the pseudonym, subject account, subject key and enrolment
// nullifier a wallet and a site compute, and the sponsor's allocation list with its Merkle
// commitment and proofs. Each hash is computed exactly as pallet-trials computes it (its
// `pseudonym`, `subject_key`, `enrolment_nullifier`, `allocation_leaf`, `allocation_node`).

import { randomBytes } from '@noble/hashes/utils.js';
import { concat, toBytes, toHex, utf8 } from './bytes.js';
import { blake2_256 } from './hashing.js';
import { accountBytes } from './keys.js';

const PSEUDONYM_DOMAIN = utf8('carechain/trials/pseudonym/v1');
const SUBJECT_KEY_DOMAIN = utf8('carechain/trials/subject-key/v1');
const ENROLMENT_NULLIFIER_DOMAIN = utf8('carechain/trials/enrolment/v2');
const ALLOCATION_LEAF_DOMAIN = utf8('carechain/trials/allocation/leaf/v1');
const ALLOCATION_NODE_DOMAIN = utf8('carechain/trials/allocation/node/v1');
const ZERO = new Uint8Array(32);

/** Trial input the chain would refuse, named before anything is signed. */
export class TrialError extends Error {
  constructor(message) {
    super(message);
    this.name = 'TrialError';
  }
}

function u32le(value, what) {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new TrialError(`${what} is a whole number below 2^32, got ${value}`);
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

function bytes32(value, what) {
  const bytes = toBytes(value, what);
  if (bytes.length !== 32) throw new TrialError(`${what} has 32 bytes, got ${bytes.length}`);
  return bytes;
}

/** The pseudonym of `patient` (an address or account) in `study` with the wallet's 32-byte `salt`. */
export function pseudonym(study, patient, salt) {
  return toHex(blake2_256(concat(PSEUDONYM_DOMAIN, u32le(study, 'a study id'), accountBytes(patient, 'patient'), bytes32(salt, 'a salt'))));
}

/** The subject key binding `pseudonym` in `study` to the subject account (an address or account) that acts for it. */
export function subjectKey(study, pseudonymHash, subjectAccount) {
  return toHex(blake2_256(concat(SUBJECT_KEY_DOMAIN, u32le(study, 'a study id'), bytes32(pseudonymHash, 'a pseudonym'), accountBytes(subjectAccount, 'subject account'))));
}

/**
 * The enrolment nullifier of `patient` in `study`, under the study's 32-byte nullifier key
 * (which the sponsor gives its sites, never on chain): what the site records at screening so
 * that a patient enrols once.
 */
export function enrolmentNullifier(nullifierKey, study, patient) {
  return toHex(blake2_256(concat(ENROLMENT_NULLIFIER_DOMAIN, bytes32(nullifierKey, 'a nullifier key'), u32le(study, 'a study id'), accountBytes(patient, 'patient'))));
}

/**
 * What a patient's wallet makes to take part in `study`, from the patient's account and 32
 * random bytes it keeps (`salt`, fresh by default): the pseudonym, the subject account (derived
 * from the patient's secret with the hard path `//carechain//trial//<study>//<salt>`, so the
 * wallet can derive it again and nobody else can link it to the patient) and the subject key.
 * The wallet gives the site `{ pseudonym, key }`; the subject account signs the subject's calls.
 */
export function subjectIdentity(patient, study, salt = randomBytes(32)) {
  const saltBytes = bytes32(salt, 'a salt');
  const name = pseudonym(study, patient, saltBytes);
  const account = patient.deriveHard('carechain', 'trial', String(study), toHex(saltBytes));
  return { study, pseudonym: name, account, key: subjectKey(study, name, account), salt: toHex(saltBytes) };
}

/** The least depth whose tree holds `target` slots. */
export function allocationDepth(target) {
  if (!Number.isInteger(target) || target < 1) throw new TrialError(`a target enrolment is at least 1, got ${target}`);
  return Math.ceil(Math.log2(target));
}

/** The leaf of an allocation slot: the slot, the arm and a 32-byte salt. */
export function allocationLeaf(slot, arm, salt) {
  if (!Number.isInteger(arm) || arm < 0 || arm > 255) throw new TrialError(`an arm is an index 0..255, got ${arm}`);
  return blake2_256(concat(ALLOCATION_LEAF_DOMAIN, u32le(slot, 'a slot'), Uint8Array.of(arm), bytes32(salt, 'a salt')));
}

function allocationNode(left, right) {
  return blake2_256(concat(ALLOCATION_NODE_DOMAIN, left, right));
}

function levels(leaves, depth) {
  let level = Array.from({ length: 2 ** depth }, (_, i) => leaves[i] ?? ZERO);
  const all = [];
  while (level.length > 1) {
    all.push(level);
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(allocationNode(level[i], level[i + 1]));
    level = next;
  }
  all.push(level);
  return all;
}

/**
 * The sponsor's allocation list for `target` subjects over `arms` arms: for each slot an arm
 * and 32 random bytes. Arms come in permuted blocks of randomly varied size (1, 2 or 3 times
 * `arms` slots, each arm equally often in a block, shuffled with a CSPRNG), so that a site
 * that sees earlier allocations cannot tell the next one from where a block ends. Returns
 * `{ depth, entries: [{ slot, arm, salt }], blocks, root }` (`blocks`: the block sizes, in
 * order): the study commits to `root` at registration; keep the rest secret from the sites,
 * and reveal one entry with `allocationReveal` when its subject is randomised.
 */
export function allocationList(target, arms) {
  if (!Number.isInteger(arms) || arms < 1 || arms > 256) throw new TrialError(`a study has 1 to 256 arms, got ${arms}`);
  const depth = allocationDepth(target);
  const slots = 2 ** depth;
  const entries = [];
  const blocks = [];
  while (entries.length < slots) {
    const size = Math.min(arms * (1 + randomIndex(3)), slots - entries.length);
    const block = Array.from({ length: size }, (_, i) => i % arms);
    for (let i = block.length - 1; i > 0; i--) {
      const j = randomIndex(i + 1);
      [block[i], block[j]] = [block[j], block[i]];
    }
    for (const arm of block) entries.push({ slot: entries.length, arm, salt: toHex(randomBytes(32)) });
    blocks.push(size);
  }
  const leaves = entries.map((e) => allocationLeaf(e.slot, e.arm, e.salt));
  return { depth, entries, blocks, root: toHex(levels(leaves, depth).at(-1)[0]) };
}

function randomIndex(bound) {
  // Rejection sampling over 32-bit draws: no modulo bias.
  const limit = Math.floor(0x1_0000_0000 / bound) * bound;
  for (;;) {
    const draw = new DataView(randomBytes(4).buffer).getUint32(0, true);
    if (draw < limit) return draw % bound;
  }
}

/** The reveal of `slot` from an allocation list: `{ arm, salt, proof }`, as `randomise` takes them. */
export function allocationReveal(list, slot) {
  const entry = list.entries[slot];
  if (!entry) throw new TrialError(`slot ${slot} is not in the allocation list (${list.entries.length} slots)`);
  const leaves = list.entries.map((e) => allocationLeaf(e.slot, e.arm, e.salt));
  const all = levels(leaves, list.depth);
  const proof = [];
  let index = slot;
  for (const level of all.slice(0, -1)) {
    proof.push(toHex(level[index ^ 1]));
    index >>= 1;
  }
  return { arm: entry.arm, salt: entry.salt, proof };
}

/** `NCT01234567` or `ISRCTN12345678` as the chain's `RegistryId`. */
export function registryId(id) {
  const match = /^(NCT|ISRCTN)(\d{8})$/.exec(String(id));
  if (!match) throw new TrialError(`a registry id is NCT or ISRCTN followed by 8 digits, got ${JSON.stringify(id)}`);
  return { type: match[1] === 'NCT' ? 'Nct' : 'Isrctn', value: toHex(utf8(match[2])) };
}

