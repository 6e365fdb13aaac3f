// GS1 EPCIS 2.0 against a real `carechain --dev` node: a manufacturer's ERP document
// (commissioning, packing, shipping) recorded through `epcis.importDocument`, the distributor's
// receipt through the `carechain provenance import` command, the node's EPCIS REST interface
// read page by page, every document it serves validated against the standard's JSON schema
// (ajv), and the round trip: the exported events plan into the same calls. Refusals: the
// standard's own examples (each field the chain cannot hold named), a patient, no token.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { Account, Carechain, EpcisImportError, EpcisQueryError, epcis, today } from './index.js';
import { connectWhenUp, startDevNode } from './testing/dev-node.js';

const standards = new URL('../../standards/epcis/', import.meta.url);
const schema = JSON.parse(readFileSync(new URL('EPCIS-JSON-Schema.json', standards), 'utf8'));
const example = (name) => JSON.parse(readFileSync(new URL(`examples/${name}`, standards), 'utf8'));
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(schema);

function assertValid(document) {
  assert.ok(validate(document), `not EPCIS 2.0: ${JSON.stringify(validate.errors, null, 1)}`);
}

const one = Account.fromUri('//One'); // admin, One Pharmaceuticals (org 3, GLN 0614141000005)
const two = Account.fromUri('//Two'); // admin, Two Distribution (org 4, GLN 0800000000020)
const eve = Account.fromUri('//Eve'); // a patient
const GTIN = '10614141073464';
const CASE = 'urn:epc:id:sscc:0614141.1234567890';
const unit = (serial) => `urn:epc:id:sgtin:0614141.107346.${serial}`;
const expiry = new Date((today() + 400) * 86_400_000).toISOString().slice(0, 10);

/** The manufacturer's ERP document: three units commissioned, two packed, the case shipped. */
const shipment = {
  '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
  type: 'EPCISDocument',
  schemaVersion: '2.0',
  creationDate: '2026-12-05T08:00:00Z',
  epcisBody: {
    eventList: [
      {
        type: 'ObjectEvent', action: 'ADD', bizStep: 'commissioning', disposition: 'active',
        eventTime: '2026-12-05T08:00:00.000+01:00', eventTimeZoneOffset: '+01:00',
        epcList: [unit('S1'), unit('S2'), unit('S3')],
        readPoint: { id: 'urn:epc:id:sgln:0614141.00000.0' },
        ilmd: { 'cbvmda:lotNumber': 'LOTE1', 'cbvmda:itemExpirationDate': expiry },
      },
      {
        type: 'AggregationEvent', action: 'ADD', bizStep: 'packing', disposition: 'in_progress',
        eventTime: '2026-12-05T08:10:00.000+01:00', eventTimeZoneOffset: '+01:00',
        parentID: CASE, childEPCs: [unit('S1'), unit('S2')],
      },
      {
        type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'shipping', disposition: 'in_transit',
        eventTime: '2026-12-05T08:20:00.000+01:00', eventTimeZoneOffset: '+01:00',
        epcList: [CASE],
        sourceList: [{ type: 'owning_party', source: 'https://id.gs1.org/417/0614141000005' }],
        destinationList: [{ type: 'owning_party', destination: 'urn:epc:id:pgln:0800000.00002' }],
      },
    ],
  },
};

/** The distributor's receipt. */
const receipt = {
  ...shipment,
  epcisBody: {
    eventList: [
      {
        type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'receiving', disposition: 'in_progress',
        eventTime: '2026-12-05T12:00:00Z', eventTimeZoneOffset: '+00:00', epcList: [CASE],
        bizLocation: { id: 'https://id.gs1.org/414/0800000000020' },
      },
    ],
  },
};

let node;
let dir;
const clients = [];

async function signedIn(who) {
  const client = await Carechain.connect(node.url, { signIn: who });
  clients.push(client);
  return client;
}

