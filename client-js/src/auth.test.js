// The wallet SDK against a real `carechain --dev --rpc-auth on` node: anonymous clients connect
// and read the runtime but not state; a member signs in (WebSocket and HTTP) and reads state; a
// patient reads her own records and not raw state; a member of an organization without her
// consent does not read them. Members and patients sign in with ed25519 and with sr25519 keys.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Account, AuthErrorCode, Carechain, RpcError } from './index.js';
import { connectWhenUp, startDevNode } from './testing/dev-node.js';

let node;
const dave = Account.fromUri('//Dave'); // admin, Dave's Pharmacy: no consent of Eve's
// The dev chain has each dev name as an ed25519 and as an sr25519 account, both Dave's Pharmacy's.
const members = { ed25519: dave, sr25519: Account.fromUri('//Dave', { type: 'sr25519' }) };
const eve = Account.fromUri('//Eve'); // a registered patient

before(async () => {
  node = await startDevNode(['--rpc-auth', 'on']);
});

after(() => node?.stop());

const refused = (code) => (e) => e instanceof RpcError && e.code === code;

test('anonymous clients read the runtime and headers, not state', async () => {
  const chain = await connectWhenUp(() => Carechain.connect(node.url), node);
  try {
    assert.equal(chain.version.specName, 'carechain');
    assert.ok((await chain.finalizedHead()).number >= 0);
    await assert.rejects(chain.query('System', 'Number'), refused(AuthErrorCode.UNAUTHENTICATED));
    await assert.rejects(chain.records.byPatient(eve.address), refused(AuthErrorCode.UNAUTHENTICATED));
  } finally {
    await chain.close();
  }
});

for (const [type, transport] of [['ed25519', 'url'], ['ed25519', 'httpUrl'], ['sr25519', 'url'], ['sr25519', 'httpUrl']]) {
  test(`a member signs in with ${type} and reads state, not a patient's records without consent (${transport})`, async () => {
    const member = members[type];
    const chain = await connectWhenUp(() => Carechain.connect(node[transport], { signIn: member }), node);
    try {
      assert.equal(chain.session.grant.account, member.address);
      assert.ok((await chain.query('System', 'Number')) >= 0);
      await assert.rejects(chain.records.byPatient(eve.address), refused(AuthErrorCode.FORBIDDEN));
      await assert.rejects(chain.consent.accountingOfDisclosures(eve.address), refused(AuthErrorCode.FORBIDDEN));
      await chain.signOut();
      await assert.rejects(chain.query('System', 'Number'), refused(AuthErrorCode.UNAUTHENTICATED));
    } finally {
      await chain.close();
    }
  });
}

test('a patient reads her own records and accounting, not raw state', async () => {
  const chain = await connectWhenUp(() => Carechain.connect(node.url), node);
  try {
    await chain.signIn(eve);
    assert.deepEqual(await chain.records.byPatient(eve.address), []);
    assert.ok(Array.isArray(await chain.consent.accountingOfDisclosures(eve.address)));
    await assert.rejects(chain.query('System', 'Number'), refused(AuthErrorCode.FORBIDDEN));
  } finally {
    await chain.close();
  }
});

for (const type of ['ed25519', 'sr25519']) {
  test(`a new ${type} patient registers anonymously, signs in, grants a consent and reads her accounting`, async () => {
    const chain = await connectWhenUp(() => Carechain.connect(node.url), node);
    try {
      const { account: patient } = Account.generate({ type });
      assert.equal(patient.type, type);
      // Submitting and learning the outcome need no session: the outcome is asked with the
      // transaction's own signed bytes.
      const registered = await chain.registry.registerPatient(patient);
      assert.ok(registered.events.some((e) => e.pallet === 'Registry' && e.name === 'PatientRegistered'));
      await chain.signIn(patient);
      await chain.consent.grant(patient, { grantee: { type: 'Organization', value: 0 }, purposes: ['Treatment'], expiresAt: Date.now() + 86_400_000 });
      const trail = await chain.consent.accountingOfDisclosures(patient.address);
      assert.ok(trail.length >= 1, 'the grant is in her accounting');
      await assert.rejects(chain.consent.accountingOfDisclosures(eve.address), refused(AuthErrorCode.FORBIDDEN));
    } finally {
      await chain.close();
    }
  });
}
