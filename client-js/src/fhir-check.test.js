// client-js's FHIR check against the corpus the Rust vault's check runs
// (fhir/tests/corpus.json): the same verdict, kind of fault and element path for every payload.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FhirError, MAX_NESTING, validateResource } from './fhir.js';

const corpus = JSON.parse(readFileSync(new URL('../../fhir/tests/corpus.json', import.meta.url), 'utf8'));

test('every corpus payload gets the verdict and path the Rust check gives', () => {
  assert.ok(corpus.length >= 40);
  const failures = [];
  for (const c of corpus) {
    try {
      validateResource(c.resource);
      if (!c.valid) failures.push(`${c.name}: accepted (${c.rule})`);
    } catch (e) {
      if (!(e instanceof FhirError)) throw e;
      if (c.valid) failures.push(`${c.name}: refused: ${e.message}`);
      else if (e.kind !== c.error || e.path !== c.path) failures.push(`${c.name}: ${e.kind} at ${e.path} (${e.message}), expected ${c.error} at ${c.path}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('messages read as the Rust check writes them', () => {
  const message = (resource) => {
    try {
      validateResource(resource);
    } catch (e) {
      return e.message;
    }
    return null;
  };
  assert.equal(message({ resourceType: 'Patient', gender: 'robot' }), 'Patient.gender is "robot": not a code of its required value set http://hl7.org/fhir/ValueSet/administrative-gender');
  assert.equal(
    message({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, effectiveDateTime: 'yesterday' }),
    'Observation.effectiveDateTime is "yesterday": not a valid FHIR dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss(.sss) with Z or ±hh:mm)',
  );
  assert.equal(message({ resourceType: 'Patient', active: 'yes' }), 'Patient.active must be a JSON boolean (true or false)');
  assert.equal(message({ resourceType: 'Patient', extension: [{ valueString: 'x' }] }), 'Patient.extension[0].url is required');
});

test('nesting is bounded', () => {
  let resource = { resourceType: 'Patient' };
  for (let i = 0; i <= MAX_NESTING; i += 1) resource = { resourceType: 'Bundle', type: 'collection', entry: [{ resource }] };
  assert.throws(() => validateResource(resource), (e) => e.kind === 'TooDeep');
});

test('numbers JSON cannot carry and JSON nested past the parser limit are refused, not thrown', () => {
  const observation = (value) => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, valueQuantity: { value } });
  for (const value of [Infinity, NaN]) assert.throws(() => validateResource(observation(value)), (e) => e.kind === 'WrongType');
  let deep = { url: 'x' };
  for (let i = 0; i < 200; i += 1) deep = { url: 'x', extension: [deep] };
  assert.throws(() => validateResource({ resourceType: 'Patient', extension: [deep] }), (e) => e instanceof FhirError && e.kind === 'NotJson');
  assert.throws(() => validateResource({ resourceType: 'Patient', __proto__: { x: 1 }, constructor: 1 }), (e) => e.kind === 'UnknownElement');
});