before(async () => {
  node = await startDevNode();
  dir = mkdtempSync(join(tmpdir(), 'carechain-epcis-'));
  await connectWhenUp(async () => signedIn(one), node);
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  node?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the schema check is real: the standard examples pass it, a broken event does not', () => {
  for (const name of ['Example_9.6.1-ObjectEvent.jsonld', 'Example_9.6.3-AggregationEvent.jsonld', 'EPCISQueryDocument.jsonld']) {
    assertValid(example(name));
  }
  const broken = structuredClone(example('Example_9.6.1-ObjectEvent.jsonld'));
  delete broken.epcisBody.eventList[0].action;
  assert.equal(validate(broken), false);
  // Every kind of event the chain records, as carechain-interop exports them.
  const exported = JSON.parse(readFileSync(new URL('../../interop/tests/epcis-exported.json', import.meta.url), 'utf8'));
  assert.equal(exported.epcisBody.eventList.length, 14);
  assertValid(exported);
});

test('an ERP document is recorded, served as EPCIS 2.0 and round-trips', async () => {
  const manufacturer = await signedIn(one);
  await manufacturer.provenance.registerProduct(one, GTIN, 'Metformin 500 mg, 60 tablets');
  const planned = await epcis.planImport(manufacturer, one, shipment);
  assert.deepEqual(planned.map((p) => p.descriptions), [
    [`commission 3 units of ${GTIN} lot LOTE1`],
    ['pack 2 items into https://id.gs1.org/00/106141412345678908'],
    ['ship https://id.gs1.org/00/106141412345678908 to organization 4'],
  ]);
  const recorded = await epcis.importDocument(manufacturer, one, shipment);
  assert.deepEqual(recorded.map((r) => r.event), [1, 2, 3]);

  // The distributor records its receipt with the command-line importer.
  const file = join(dir, 'receipt.jsonld');
  writeFileSync(file, JSON.stringify(receipt));
  const cli = spawnSync(node.binary, ['provenance', 'import', file, '--rpc-url', node.url], {
    env: { ...process.env, CARECHAIN_KEY: '//Two' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(cli.status, 0, `${cli.stdout}\n${cli.stderr}`);
  assert.match(cli.stdout, /event 1: recorded, finalized in 0x[0-9a-f]{64}\n1 events recorded/);

  // Read back, a page of two at a time; every page is an EPCIS 2.0 query document.
  const distributor = await signedIn(two);
  const token = distributor.session.grant.token;
  const { events, pages } = await epcis.queryEvents(node.epcisUrl, token, { perPage: '2' });
  assert.equal(pages.length, 4);
  pages.forEach(assertValid);
  const said = events.map((e) => [e.type, e.action, e.bizStep, e.disposition, (e.epcList ?? e.childEPCs)[0]]);
  const dl = (serial) => `https://id.gs1.org/01/${GTIN}/21/${serial}`;
  const caseUri = 'https://id.gs1.org/00/106141412345678908';
  const sorted = (rows) => rows.map((r) => JSON.stringify(r)).sort();
  // One call commissions three units, another packs two: within a call, events are in eventID order.
  assert.deepEqual(sorted(said), sorted([
    ['ObjectEvent', 'ADD', 'commissioning', 'active', dl('S1')],
    ['ObjectEvent', 'ADD', 'commissioning', 'active', dl('S2')],
    ['ObjectEvent', 'ADD', 'commissioning', 'active', dl('S3')],
    ['AggregationEvent', 'ADD', 'packing', 'in_progress', dl('S1')],
    ['AggregationEvent', 'ADD', 'packing', 'in_progress', dl('S2')],
    ['ObjectEvent', 'OBSERVE', 'shipping', 'in_transit', caseUri],
    ['ObjectEvent', 'OBSERVE', 'receiving', 'in_progress', caseUri],
  ]));
  assert.deepEqual(events.map((e) => e.bizStep), ['commissioning', 'commissioning', 'commissioning', 'packing', 'packing', 'shipping', 'receiving']);
  const [commissioning, shipping, receiving] = ['commissioning', 'shipping', 'receiving'].map((step) => events.find((e) => e.bizStep === step));
  assert.equal(commissioning.ilmd['cbvmda:lotNumber'], 'LOTE1');
  assert.equal(commissioning.ilmd['cbvmda:itemExpirationDate'], expiry);
  assert.equal(commissioning.readPoint.id, 'https://id.gs1.org/414/0614141000005');
  assert.equal(shipping.destinationList[0].destination, 'https://id.gs1.org/417/0800000000020');
  assert.equal(receiving.bizLocation.id, 'https://id.gs1.org/414/0800000000020');

  // The round trip: the manufacturer's exported events plan into the calls that made them
  // (per item: the export writes one event per unit).
  const exported = { ...shipment, epcisBody: { eventList: events.slice(0, 6) } };
  const replanned = (await epcis.planImport(manufacturer, one, exported)).flatMap((p) => p.descriptions);
  assert.deepEqual(replanned, [
    `commission 1 units of ${GTIN} lot LOTE1`,
    `commission 1 units of ${GTIN} lot LOTE1`,
    `commission 1 units of ${GTIN} lot LOTE1`,
    `pack 1 items into ${caseUri}`,
    `pack 1 items into ${caseUri}`,
    `ship ${caseUri} to organization 4`,
  ]);

  // Queries by lot, by unit and by the case as a parent.
  const byLot = await epcis.queryEvents(node.epcisUrl, token, { MATCH_epc: `urn:epc:class:lgtin:0614141.107346.LOTE1` });
  assert.equal(byLot.events.length, 5);
  const byCase = await epcis.queryEvents(node.epcisUrl, token, { MATCH_anyEPC: CASE });
  assert.equal(byCase.events.length, 4);

  // Recording it again is refused by the chain, at the first event, naming the error.
  await assert.rejects(epcis.importDocument(manufacturer, one, shipment), (e) => e.event === 1 && e.error === 'AlreadyCommissioned');
});

test('what the chain cannot hold is refused before anything is submitted', async () => {
  const manufacturer = await signedIn(one);
  await assert.rejects(epcis.planImport(manufacturer, one, example('Example_9.6.1-ObjectEvent.jsonld')), (e) => {
    assert.ok(e instanceof EpcisImportError);
    const fields = e.refusals.map((r) => `${r.event} ${r.field}`);
    for (const expected of ['1 bizTransactionList', '1 destinationList', '1 readPoint.id', '2 example:myField']) {
      assert.ok(fields.includes(expected), `${expected} in ${fields}`);
    }
    return true;
  });
  // The command line prints every reason and exits 2.
  const file = join(dir, 'transformation.jsonld');
  writeFileSync(file, JSON.stringify(example('Example_9.6.4-TransformationEvent.jsonld')));
  const cli = spawnSync(node.binary, ['provenance', 'import', file, '--key', '//One', '--rpc-url', node.url], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(cli.status, 2, cli.stderr);
  assert.match(cli.stderr, /event 1 \(ni:\/\/\/sha-256;e65c3a99[0-9a-f]+\?ver=CBV2\.0\), type: the chain records no TransformationEvent/);
  assert.match(cli.stderr, /nothing was submitted/);
  // A shipment in the manufacturer's name, signed by the distributor.
  const distributor = await signedIn(two);
  await assert.rejects(epcis.planImport(distributor, two, shipment), (e) => {
    assert.ok(e instanceof EpcisImportError);
    assert.ok(e.refusals.some((r) => r.event === 1 && r.field === 'readPoint.id' && /signer acts for organization 4/.test(r.reason)));
    assert.ok(e.refusals.some((r) => r.event === 3 && r.field === 'sourceList[0].source'));
    return true;
  });
  // A patient is no member of the supply chain; an anonymous reader gets nothing.
  const patient = await signedIn(eve);
  await assert.rejects(epcis.planImport(patient, eve, shipment), (e) => e instanceof EpcisImportError && /no member of an active organization/.test(e.message));
  await assert.rejects(epcis.queryEvents(node.epcisUrl, 'not-a-token'), (e) => e instanceof EpcisQueryError && e.status === 401 && e.problem.type === 'epcisException:SecurityException');
  await assert.rejects(epcis.queryEvents(node.epcisUrl, patient.session.grant.token), (e) => e instanceof EpcisQueryError && e.status === 403);
});
