// Reading Kensa links without the key (docs/link-format.md, "Offline-
// decodable"): the public header (version, key ID, issue time, flags,
// message digest) and the destination. This is a port of the key-less half
// of clickproxy/linktoken (parse, unescape, inflate, destHost); it is
// tested against testdata/linktoken/vectors.json (test/unit/linktoken.test.js).
//
// Without the key nothing is verified: the tag, the key ID and the sealed
// context (recipient, shown domain) are the server's business. That is why
// a link is read as a Kensa link only under a base the user or the
// administrator configured: anyone can mint a link of the right shape
// under their own host, and a card that trusted its u= would show a
// destination the click never goes to.

import { Inflate } from 'pako';

const HEADER_LEN = 16;
const TAG_LEN = 16;
const VERSION_1 = 1;
export const MAX_DEST = 16384;

/** The header flags, by bit (docs/link-format.md "Flags"). */
export const FLAGS = Object.freeze([
  [0x01, 'mismatch'],
  [0x02, 'schemeless'],
  [0x04, 'unwrapped'],
  [0x08, 'compressed'],
  [0x10, 'text'],
  [0x20, 'password-form'],
]);
const FLAGS_KNOWN = FLAGS.reduce((a, [bit]) => a | bit, 0);
export const FLAG_COMPRESSED = 0x08;

