// The envelope across implementations: what client-js seals the Rust vault opens, and what
// the Rust vault seals client-js opens (vault/examples/envelope-interop.rs).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fromHex, toHex, utf8 } from './bytes.js';
import { EncryptionKey } from './keys.js';
import { contentHash, open, sealFhir, unwrapKey, wrapKey } from './envelope.js';
import { targetDir } from './testing/dev-node.js';

const binary = join(targetDir, 'debug', 'examples', 'envelope-interop');

/** Sends JSON requests to the Rust example, one per line; returns its answers. */
function rust(requests) {
  if (!existsSync(binary)) {
    // `cargo test --workspace` builds it; build it here when this file runs alone.
    execFileSync('cargo', ['build', '-p', 'carechain-vault', '--example', 'envelope-interop'], { stdio: 'inherit' });
  }
  const run = spawnSync(binary, { input: requests.map((r) => JSON.stringify(r)).join('\n') + '\n', encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim().split('\n').map((line) => JSON.parse(line));
}

const hex = (bytes) => toHex(bytes).slice(2);
const observation = JSON.stringify({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '2339-0', display: 'Glucose' }] },
  subject: { reference: 'Patient/interop' },
  valueQuantity: { value: 5.4, unit: 'mmol/L' },
});

test('the same seed gives the same X25519 key in both', () => {
  const [answer] = rust([{ op: 'publicKey', recipientSeed: 'interop wallet' }]);
  assert.equal(answer.publicKey, hex(EncryptionKey.derive(utf8('interop wallet')).publicKey));
});

test('client-js seals and wraps, the Rust vault unwraps and opens', () => {
  const sealed = sealFhir(observation);
  const recipient = EncryptionKey.derive(utf8('rust reader'));
  const wrapped = wrapKey(sealed.dataKey, recipient.publicKey);
  const [opened, wrongKey, tampered] = rust([
    { op: 'open', ciphertext: hex(sealed.ciphertext), wrappedKey: hex(wrapped), recipientSeed: 'rust reader' },
    { op: 'open', ciphertext: hex(sealed.ciphertext), wrappedKey: hex(wrapped), recipientSeed: 'someone else' },
    { op: 'open', ciphertext: hex(sealed.ciphertext).replace(/.$/, (c) => (c === '0' ? '1' : '0')), wrappedKey: hex(wrapped), recipientSeed: 'rust reader' },
  ]);
  assert.equal(opened.plaintext, observation);
  assert.match(wrongKey.error, /does not open with this secret key/);
  assert.match(tampered.error, /failed authentication/);
});

test('the Rust vault seals and wraps, client-js unwraps and opens', () => {
  const recipient = EncryptionKey.derive(utf8('js reader'));
  const [sealed, notFhir] = rust([
    { op: 'seal', plaintext: observation, recipientPublic: hex(recipient.publicKey) },
    { op: 'seal', plaintext: '{"name":"not a resource"}', recipientPublic: hex(recipient.publicKey) },
  ]);
  const ciphertext = fromHex(`0x${sealed.ciphertext}`);
  assert.equal(hex(contentHash(ciphertext)), sealed.contentHash);
  const dataKey = unwrapKey(fromHex(`0x${sealed.wrappedKey}`), recipient);
  assert.equal(new TextDecoder().decode(open(ciphertext, dataKey)), observation);
  assert.throws(() => unwrapKey(fromHex(`0x${sealed.wrappedKey}`), EncryptionKey.generate()), { reason: 'unwrap-failed' });
  assert.match(notFhir.error, /not FHIR R4 JSON/);
});
