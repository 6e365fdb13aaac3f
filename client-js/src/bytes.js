// Byte helpers: hex, UTF-8 and concatenation, in one place.

const HEX = /^0x([0-9a-fA-F]{2})*$/;

/** `0x`-prefixed lowercase hex of `bytes`. */
export function toHex(bytes) {
  let hex = '0x';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** Bytes of a `0x`-prefixed hex string; throws a TypeError naming `what` otherwise. */
export function fromHex(hex, what = 'value') {
  if (typeof hex !== 'string' || !HEX.test(hex)) {
    throw new TypeError(`${what} must be 0x-prefixed hex with an even number of digits`);
  }
  const bytes = new Uint8Array((hex.length - 2) / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16);
  return bytes;
}

/** Whether `value` is a `0x`-prefixed hex string. */
export function isHex(value) {
  return typeof value === 'string' && HEX.test(value);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 bytes of a string. */
export function utf8(text) {
  return encoder.encode(text);
}

/** The string of UTF-8 bytes; throws on invalid UTF-8. */
export function fromUtf8(bytes) {
  return decoder.decode(bytes);
}

/** The bytes of hex, a Uint8Array or an array of numbers; UTF-8 for other strings. */
export function toBytes(value, what = 'value') {
  if (value instanceof Uint8Array) return value;
  if (isHex(value)) return fromHex(value, what);
  if (typeof value === 'string') return utf8(value);
  if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b < 256)) {
    return Uint8Array.from(value);
  }
  throw new TypeError(`${what} must be bytes: a Uint8Array, 0x-hex or a string`);
}

/** The concatenation of byte arrays. */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Whether two byte arrays are equal. */
export function equalBytes(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
