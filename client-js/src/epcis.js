// GS1 EPCIS 2.0 in and out of the chain: a document from an ERP recorded as the signer's
// provenance calls, and the node's EPCIS REST query interface read.
//
// The node plans an import (`provenance_planImport`): it checks the whole document against
// what the chain can represent and names, per event and field, what it cannot; the rules live
// in one place (carechain-interop's `epcis::import`). This module signs and submits the calls
// the node planned, with the wallet's key: the node never holds it.

import { fromHex } from './bytes.js';
import { RpcError } from './rpc.js';

/** The RPC error code of a document the chain cannot represent (each reason in its data). */
export const IMPORT_REFUSED = 4101;

/** A document with events the chain cannot represent: nothing of it was submitted. */
export class EpcisImportError extends Error {
  /** @param {{ event: number | null, eventID: string | null, field: string, reason: string }[]} refusals */
  constructor(refusals) {
    const lines = refusals.map((r) => {
      const event = r.event == null ? 'the document' : `event ${r.event}${r.eventID ? ` (${r.eventID})` : ''}`;
      return r.field ? `${event}, ${r.field}: ${r.reason}` : `${event}: ${r.reason}`;
    });
    super(`the EPCIS document cannot be recorded:\n${lines.join('\n')}`);
    this.name = 'EpcisImportError';
    /** Each refusal: the event (from 1, null for the document), its eventID, the field, why. */
    this.refusals = refusals;
  }
}

/**
 * The node's plan of `document` for `signer`'s organization: one entry per event,
 * `{ event, eventId, calls, descriptions }`, the calls SCALE-encoded (0x-hex). Rejects with an
 * EpcisImportError when any event cannot be represented (or the signer is no member).
 *
 * @param {import('./client.js').Carechain} chain a client (signed in, where the node asks it)
 * @param {import('./keys.js').Account | string} signer who will sign the calls, or their address
 * @param {object} document an EPCIS 2.0 JSON-LD document (EPCISDocument or EPCISQueryDocument)
 */
export async function planImport(chain, signer, document) {
  const address = typeof signer === 'string' ? signer : signer.address;
  try {
    return await chain.rpc.request('provenance_planImport', [document, address]);
  } catch (e) {
    if (e instanceof RpcError && e.code === IMPORT_REFUSED) throw new EpcisImportError(e.data ?? []);
    throw e;
  }
}

/**
 * Records `document` as `signer`'s provenance calls: plans it (nothing is submitted when any
 * event is refused), then signs and submits each event's calls in order, each awaited until
 * finalized. A call the chain refuses rejects with the client's DispatchError (pallet and
 * error name), with `event` (from 1) set on it; the events before it stay recorded: import
 * again with `from` set to that event.
 *
 * @param {import('./client.js').Carechain} chain a client signed in as `signer`
 * @param {import('./keys.js').Account} signer a member of the organization whose events these are
 * @param {object} document an EPCIS 2.0 JSON-LD document
 * @param {{ from?: number, onEvent?: (planned: object, outcomes: object[]) => void }} [options]
 *   `from`: the first event to record (from 1); `onEvent`: told of each event recorded
 * @returns {Promise<{ event: number, eventId: string | null, outcomes: object[] }[]>}
 */
export async function importDocument(chain, signer, document, { from = 1, onEvent } = {}) {
  const planned = await planImport(chain, signer, document);
  // The plan is not taken on trust: nothing is signed unless every call is one an import makes.
  for (const event of planned) event.calls.forEach((call) => checkedCall(chain, event.event, call));
  const recorded = [];
  for (const event of planned.filter((p) => p.event >= from)) {
    const outcomes = [];
    for (const call of event.calls) {
      const extrinsic = await chain.signCall(signer, fromHex(call));
      try {
        outcomes.push(await chain.submitExtrinsic(extrinsic));
      } catch (e) {
        e.event = event.event;
        throw e;
      }
    }
    onEvent?.(event, outcomes);
    recorded.push({ event: event.event, eventId: event.eventId ?? null, outcomes });
  }
  return recorded;
}

/** The provenance calls an import makes; a plan with anything else is refused unsigned. */
const IMPORT_CALLS = ['commission', 'aggregate', 'disaggregate', 'ship', 'receive'];

/** Decodes a planned call (0x-hex) and refuses it unless it is one of `IMPORT_CALLS`. */
function checkedCall(chain, event, call) {
  const { codec, outer } = chain.metadata;
  let decoded;
  try {
    decoded = codec.decode(outer.call, fromHex(call));
  } catch (e) {
    throw new Error(`event ${event}: the node planned a call this client cannot read: ${e.message}`);
  }
  if (decoded?.type !== 'Provenance' || !IMPORT_CALLS.includes(decoded.value?.type)) {
    throw new Error(`event ${event}: the node planned ${decoded?.type}.${decoded?.value?.type}, which no import makes: nothing was signed`);
  }
  return decoded;
}

/** An answer of the EPCIS interface that is not a page of events: its RFC 7807 problem. */
export class EpcisQueryError extends Error {
  constructor(status, problem) {
    super(`EPCIS ${status}: ${problem?.type ?? 'error'}: ${problem?.detail ?? ''}`);
    this.name = 'EpcisQueryError';
    this.status = status;
    /** `{ type: 'epcisException:…', title, status, detail }`. */
    this.problem = problem;
  }
}

/**
 * Every event a query of the node's EPCIS interface answers, following its `Link: rel="next"`
 * pages. `params` are the simple event query's (`{ MATCH_epc: 'urn:epc:id:sgtin:…',
 * eventType: 'ObjectEvent' }`).
 *
 * @param {string} epcisUrl the interface's base (`http://127.0.0.1:9955/epcis`)
 * @param {string} token a session token (`chain.session.grant.token`)
 * @param {Record<string, string>} [params]
 * @returns {Promise<{ events: object[], pages: object[] }>}
 */
export async function queryEvents(epcisUrl, token, params = {}) {
  let url = `${epcisUrl}/events?${new URLSearchParams(params)}`;
  const pages = [];
  const events = [];
  while (url) {
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body = await response.json();
    if (!response.ok) throw new EpcisQueryError(response.status, body);
    pages.push(body);
    events.push(...body.epcisBody.queryResults.resultsBody.eventList);
    // The next page only where this one came from: the token goes to no other origin.
    const link = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get('link') ?? '')?.[1];
    url = undefined;
    if (link) {
      const next = new URL(link, epcisUrl);
      if (next.origin !== new URL(epcisUrl).origin) throw new Error(`the EPCIS interface linked to another origin (${next.origin}): not followed`);
      url = next.href;
    }
  }
  return { events, pages };
}
