// Measures the node's EPCIS query interface over a chain of many units: a query that names one
// unit (its history read directly) and queries that name none (every item's history read, up
// to the node's bound of 10,000 items). Prints a table and writes JSON.
//
//   CARECHAIN_BIN=target/release/carechain node client-js/bench/epcis-query.mjs [units] [out.json]

import { writeFileSync } from 'node:fs';
import { Account, Carechain, today } from '../src/index.js';
import { connectWhenUp, startDevNode } from '../src/testing/dev-node.js';

const units = Number(process.argv[2] ?? 10_000);
const out = process.argv[3] ?? 'epcis-query.json';
const one = Account.fromUri('//One');
const GTIN = '10614141073464';

const node = await startDevNode();
try {
  const chain = await connectWhenUp(() => Carechain.connect(node.url, { signIn: one }), node);
  await chain.provenance.registerProduct(one, GTIN, 'bench product');
  const started = Date.now();
  for (let first = 0; first < units; first += 1000) {
    const serials = Array.from({ length: Math.min(1000, units - first) }, (_, i) => `S${first + i}`);
    await chain.provenance.commission(one, { gtin: GTIN, lot: 'BENCH1', expiry: today() + 365, serials });
  }
  const loaded = Date.now() - started;
  const token = chain.session.grant.token;
  const epcisUrl = node.fhirUrl.replace(/\/fhir$/, '/epcis');
  const queries = [
    ['one unit (MATCH_epc)', `MATCH_epc=urn:epc:id:sgtin:0614141.107346.S${units - 1}`],
    ['all events, first page of 30', 'perPage=30'],
    ['by step, page of 500', 'EQ_bizStep=commissioning&perPage=500'],
    ['by lot (MATCH_epc lgtin), page of 30', 'MATCH_epc=urn:epc:class:lgtin:0614141.107346.BENCH1&perPage=30'],
  ];
  const rows = [];
  for (const [name, query] of queries) {
    const times = [];
    let status;
    for (let run = 0; run < 5; run += 1) {
      const t = performance.now();
      const response = await fetch(`${epcisUrl}/events?${query}`, { headers: { authorization: `Bearer ${token}` } });
      await response.arrayBuffer();
      times.push(performance.now() - t);
      status = response.status;
    }
    times.sort((a, b) => a - b);
    rows.push({ query: name, status, medianMs: Math.round(times[2]), minMs: Math.round(times[0]), maxMs: Math.round(times[4]) });
  }
  // How many events the node read (its 413 says how many match), and the bound past 10,000 items.
  const count = await fetch(`${epcisUrl}/events?maxEventCount=0`, { headers: { authorization: `Bearer ${token}` } });
  const matched = (await count.json()).detail;
  console.log(`${units} units commissioned in ${(loaded / 1000).toFixed(1)} s; a query naming none: ${count.status} ${matched}`);
  console.log('| query | status | median ms | min | max |\n| --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.query} | ${r.status} | ${r.medianMs} | ${r.minMs} | ${r.maxMs} |`);
  writeFileSync(out, JSON.stringify({ units, binary: node.binary, matched, rows }, null, 2));
  await chain.close();
} finally {
  node.stop();
}
