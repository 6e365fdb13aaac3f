// Pure helpers of pallets.js: no node needed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commitText, hashText } from './pallets.js';
import { concat, fromHex, utf8 } from './bytes.js';

test('a break-glass justification is committed with a salt, so a guessed phrase is not confirmed', () => {
  const phrase = 'overdose, unresponsive';
  const first = commitText(phrase);
  const second = commitText(phrase);
  assert.notEqual(first.hash, hashText(phrase), 'not the bare hash a dictionary would find');
  assert.notEqual(first.hash, second.hash, 'a new salt each time');
  assert.equal(fromHex(first.salt).length, 32);
  // Opening: the salt and the text give the hash again.
  assert.equal(hashText(concat(fromHex(first.salt), utf8(phrase))), first.hash);
  assert.equal(commitText(phrase, fromHex(first.salt)).hash, first.hash);
});
