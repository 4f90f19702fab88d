// How a URL is shown on the card: the host split so that the registrable
// domain (the part that says whose site it is) can be emphasised, with
// punycode decoded, as clickproxy/pages.Describe does for the interstitial.
// The Public Suffix List comes from tldts (bundled, no network), punycode
// from the punycode package.

import { parse } from 'tldts';
import { toUnicode } from 'punycode/punycode.es6.js';

const MAX_PATH = 120;

function labelUnicode(l) {
  if (!l.startsWith('xn--')) return l;
  try {
    return toUnicode(l);
  } catch {
    return l;
  }
}

export function hostUnicode(ascii) {
  return ascii.split('.').map(labelUnicode).join('.');
}

/**
 * registrable returns the registrable domain (eTLD+1, private suffixes such
 * as github.io included, like Go's publicsuffix) of an ASCII host, or the
 * host itself when there is none (an IP address, a bare suffix).
 */
export function registrable(asciiHost) {
  const p = parse(asciiHost, { allowPrivateDomains: true, extractHostname: false });
  if (p.isIp || !p.domain) return asciiHost;
  return p.domain;
}

/**
 * describe parses a URL for display. It never throws: a URL that cannot
 * be parsed gives { raw } only. Invariant: before + registrableUnicode +
 * after === hostUnicode.
 */
export function describe(raw) {
  let u;
  try {
    u = new URL(raw);
  } catch {
    return { raw, ok: false };
  }
  const hostASCII = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const unicode = u.hostname.startsWith('[') ? u.hostname : hostUnicode(hostASCII);
  const reg = u.hostname.startsWith('[') ? hostASCII : registrable(hostASCII);
  const regUnicode = u.hostname.startsWith('[') ? unicode : hostUnicode(reg);
  let before = '', after = '', registrableUnicode = unicode;
  const i = unicode.lastIndexOf(regUnicode);
  if (i >= 0 && regUnicode !== '') {
    before = unicode.slice(0, i);
    registrableUnicode = regUnicode;
    after = unicode.slice(i + regUnicode.length);
  }
  let path = u.pathname + u.search + u.hash;
  if (path === '/') path = '';
  if (path.length > MAX_PATH) path = path.slice(0, MAX_PATH - 1) + '…';
  return {
    ok: true,
    raw,
    scheme: u.protocol.replace(/:$/, ''),
    hostASCII,
    hostUnicode: unicode,
    registrable: reg,
    registrableUnicode,
    before,
    after,
    port: u.port,
    path,
    idn: unicode !== hostASCII,
    userinfo: u.username !== '' || u.password !== '',
  };
}

// A domain written in link text: an optional scheme, labels of letters,
// digits and hyphens (any script), and a dot between them.
const SHOWN = /(?:https?:\/\/)?((?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,62}[\p{L}\p{N}])?\.)+[\p{L}\p{N}-]{2,63})(?=$|[/:?#\s)\]}>"'、。，,])/iu;

/**
 * shownDomain returns the registrable domain (ASCII) that the visible text
 * of a link names, or null when the text names none ("click here",
 * "e.g.", a file name whose "suffix" is no public suffix).
 */
export function shownDomain(text) {
  if (!text) return null;
  const t = text.normalize('NFKC').trim();
  const m = SHOWN.exec(t);
  if (!m) return null;
  let ascii;
  try {
    ascii = new URL('http://' + m[1]).hostname;
  } catch {
    return null;
  }
  const p = parse(ascii, { allowPrivateDomains: true, extractHostname: false });
  if (!p.domain || !(p.isIcann || p.isPrivate)) return null;
  return p.domain;
}

/**
 * mismatch compares what a link's text shows with where it goes: the
 * shown registrable domain when it differs from the destination's, else
 * null.
 */
export function mismatch(text, destRegistrable) {
  const shown = shownDomain(text);
  if (!shown || !destRegistrable || shown === destRegistrable) return null;
  return shown;
}
