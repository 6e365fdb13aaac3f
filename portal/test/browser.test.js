// The portal in a real browser (Debian's chromium, driven by playwright-core), served by a real
// `carechain --dev` node at /portal/ on its RPC port: an account created (its phrase shown once), the chain's finalized
// height shown, the patient registered on chain, the page reloaded and the key unlocked (a
// wrong password refused), and nothing secret in the browser's storage. Screenshots of each
// view go to PORTAL_SCREENSHOTS (default: a temporary folder), never into the repository.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { Account, Carechain } from '../../client-js/src/index.js';
import { connectWhenUp, startDevNode } from '../../client-js/src/testing/dev-node.js';
import { buildPortal } from '../build.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const screenshots = process.env.PORTAL_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'carechain-portal-'));

let node;
let chain;
let portalUrl;
let browser;

/** GET of a raw path, sent as written (fetch would resolve `..` before sending it). */
function rawGet(base, path) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    httpRequest({ hostname, port, path }, (response) => {
      response.resume();
      resolve(response.statusCode);
    }).on('error', reject).end();
  });
}

/** A new page, with every error it meets (script errors, console errors such as CSP refusals,
 * failed requests) collected in `problems`. */
async function openPage(options) {
  const page = await browser.newPage(options);
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('requestfailed', (r) => problems.push(`${r.url()}: ${r.failure()?.errorText}`));
  return { page, problems };
}

/** Waits until the element `id` shows exactly `text` (the key derivation takes a moment). */
async function shows(page, id, text) {
  await page.waitForFunction(([i, t]) => document.getElementById(i)?.textContent === t, [id, text], { timeout: 30_000 });
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  const dist = await buildPortal();
  node = await startDevNode(['--portal-dir', dist]);
  chain = await connectWhenUp(() => Carechain.connect(node.url), node);
  portalUrl = `${node.httpUrl}/portal/`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await chain?.close();
  node?.stop();
});

test('the node serves the portal with a policy that keeps it to its own files', async () => {
  const response = await fetch(portalUrl);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/html/);
  assert.match(response.headers.get('content-security-policy'), /script-src 'self'/);
  const tag = response.headers.get('etag');
  assert.equal((await fetch(portalUrl, { headers: { 'if-none-match': tag } })).status, 304);
  const redirect = await fetch(`${node.httpUrl}/portal?x=1`, { redirect: 'manual' });
  assert.equal(redirect.status, 308);
  assert.equal(redirect.headers.get('location'), '/portal/?x=1');
  for (const path of ['/portal/../Cargo.toml', '/portal/%2e%2e/Cargo.toml', '/portal/../../etc/passwd']) {
    assert.notEqual(await rawGet(node.httpUrl, path), 200, path);
  }
  // JSON-RPC still answers on the same port.
  const rpc = await fetch(node.httpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system_name', params: [] }) });
  assert.equal((await rpc.json()).result, 'Carechain Node');
});

test('a patient creates an account, sees the chain, registers, and unlocks the key again', async () => {
  const { page, problems } = await openPage({ viewport: { width: 390, height: 844 } }); // a phone
  await page.goto(portalUrl);
  await page.getByText(/finalized #\d+/).waitFor({ timeout: 60_000 });

  await page.getByRole('button', { name: 'Create an account', exact: true }).click();
  const words = (await page.locator('#mnemonic').textContent()).trim().split(/\s+/);
  assert.equal(words.length, 12);
  const address = Account.fromMnemonic(words.join(' ')).address;
  await page.screenshot({ path: join(screenshots, 'create.png'), fullPage: true });
  await page.getByLabel('I have written down these words').check();
  await page.getByLabel('New password').fill('a long passphrase');
  await page.getByLabel('Repeat the password').fill('a different one!');
  await page.getByRole('button', { name: 'Save the account', exact: true }).click();
  await page.getByText('The two passwords differ').waitFor();
  await page.getByLabel('Repeat the password').fill('a long passphrase');
  await page.getByRole('button', { name: 'Save the account', exact: true }).click();
  await shows(page, 'address', address);
  // The phrase and the passwords are gone from the page once saved.
  assert.equal(await page.locator('#mnemonic').textContent(), '');
  assert.deepEqual(await page.evaluate(() => ['create-password', 'create-password-again'].map((id) => document.getElementById(id).value)), ['', '']);

  // Nothing secret in the browser's storage.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
  assert.ok(!stored.includes(words.join(' ')), 'the phrase is stored in clear');
  assert.ok(!stored.includes('a long passphrase'));
  const record = JSON.parse(JSON.parse(stored)['carechain.keystore.v1']);
  assert.equal(record.address, address);

  await page.getByText('Not registered as a patient.').waitFor();
  await page.getByRole('button', { name: 'Register as a patient', exact: true }).click();
  await page.getByText(/Registered as a patient since block #\d+/).waitFor({ timeout: 60_000 });
  assert.ok(await chain.registry.patient(address), 'the chain has the patient');
  await page.screenshot({ path: join(screenshots, 'patient.png'), fullPage: true });

  // Back later: the key is locked; a wrong password is refused, the right one opens it.
  await page.reload();
  await page.getByRole('heading', { name: 'Unlock' }).waitFor();
  await shows(page, 'unlock-address', address);
  await page.getByLabel('Password', { exact: true }).fill('a wrong passphrase');
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'wrong password' }).waitFor();
  await page.screenshot({ path: join(screenshots, 'unlock.png'), fullPage: true });
  await page.getByLabel('Password', { exact: true }).fill('a long passphrase');
  await page.getByRole('button', { name: 'Unlock', exact: true }).click();
  await page.getByText(/Registered as a patient since block #\d+/).waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  await page.getByRole('heading', { name: 'Unlock' }).waitFor();
  // No script error, console error (a refused content policy among them) or failed request.
  assert.deepEqual(problems, []);
});

test('an account restored from a secret URI is the same account', async () => {
  const { page, problems } = await openPage();
  await page.goto(portalUrl);
  await page.getByRole('button', { name: 'Restore an account', exact: true }).click();
  await page.getByLabel('Recovery phrase or secret URI').fill('//Eve');
  await page.getByLabel('Password for this device').fill('short');
  await page.getByRole('button', { name: 'Restore the account', exact: true }).click();
  // A short password is refused: nothing is stored, the restore form stays.
  await page.getByRole('heading', { name: 'Restore an account' }).waitFor();
  assert.equal(await page.evaluate(() => localStorage.length), 0);
  await page.getByLabel('Password for this device').fill('eve has a long password');
  await page.getByRole('button', { name: 'Restore the account', exact: true }).click();
  await shows(page, 'address', Account.fromUri('//Eve').address);
  await page.getByText(/Registered as a patient since block #\d+/).waitFor({ timeout: 30_000 });
  assert.deepEqual(problems, []);
});