/** A link that could not be read; code is the vectors' error code. */
export class LinkError extends Error {
  constructor(code, message) {
    super(`linktoken: ${code}: ${message}`);
    this.code = code;
  }
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64VAL = new Map([...B64URL].map((c, i) => [c, i]));

/** Unpadded base64url, strictly: no padding, no white space, unused bits zero. */
export function decodeB64URL(s) {
  if (s.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0, bits = 0, j = 0;
  for (const c of s) {
    const v = B64VAL.get(c);
    if (v === undefined) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

function unhex(c) {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** Percent-decodes every %XX (either case) to bytes; '+' stays a plus. */
export function unescapeBytes(s) {
  const src = new TextEncoder().encode(s);
  const out = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === 0x23) throw new LinkError('malformed', 'raw # in the destination');
    if (c !== 0x25) {
      out.push(c);
      continue;
    }
    if (i + 2 >= src.length) throw new LinkError('malformed', 'truncated escape');
    const hi = unhex(src[i + 1]), lo = unhex(src[i + 2]);
    if (hi < 0 || lo < 0) throw new LinkError('malformed', 'bad escape');
    out.push((hi << 4) | lo);
    i += 2;
  }
  return new Uint8Array(out);
}

// Destinations may be any bytes until destHost checks them: decode UTF-8
// strictly there.
const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin = (b) => String.fromCharCode(...b);

// inflate is raw DEFLATE with pako (a port of zlib): unlike the browser's
// DecompressionStream it tells whether bytes follow the final block, which
// the format calls malformed, and it lets us stop at MAX_DEST.
function inflate(z) {
  const inf = new Inflate({ raw: true, chunkSize: 4096 });
  const chunks = [];
  let n = 0, tooBig = false;
  inf.onData = (c) => {
    n += c.length;
    if (n > MAX_DEST) tooBig = true;
    else chunks.push(c);
  };
  inf.onEnd = () => {};
  inf.push(z, true);
  if (tooBig) throw new LinkError('malformed', 'destination inflates to more than 16384 bytes');
  if (inf.err || !inf.ended || inf.strm.avail_in !== 0) throw new LinkError('malformed', 'bad DEFLATE data');
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

const HOST_EXTRA = "-._~!$&'()*+,;=";
const isAlnum = (c) => /[A-Za-z0-9]/.test(c);
const hostChar = (c) => c.charCodeAt(0) >= 0x80 || isAlnum(c) || HOST_EXTRA.includes(c);
const userinfoChar = (c) => c.charCodeAt(0) < 0x80 && (isAlnum(c) || HOST_EXTRA.includes(c) || c === ':' || c === '@');

/**
 * destHost checks that dest (bytes) is an absolute http(s) URL with a host,
 * by the same narrow rule as the Go code, and returns [dest string,
 * host[:port]]. Throws LinkError bad-destination.
 */
export function destHost(bytes) {
  const bad = (why) => new LinkError('bad-destination', why);
  let dest;
  try {
    dest = utf8.decode(bytes);
  } catch {
    throw bad('not UTF-8');
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(dest)) throw bad('control character');
  const lower = dest.slice(0, 8).toLowerCase();
  let rest;
  if (lower.startsWith('http://')) rest = dest.slice(7);
  else if (lower.startsWith('https://')) rest = dest.slice(8);
  else throw bad('not an absolute http or https URL');
  const end = rest.search(/[/?#]/);
  const authority = end >= 0 ? rest.slice(0, end) : rest;
  let hostport = authority;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const ui = authority.slice(0, at);
    for (let i = 0; i < ui.length; i++) {
      if (ui[i] === '%') {
        if (i + 2 >= ui.length || unhex(ui.charCodeAt(i + 1)) < 0 || unhex(ui.charCodeAt(i + 2)) < 0) throw bad('bad user info');
        i += 2;
      } else if (!userinfoChar(ui[i])) throw bad('bad user info');
    }
    hostport = authority.slice(at + 1);
  }
  let host = hostport, port = '';
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) throw bad('unclosed IP literal');
    host = hostport.slice(0, close + 1);
    port = hostport.slice(close + 1);
    if (host.length === 2 || !/^[0-9a-fA-F:.]+$/.test(host.slice(1, -1))) throw bad('bad IP literal');
  } else {
    const colon = hostport.indexOf(':');
    if (colon >= 0) {
      host = hostport.slice(0, colon);
      port = hostport.slice(colon);
    }
    if (host === '') throw bad('no host');
    for (const c of host) if (!hostChar(c)) throw bad('bad character in host');
  }
  if (port !== '' && !/^:[0-9]*$/.test(port)) throw bad('bad port');
  return [dest, hostport];
}

/**
 * splitLink finds the base a link is under: the first of bases (no
 * trailing slash) that link starts with, followed by "/k/". Returns
 * [base, token, query] or null.
 */
export function splitLink(link, bases) {
  for (const base of bases) {
    if (!base || !link.startsWith(base + '/k/')) continue;
    const rest = link.slice(base.length + 3);
    const q = rest.indexOf('?');
    return [base, q >= 0 ? rest.slice(0, q) : rest, q >= 0 ? rest.slice(q + 1) : ''];
  }
  return null;
}

/** Whether s has a Kensa link's shape under any base (for a warning only). */
export function hasLinkShape(s) {
  return /^https?:\/\/[^/?#]+(\/[^?#]*)?\/k\/[A-Za-z0-9_-]{43,}\?(u|d)=/.test(s);
}

/**
 * decodeLink reads a Kensa link under one of bases without a key. It
 * resolves to { base, version, keyId, issued (Date), flags (names),
 * flagBits, messageDigest (hex), dest, host, form }, or rejects with a
 * LinkError whose code is the vectors' (malformed, version,
 * bad-destination, and bad-signature for a form B d= that is not the
 * destination's host). A link that decodes is NOT verified.
 */
export async function decodeLink(link, bases) {
  const parts = splitLink(link, bases);
  if (!parts) throw new LinkError('malformed', 'not under a Kensa base + /k/');
  const [base, token, query] = parts;
  const tok = decodeB64URL(token);
  if (!tok) throw new LinkError('malformed', 'token is not unpadded base64url');
  if (tok.length === 0) throw new LinkError('malformed', 'empty token');
  if (tok[0] !== VERSION_1) throw new LinkError('version', `version ${tok[0]}`);
  if (tok.length < HEADER_LEN + TAG_LEN || tok.length !== HEADER_LEN + tok[15] + TAG_LEN) {
    throw new LinkError('malformed', `token is ${tok.length} bytes`);
  }
  const flagBits = tok[6];
  if (flagBits & ~FLAGS_KNOWN) throw new LinkError('malformed', 'reserved flags');
  let destBytes, shownHost = null, form = 'A';
  if (!(flagBits & FLAG_COMPRESSED)) {
    if (!query.startsWith('u=')) throw new LinkError('malformed', 'query is not u=...');
    destBytes = unescapeBytes(query.slice(2));
  } else {
    form = 'B';
    const amp = query.indexOf('&');
    const d = amp >= 0 ? query.slice(0, amp) : query;
    const z = amp >= 0 ? query.slice(amp + 1) : '';
    if (!d.startsWith('d=') || !z.startsWith('z=')) throw new LinkError('malformed', 'query is not d=...&z=...');
    shownHost = latin(unescapeBytes(d.slice(2)));
    const zb = decodeB64URL(z.slice(2));
    if (!zb) throw new LinkError('malformed', 'z is not unpadded base64url');
    destBytes = inflate(zb);
  }
  const [dest, hostport] = destHost(destBytes);
  if (shownHost !== null && shownHost !== latin(new TextEncoder().encode(hostport))) {
    throw new LinkError('bad-signature', 'd= is not the destination host');
  }
  const dv = new DataView(tok.buffer, tok.byteOffset, tok.byteLength);
  return {
    base,
    version: tok[0],
    keyId: tok[1],
    issued: new Date(dv.getUint32(2) * 1000),
    flagBits,
    flags: FLAGS.filter(([bit]) => flagBits & bit).map(([, name]) => name),
    messageDigest: [...tok.slice(7, 15)].map((b) => b.toString(16).padStart(2, '0')).join(''),
    dest,
    host: hostport,
    form,
  };
}
