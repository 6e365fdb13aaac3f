// FHIR R4 JSON validation, in step with the Rust vault's (`fhir/`, crate carechain-fhir): the
// same walk over the same element definitions (generated from the `fhir` crate's R4 model into
// `fhir-r4.js` by `fhir/scripts/export-r4.py`), the same primitive formats and JSON rules, and
// the required-binding codes the Rust model enforces. Both run the corpus in
// `fhir/tests/corpus.json` and must give the same verdicts and paths.

import table from './fhir-r4.js';

/** Bundles and contained resources nested deeper than this are refused. */
export const MAX_NESTING = 8;

/** JSON nested deeper than this is refused, as Rust's JSON parser (serde_json) refuses it. */
const MAX_JSON_DEPTH = 128;

/** Why a payload is not FHIR R4 JSON: `kind` (as the Rust `FhirError` variant) and `path`. */
export class FhirError extends Error {
  constructor(kind, path, message) {
    super(message);
    this.name = 'FhirError';
    this.kind = kind;
    this.path = path;
  }
}

const ABSTRACT = new Set(['Resource', 'DomainResource', 'MetadataResource']);
const CHILDREN = new Map();
for (const [path, min, max, types, contentReference, valueSet] of table.elements) {
  const dot = path.lastIndexOf('.');
  if (dot < 0) continue;
  const parent = path.slice(0, dot);
  if (!CHILDREN.has(parent)) CHILDREN.set(parent, []);
  CHILDREN.get(parent).push({ path, name: path.slice(dot + 1), min, max, types, contentReference, valueSet });
}

function isResource(name) {
  return !ABSTRACT.has(name) && (CHILDREN.get(name) ?? []).some((e) => e.name === 'implicitRules');
}

const capitalized = (code) => code.charAt(0).toUpperCase() + code.slice(1);

/** The child of `def` a JSON property names, and the type it takes there. */
function child(def, key) {
  for (const element of CHILDREN.get(def) ?? []) {
    if (element.name.endsWith('[x]')) {
      const base = element.name.slice(0, -3);
      if (!key.startsWith(base)) continue;
      const suffix = key.slice(base.length);
      const type = element.types.find((t) => capitalized(t) === suffix);
      if (type) return { element, type };
    } else if (element.name === key) {
      return { element, type: element.types[0] };
    }
  }
  return null;
}

