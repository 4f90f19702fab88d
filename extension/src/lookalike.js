// Local look-alike warnings: whether a host imitates a protected brand's
// domain (the brand list is sandbox/rules' own, in the generated contract)
// or one the administrator protects (policy "protected_domains"). It is a
// small, conservative subset of sandbox/rules/lookalike, for when there is
// no server, or before its verdict arrives: homoglyphs, a brand's label
// under another suffix, one edit away, and a brand's domain or name inside
// the host next to a lure word. The server's verdict is the real check.

import { parse } from 'tldts';
import { hostUnicode } from './display.js';

// Look-alike characters folded to the letter they imitate (Cyrillic,
// Greek, digits).
const FOLD = new Map(Object.entries({
  'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'і': 'i', 'ј': 'j', 'ӏ': 'l', 'ѕ': 's', 'һ': 'h', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w',
  'α': 'a', 'ο': 'o', 'ρ': 'p', 'ν': 'v', 'τ': 't', 'ι': 'i', 'κ': 'k',
  '0': 'o', '1': 'l', '3': 'e', '5': 's', '8': 'b',
}));

/** skeleton folds look-alikes: 1/i/l alike, rn as m, vv as w, accents off. */
export function skeleton(label) {
  let s = label.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  s = [...s].map((c) => FOLD.get(c) ?? c).join('');
  return s.replace(/rn/g, 'm').replace(/vv/g, 'w').replace(/cl/g, 'd').replace(/[il]/g, 'l');
}

/** Damerau-Levenshtein distance (adjacent swaps count as one edit). */
export function distance(a, b) {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

// Lure words phishing hosts put next to a brand.
const LURES = ['login', 'signin', 'secure', 'security', 'account', 'verify', 'update', 'support', 'auth', 'check', 'confirm', 'wallet', 'billing', 'card', 'service', 'help', 'id', 'my'];

function split(host) {
  const p = parse(host, { allowPrivateDomains: true, extractHostname: false });
  if (p.isIp || !p.domain || !p.publicSuffix) return null;
  const label = p.domain.slice(0, -(p.publicSuffix.length + 1));
  return { domain: p.domain, label, suffix: p.publicSuffix, sub: p.subdomain || '' };
}

/**
 * protectedList builds the list to check against from the brands of the
 * contract and the administrator's own domains.
 */
export function protectedList(brands, ownDomains = []) {
  const out = [];
  for (const b of brands) for (const d of b.domains) out.push({ name: b.name, domain: d });
  for (const d of ownDomains) out.push({ name: d, domain: d.toLowerCase() });
  return out.map((p) => ({ ...p, ...split(p.domain) })).filter((p) => p.label);
}

/**
 * lookalike returns { name, domain, why } for the first protected domain
 * the host imitates, or null. A host under a protected registrable domain
 * never hits.
 */
export function lookalike(asciiHost, list) {
  const h = split(asciiHost.toLowerCase());
  if (!h) return null;
  const owned = new Set(list.map((p) => p.domain));
  if (owned.has(h.domain)) return null;
  const label = hostUnicode(h.label);
  const skel = skeleton(label);
  const parts = asciiHost.toLowerCase().split(/[.-]/);
  const hasLure = parts.some((w) => LURES.includes(w));
  const lower = asciiHost.toLowerCase();
  // The checks, strongest first, each over the whole list.
  const checks = [
    // brand-in-subdomain: amazon.co.jp.account-verify.top, www.amazon.co.jp-login.com
    ['brand-in-subdomain', (p) => {
      const at = lower.indexOf(p.domain);
      return at >= 0 && at + p.domain.length < lower.length && /[.-]/.test(lower[at + p.domain.length]);
    }],
    // homoglyph: the same once look-alikes are folded.
    ['homoglyph', (p) => label !== p.label && skel === skeleton(p.label)],
    // tld-swap: the brand's label under another suffix.
    ['tld-swap', (p) => h.label === p.label && h.suffix !== p.suffix],
    // edit-distance: one edit from a label of 5 or more, first letter kept.
    ['edit-distance', (p) => p.label.length >= 5 && h.label !== p.label && h.label[0] === p.label[0] &&
      Math.abs(h.label.length - p.label.length) <= 1 && distance(h.label, p.label) === 1],
    // brand-in-label: a brand's label as a part of the host next to a
    // lure word (rakuten-card-security.com, rakuten-card.account-check.top).
    ['brand-in-label', (p) => p.label.length >= 4 && hasLure && !p.label.includes('-') && parts.includes(p.label)],
  ];
  for (const [why, hit] of checks) {
    for (const p of list) {
      if (p.label.length >= 3 && hit(p)) return { name: p.name, domain: p.domain, why };
    }
  }
  return null;
}
