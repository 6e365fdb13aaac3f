// The portal's key storage, attacked as someone with the device's storage would: a wrong
// password, an altered record (another address, a weaker key derivation, a flipped bit), and
// a look through everything stored for the secret in clear.

import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { KeystoreError, STORAGE_KEY, UnlockedKey, forgetKey, openKey, saveKey, storedAddress } from './keystore.js';

/** A store of strings like the browser's localStorage. */
function memoryStorage() {
  const items = new Map();
  return {
    getItem: (k) => (items.has(k) ? items.get(k) : null),
    setItem: (k, v) => items.set(k, String(v)),
    removeItem: (k) => items.delete(k),
    values: () => [...items.values()],
  };
}

const MNEMONIC = 'bottom drive obey lake curtain smoke basket hold race lonely fit walk';
const ADDRESS = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
const PASSWORD = 'correct horse battery';

const rejectsWith = (promise, code) => assert.rejects(promise, (e) => e instanceof KeystoreError && e.code === code);

test('a key opens with its password and with no other', async () => {
  const storage = memoryStorage();
  await saveKey(storage, { secret: MNEMONIC, address: ADDRESS, password: PASSWORD });
  assert.equal(storedAddress(storage), ADDRESS);
  assert.deepEqual(await openKey(storage, PASSWORD), { address: ADDRESS, secret: MNEMONIC });
  await rejectsWith(openKey(storage, 'correct horse batterY'), 'wrong-password');
  await rejectsWith(openKey(storage, ''), 'wrong-password');
  forgetKey(storage);
  await rejectsWith(openKey(storage, PASSWORD), 'no-key');
  assert.equal(storedAddress(storage), null);
});

test('nothing secret is stored in clear, and each save draws a new salt and nonce', async () => {
  const storage = memoryStorage();
  await saveKey(storage, { secret: MNEMONIC, address: ADDRESS, password: PASSWORD });
  const first = JSON.parse(storage.getItem(STORAGE_KEY));
  const everything = storage.values().join('\n');
  assert.ok(!everything.includes(MNEMONIC) && !everything.includes(PASSWORD));
  // Only the address is stored as text; everything else is base64 of random or sealed bytes.
  assert.deepEqual(Object.keys(first).sort(), ['address', 'ciphertext', 'iv', 'kdf', 'version']);
  for (const value of [first.ciphertext, first.iv, first.kdf.salt]) assert.match(value, /^[A-Za-z0-9+/]+=*$/);
  await saveKey(storage, { secret: MNEMONIC, address: ADDRESS, password: PASSWORD });
  const second = JSON.parse(storage.getItem(STORAGE_KEY));
  assert.notEqual(first.kdf.salt, second.kdf.salt);
  assert.notEqual(first.iv, second.iv);
  assert.notEqual(first.ciphertext, second.ciphertext);
});

test('a record altered in storage does not open', async () => {
  const storage = memoryStorage();
  await saveKey(storage, { secret: '//Alice', address: ADDRESS, password: PASSWORD });
  const original = storage.getItem(STORAGE_KEY);
  const alter = (change) => {
    const record = JSON.parse(original);
    change(record);
    storage.setItem(STORAGE_KEY, JSON.stringify(record));
  };
  // Another address shown for the same secret: the address is authenticated.
  alter((r) => { r.address = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY'; });
  await rejectsWith(openKey(storage, PASSWORD), 'wrong-password');
  // A downgrade of the key derivation, which would make guessing the password cheap.
  alter((r) => { r.kdf.iterations = 1; });
  await rejectsWith(openKey(storage, PASSWORD), 'damaged');
  // A flipped bit of the ciphertext.
  alter((r) => {
    const bytes = Uint8Array.from(atob(r.ciphertext), (c) => c.charCodeAt(0));
    bytes[0] ^= 1;
    r.ciphertext = btoa(String.fromCharCode(...bytes));
  });
  await rejectsWith(openKey(storage, PASSWORD), 'wrong-password');
  // Not base64, not JSON, or another format.
  alter((r) => { r.iv = '!!'; });
  await rejectsWith(openKey(storage, PASSWORD), 'damaged');
  storage.setItem(STORAGE_KEY, '{');
  await rejectsWith(openKey(storage, PASSWORD), 'damaged');
  storage.setItem(STORAGE_KEY, JSON.stringify({ version: 2 }));
  await rejectsWith(openKey(storage, PASSWORD), 'damaged');
  storage.setItem(STORAGE_KEY, original);
  assert.equal((await openKey(storage, PASSWORD)).secret, '//Alice');
});

test('a short password is refused before anything is stored', async () => {
  const storage = memoryStorage();
  await rejectsWith(saveKey(storage, { secret: MNEMONIC, address: ADDRESS, password: 'short' }), 'weak-password');
  assert.equal(storage.getItem(STORAGE_KEY), null);
});

test('a password opens the key however its characters were composed', async () => {
  const storage = memoryStorage();
  await saveKey(storage, { secret: MNEMONIC, address: ADDRESS, password: 'pa\u0073\u0073wörd-ëxample' });
  // The same letters typed as a base letter and a combining mark.
  assert.equal((await openKey(storage, 'passwo\u0308rd-e\u0308xample')).secret, MNEMONIC);
});

test('a key idle past its time is locked when next used, even if its timer was held back', () => {
  let clock = 0;
  let locked = 0;
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const key = new UnlockedKey({ address: ADDRESS, secret: MNEMONIC }, { idleMs: 1_000, onLock: () => { locked += 1; }, now: () => clock });
    // The tab slept: the wall clock moved on, the timer did not fire.
    clock = 5_000;
    assert.throws(() => key.secret(), (e) => e instanceof KeystoreError && e.code === 'locked');
    assert.equal(locked, 1);
  } finally {
    mock.timers.reset();
  }
});

test('an unlocked key locks itself after inactivity, and use keeps it open', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  try {
    let locked = 0;
    const key = new UnlockedKey({ address: ADDRESS, secret: MNEMONIC }, { idleMs: 1_000, onLock: () => { locked += 1; } });
    mock.timers.tick(900);
    assert.equal(key.secret(), MNEMONIC); // use: the timer starts again
    mock.timers.tick(900);
    assert.ok(key.unlocked);
    mock.timers.tick(200);
    assert.equal(key.unlocked, false);
    assert.equal(locked, 1);
    assert.throws(() => key.secret(), (e) => e instanceof KeystoreError && e.code === 'locked');
    key.lock();
    assert.equal(locked, 1, 'locking twice tells once');
  } finally {
    mock.timers.reset();
  }
});
