// The portal's page: the chain's status, the account (created, restored or unlocked here, its
// key kept in this browser by keystore.js), and the patient's registration.
//
// The node is the one that serves the page (`/portal/` on its RPC port), or `?node=ws://…`.

import { Account, Carechain } from '../../client-js/src/index.js';
import { KeystoreError, UnlockedKey, openKey, saveKey, storedAddress } from './keystore.js';

/** How long the key stays unlocked without use. */
const IDLE_MS = 5 * 60_000;

const $ = (id) => document.getElementById(id);
const views = ['welcome', 'create', 'restore', 'unlock', 'home'];
// Served by a node, the page talks to that node only: a link cannot point it at another.
const servedByNode = location.pathname.startsWith('/portal');
const nodeUrl = servedByNode
  ? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`
  : new URLSearchParams(location.search).get('node') ?? 'ws://127.0.0.1:9944';

let chain;
let unlocked = null;
let pendingMnemonic = null;

function show(view) {
  for (const v of views) $(v).hidden = v !== view;
  const heading = $(view).querySelector('h2');
  heading?.setAttribute('tabindex', '-1');
  heading?.focus();
}

/** The account of a recovery phrase (12 or 24 words) or a secret URI. */
function accountOf(secret) {
  const words = secret.trim().split(/\s+/);
  return [12, 24].includes(words.length) && !secret.includes('/') ? Account.fromMnemonic(words.join(' ')) : Account.fromUri(secret.trim());
}

function message(error) {
  return error instanceof KeystoreError ? error.message : `${error.message ?? error}`;
}

/** Empties every field that held a secret or password, and the shown recovery phrase. */
function clearInputs() {
  for (const id of ['create-password', 'create-password-again', 'restore-secret', 'restore-password', 'unlock-password']) $(id).value = '';
  $('backed-up').checked = false;
  $('mnemonic').textContent = '';
  pendingMnemonic = null;
}

function unlock(opened) {
  clearInputs();
  unlocked?.lock();
  const key = new UnlockedKey(opened, { idleMs: IDLE_MS, onLock: () => { if (unlocked === key) start(); } });
  unlocked = key;
  $('address').textContent = opened.address;
  show('home');
  refreshPatient().catch((e) => { $('patient-status').textContent = message(e); });
}

/** The first view: unlock the stored key, or welcome. */
function start() {
  unlocked = null;
  clearInputs();
  const address = storedAddress(localStorage);
  if (address) {
    $('unlock-address').textContent = address;
    show('unlock');
  } else {
    show('welcome');
  }
}

async function refreshPatient() {
  const address = unlocked.address;
  const patient = await chain.registry.patient(address);
  if (patient) {
    $('patient-status').textContent = `Registered as a patient since block #${patient.registeredAt}.`;
    $('register').hidden = true;
  } else {
    $('patient-status').textContent = 'Not registered as a patient.';
    $('register').hidden = false;
  }
}

function wire() {
  $('start-create').addEventListener('click', () => {
    const { mnemonic } = Account.generate();
    pendingMnemonic = mnemonic;
    $('mnemonic').textContent = mnemonic;
    show('create');
  });
  $('start-restore').addEventListener('click', () => show('restore'));

  $('create-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const password = $('create-password').value;
    if (password !== $('create-password-again').value) {
      $('create-error').textContent = 'The two passwords differ: type the same password twice.';
      return;
    }
    try {
      const account = accountOf(pendingMnemonic);
      await saveKey(localStorage, { secret: pendingMnemonic, address: account.address, password });
      unlock({ address: account.address, secret: pendingMnemonic });
    } catch (e) {
      $('create-error').textContent = message(e);
    }
  });

  $('restore-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const secret = $('restore-secret').value;
    try {
      const account = accountOf(secret);
      await saveKey(localStorage, { secret, address: account.address, password: $('restore-password').value });
      unlock({ address: account.address, secret });
    } catch (e) {
      $('restore-password').value = '';
      $('restore-error').textContent = e instanceof KeystoreError ? e.message : `This is not a recovery phrase or secret URI: ${message(e)}`;
    }
  });

  $('unlock-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = $('unlock-form').querySelector('button');
    if (button.disabled) return;
    button.disabled = true;
    $('unlock-error').textContent = '';
    try {
      unlock(await openKey(localStorage, $('unlock-password').value));
    } catch (e) {
      $('unlock-password').value = '';
      $('unlock-error').textContent = message(e);
    } finally {
      button.disabled = false;
    }
  });

  $('lock').addEventListener('click', () => unlocked?.lock());

  $('register').addEventListener('click', async () => {
    const button = $('register');
    button.disabled = true;
    $('patient-status').textContent = 'Registering… waiting for the block to be finalized.';
    try {
      const account = accountOf(unlocked.secret());
      await chain.registry.registerPatient(account);
      await refreshPatient();
    } catch (e) {
      $('patient-status').textContent = `Registration failed: ${message(e)}`;
    } finally {
      button.disabled = false;
    }
  });

  // Any use keeps the key unlocked; inactivity locks it, checked again when the tab comes back
  // (timers of hidden tabs and sleeping computers run late).
  for (const kind of ['pointerdown', 'keydown']) document.addEventListener(kind, () => { if (unlocked?.check()) unlocked.touch(); });
  document.addEventListener('visibilitychange', () => unlocked?.check());
}

async function connect() {
  $('chain-status').textContent = `Connecting to ${nodeUrl}…`;
  chain = await Carechain.connect(nodeUrl);
  chain.rpc.on('disconnected', () => { $('chain-status').textContent = 'Connection lost: reconnecting…'; });
  chain.rpc.on('connected', () => { $('chain-status').textContent = `Connected to ${nodeUrl}`; });
  await chain.subscribeFinalizedHeads((head) => {
    $('chain-status').textContent = `Connected · finalized #${head.number}`;
  });
}

wire();
if (!window.isSecureContext) {
  $('chain-status').textContent = 'This page is not served securely: open the portal over https (or on localhost). Your key is never handled on an insecure page.';
  throw new Error('insecure context');
}
connect()
  .then(start)
  .catch((e) => {
    $('chain-status').textContent = `Cannot reach the node at ${nodeUrl}: ${message(e)}. Is it running?`;
  });