function definitionPath(element, type) {
  if (element.contentReference) return element.contentReference.replace(/^#/, '');
  const t = type ?? element.types[0];
  return t === 'BackboneElement' || t === 'Element' ? element.path : t;
}

const SYSTEM = 'http://hl7.org/fhirpath/System.';
const PRIMITIVES = {
  boolean: 'boolean', [`${SYSTEM}Boolean`]: 'boolean',
  integer: 'integer', [`${SYSTEM}Integer`]: 'integer',
  unsignedInt: 'unsignedInt', positiveInt: 'positiveInt',
  decimal: 'decimal', [`${SYSTEM}Decimal`]: 'decimal',
  string: 'string', markdown: 'markdown', code: 'code', id: 'id',
  uri: 'uri', url: 'uri', canonical: 'uri', oid: 'oid', uuid: 'uuid', base64Binary: 'base64Binary',
  date: 'date', [`${SYSTEM}Date`]: 'date',
  dateTime: 'dateTime', [`${SYSTEM}DateTime`]: 'dateTime',
  instant: 'instant', time: 'time', [`${SYSTEM}Time`]: 'time', xhtml: 'xhtml',
};

function kind(element, type) {
  if (element.contentReference) return { kind: 'complex', def: definitionPath(element, type) };
  const t = type ?? 'Element';
  if (t === 'Resource') return { kind: 'resource' };
  if (t === `${SYSTEM}String`) {
    const resourceId = element.path.endsWith('.id') && isResource(element.path.slice(0, -3));
    if (resourceId) return { kind: 'primitive', type: 'id' };
    return { kind: 'primitive', type: element.path === 'Extension.url' ? 'uri' : 'string' };
  }
  if (PRIMITIVES[t]) return { kind: 'primitive', type: PRIMITIVES[t] };
  return { kind: 'complex', def: definitionPath(element, t) };
}

// Primitive formats (https://hl7.org/fhir/R4/datatypes.html#primitive), as fhir/src/primitive.rs.
const digits = (s, n) => (s.length === n && /^[0-9]+$/.test(s) ? Number(s) : null);
const daysIn = (y, m) => (m === 2 ? ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31);

function isDate(text) {
  const parts = text.split('-');
  const year = digits(parts[0], 4);
  if (year === null || year < 1 || parts.length > 3) return false;
  if (parts.length === 1) return true;
  const month = digits(parts[1], 2);
  if (month === null || month < 1 || month > 12) return false;
  if (parts.length === 2) return true;
  const day = digits(parts[2], 2);
  return day !== null && day >= 1 && day <= daysIn(year, month);
}

function isTime(text) {
  const [clock, fraction, extra] = text.split('.');
  if (extra !== undefined || (fraction !== undefined && !/^[0-9]+$/.test(fraction))) return false;
  const parts = clock.split(':');
  if (parts.length !== 3) return false;
  const [h, m, s] = parts.map((p) => digits(p, 2));
  return h !== null && h <= 23 && m !== null && m <= 59 && s !== null && s <= 60;
}

function isZone(text) {
  if (text === 'Z') return true;
  const match = /^[+-]([0-9]{2}):([0-9]{2})$/.exec(text);
  if (!match) return false;
  const [h, m] = [Number(match[1]), Number(match[2])];
  return (h === 14 && m === 0) || (h <= 13 && m <= 59);
}

function isInstant(text) {
  const t = text.indexOf('T');
  if (t < 0) return false;
  const date = text.slice(0, t);
  const rest = text.slice(t + 1);
  if (date.length !== 10 || !isDate(date)) return false;
  const zoneAt = rest.search(/[Z+-]/);
  const at = zoneAt < 0 ? rest.length : zoneAt;
  return isTime(rest.slice(0, at)) && isZone(rest.slice(at));
}

const isCode = (text) => /^[^\s]+( [^\s]+)*$/.test(text);
const isOid = (text) => /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/.test(text);
const isUuid = (text) => /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text);
function isBase64(text) {
  const bytes = text.replace(/[ \t\n\r\f]/g, '');
  if (bytes.length === 0 || bytes.length % 4 !== 0) return false;
  let padding = 0;
  while (padding < bytes.length && bytes[bytes.length - 1 - padding] === '=') padding += 1;
  return padding <= 2 && /^[A-Za-z0-9+/]*$/.test(bytes.slice(0, bytes.length - padding));
}

const FORMATS = {
  string: [() => true, ''],
  markdown: [() => true, ''],
  code: [isCode, 'no leading, trailing or doubled whitespace'],
  id: [(t) => /^[A-Za-z0-9\-.]{1,64}$/.test(t), "1 to 64 of A-Z, a-z, 0-9, '-' and '.'"],
  uri: [(t) => !/\s/.test(t), 'no whitespace'],
  oid: [isOid, 'urn:oid: then a dotted OID such as 2.16.840.1'],
  uuid: [isUuid, 'urn:uuid: then a lowercase RFC 4122 UUID'],
  base64Binary: [isBase64, 'base64'],
  date: [isDate, 'YYYY, YYYY-MM or YYYY-MM-DD, a real date'],
  dateTime: [(t) => (t.includes('T') ? isInstant(t) : isDate(t)), 'YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss(.sss) with Z or ±hh:mm'],
  instant: [isInstant, 'YYYY-MM-DDThh:mm:ss(.sss) with Z or ±hh:mm'],
  time: [isTime, 'hh:mm:ss(.sss)'],
  xhtml: [(t) => t.trimStart().startsWith('<div') && t.trimEnd().endsWith('</div>'), 'an XHTML <div> element'],
};

const wrongType = (path, expected) => new FhirError('WrongType', path, `${path} must be ${expected}`);
const empty = (path) => new FhirError('Empty', path, `${path} is empty or null: FHIR JSON omits absent elements instead`);

function checkPrimitive(type, value, path) {
  if (value === null) throw empty(path);
  if (type === 'boolean') {
    if (typeof value !== 'boolean') throw wrongType(path, 'a JSON boolean (true or false)');
    return;
  }
  if (type === 'decimal') {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw wrongType(path, 'a JSON number (a FHIR decimal)');
    return;
  }
  if (type === 'integer' || type === 'unsignedInt' || type === 'positiveInt') {
    if (typeof value !== 'number') throw wrongType(path, `a JSON number (a FHIR ${type})`);
    const [low, kindText] = type === 'integer' ? [-2147483648, 'an integer'] : type === 'unsignedInt' ? [0, 'an integer from 0'] : [1, 'an integer from 1'];
    if (!Number.isInteger(value) || value < low || value > 2147483647) {
      throw wrongType(path, `${kindText} to 2147483647 written as a JSON number (a FHIR ${type})`);
    }
    return;
  }
  if (typeof value !== 'string') throw wrongType(path, `a JSON string (a FHIR ${type})`);
  if (value === '') throw empty(path);
  const [valid, expected] = FORMATS[type];
  if (!valid(value)) {
    const shown = [...value.slice(0, 256)].slice(0, 64).join('');
    throw new FhirError('BadFormat', path, `${path} is ${JSON.stringify(shown)}: not a valid FHIR ${type} (${expected})`);
  }
}

/** The walk of one payload: bad codes are reported after the structure, as Rust's model check. */
class Walk {
  constructor() {
    this.badCode = null;
    this.depth = 0;
  }

  /** Counts one more level of JSON objects and arrays around what `f` walks. */
  nested(levels, f) {
    this.depth += levels;
    try {
      if (this.depth > MAX_JSON_DEPTH) {
        throw new FhirError('NotJson', '$', `not JSON: nested more than ${MAX_JSON_DEPTH} levels deep`);
      }
      return f();
    } finally {
      this.depth -= levels;
    }
  }

  resource(value, at, depth) {
    const shown = at === '' ? '$' : at;
    if (depth > MAX_NESTING) throw new FhirError('TooDeep', shown, `${shown}: resources nested more than ${MAX_NESTING} deep`);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new FhirError('NotAnObject', shown, `${shown}: a resource must be a JSON object`);
    }
    if (!('resourceType' in value)) throw new FhirError('MissingResourceType', shown, `${shown}: resourceType is missing`);
    const name = value.resourceType;
    if (typeof name !== 'string') throw wrongType(`${shown}.resourceType`, 'a string');
    if (!isResource(name)) {
      throw new FhirError('UnknownResourceType', shown, `${shown}: ${JSON.stringify(name)} is not a FHIR R4 resource type`);
    }
    const here = at === '' ? name : `${at}(${name})`;
    this.nested(1, () => this.elements(value, name, here, depth, true));
    return name;
  }

  elements(object, def, here, depth, resource) {
    const keys = Object.keys(object);
    if (keys.length === 0) throw empty(here);
    const choices = new Map();
    const present = new Set();
    for (const key of keys) {
      if (resource && key === 'resourceType') continue;
      const value = object[key];
      const path = `${here}.${key}`;
      const extension = key.startsWith('_');
      const bare = extension ? key.slice(1) : key;
      const found = child(def, bare);
      if (!found) throw new FhirError('UnknownElement', path, `${path}: R4 defines no such element here`);
      const { element, type } = found;
      if (element.name.endsWith('[x]')) {
        const first = choices.get(element.path);
        if (first !== undefined && first !== bare) {
          const choicePath = `${here}.${element.name}`;
          throw new FhirError('TwoChoices', choicePath, `${choicePath}: ${first} and ${bare} are two values of one choice element; give one`);
        }
        choices.set(element.path, bare);
      }
      present.add(element.path);
      const k = kind(element, type);
      if (extension) {
        if (k.kind !== 'primitive') throw new FhirError('UnknownElement', path, `${path}: R4 defines no such element here`);
        this.primitiveExtension(value, element, path, depth, object[bare]);
      } else {
        this.occurrences(value, element, k, path, depth, `_${bare}` in object);
        this.binding(value, element, k, path);
      }
    }
    for (const element of CHILDREN.get(def) ?? []) {
      if (element.min >= 1 && !present.has(element.path)) {
        const path = `${here}.${element.name}`;
        throw new FhirError('Missing', path, `${path} is required`);
      }
    }
  }

  occurrences(value, element, k, path, depth, hasExtensions) {
    if (value === null) throw empty(path);
    const repeats = element.max !== '0' && element.max !== '1';
    if (Array.isArray(value)) {
      if (!repeats) throw wrongType(path, 'a single value, not an array (R4 allows it at most once)');
      if (value.length === 0 || value.every((v) => v === null)) throw empty(path);
      this.nested(1, () => value.forEach((item, i) => {
        if (item === null && hasExtensions && k.kind === 'primitive') return;
        this.one(item, k, `${path}[${i}]`, depth);
      }));
      return;
    }
    if (repeats) throw wrongType(path, 'an array (R4 allows it more than once)');
    this.one(value, k, path, depth);
  }

  one(value, k, path, depth) {
    if (k.kind === 'resource') {
      this.resource(value, path, depth + 1);
    } else if (k.kind === 'primitive') {
      checkPrimitive(k.type, value, path);
    } else if (value === null) {
      throw empty(path);
    } else if (typeof value !== 'object' || Array.isArray(value)) {
      throw wrongType(path, 'an object');
    } else {
      this.nested(1, () => this.elements(value, k.def, path, depth, false));
    }
  }

  primitiveExtension(value, element, path, depth, primitiveValue) {
    const repeats = element.max !== '0' && element.max !== '1';
    const asElement = { kind: 'complex', def: 'Element' };
    if (Array.isArray(value)) {
      if (!repeats) throw wrongType(path, 'an object (the element\'s id and extensions)');
      if (value.length === 0 || value.every((v) => v === null)) throw empty(path);
      const values = Array.isArray(primitiveValue) ? primitiveValue.length : 0;
      if (primitiveValue !== undefined && values !== value.length) {
        throw wrongType(path, `an array as long as its values' (${values})`);
      }
      value.forEach((item, i) => {
        if (item !== null) this.one(item, asElement, `${path}[${i}]`, depth);
      });
      return;
    }
    if (repeats) throw wrongType(path, 'an array (R4 allows the element more than once)');
    this.one(value, asElement, path, depth);
  }

  /** A `code` element with a required binding the model enforces: kept until the walk ends. */
  binding(value, element, k, path) {
    const codes = element.valueSet && k.kind === 'primitive' && k.type === 'code' ? table.valueSets[element.valueSet] : undefined;
    if (!codes || this.badCode) return;
    for (const code of Array.isArray(value) ? value : [value]) {
      if (typeof code === 'string' && !codes.includes(code)) {
        this.badCode = new FhirError('BadCode', path, `${path} is ${JSON.stringify(code)}: not a code of its required value set ${element.valueSet}`);
        return;
      }
    }
  }
}

/** Validates a parsed FHIR R4 resource; returns its resourceType, or throws a FhirError. */
export function validateResource(value) {
  const walk = new Walk();
  const name = walk.resource(value, '', 0);
  if (walk.badCode) throw walk.badCode;
  return name;
}
