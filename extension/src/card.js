// The card: cardModel is the pure part (what the card says, from what the
// service worker found), renderCard builds its DOM with textContent only
// (never innerHTML: every string here comes from a page or a URL), and
// place puts it next to the link without covering it.

import contract from './generated/contract.js';
import { describe, mismatch } from './display.js';
import { lookalike } from './lookalike.js';
import { t } from './messages.js';

const MAX_REASONS = 6;
const SEVERITY = { clean: 0, unknown: 1, suspicious: 2, malicious: 3 };

/**
 * cardModel says what the card shows.
 *   info.href       the link's target (a.href: where a click goes)
 *   info.text       the link's visible text
 *   info.kensa      the decoded Kensa link (linktoken.decodeLink) or null
 *   info.kensaError { code } when a link under a Kensa base did not decode
 *   info.foreign    the link has a Kensa link's shape under another base
 *   info.bases      whether Kensa link bases are set up
 *   info.server     whether a Kensa server is set up
 *   info.check      the server's api.Check, or null
 *   info.checkError { code } when the server could not answer
 *   info.shot       the screenshot as a data: URL, or null
 *   info.protected  lookalike.protectedList(...)
 */
export function cardModel(info, lang) {
  const destURL = info.kensa ? info.kensa.dest : info.href;
  const dest = describe(destURL);
  const warnings = [];
  let mis = null;
  if (info.kensaError) warnings.push({ kind: 'kensa-bad', text: t(lang, 'kensa.bad', { code: info.kensaError.code }) });
  if (info.foreign) warnings.push({ kind: 'kensa-foreign', text: t(lang, info.bases ? 'kensa.foreign' : 'kensa.unconfigured') });
  if (info.kensa?.flags.includes('password-form')) warnings.push({ kind: 'password-form', text: t(lang, 'kensa.password_form') });
  if (dest.ok) {
    const shown = mismatch(info.text, dest.registrable);
    const serverShown = info.check?.shown_domain;
    if (shown || serverShown) {
      mis = { shown: shown ?? serverShown, real: dest.registrableUnicode };
      warnings.push({ kind: 'mismatch', text: t(lang, 'mismatch') });
    }
    // The server's verdict says it better when it found the look-alike.
    const serverSaid = (info.check?.reasons ?? []).some((r) => r.code === 'lookalike-domain' || r.code === 'brand-impersonation');
    const hit = !serverSaid && lookalike(dest.hostASCII, info.protected ?? []);
    if (hit) warnings.push({ kind: 'lookalike', text: t(lang, 'lookalike', { domain: hit.domain, name: hit.name }) });
    if (dest.idn) warnings.push({ kind: 'idn', text: t(lang, 'dest.idn_note') });
    if (dest.userinfo) warnings.push({ kind: 'userinfo', text: t(lang, 'userinfo') });
  }

  let level, note = null;
  const reasons = [];
  if (info.check?.status === 'done' && contract.levels.includes(info.check.level)) {
    level = info.check.level;
    const seen = new Set();
    for (const r of info.check.reasons ?? []) {
      const text = ((lang === 'en' ? r.en || r.ja : r.ja || r.en) || r.code).trim();
      if (!text || seen.has(text)) continue;
      seen.add(text);
      reasons.push({ level: SEVERITY[r.level] !== undefined ? r.level : 'unknown', text });
      if (reasons.length === MAX_REASONS) break;
    }
  } else if (info.check?.status === 'checking') {
    level = 'checking';
    note = t(lang, 'server.checking');
  } else if (info.server && info.checkError) {
    level = 'unknown';
    note = t(lang, 'server.error', { code: info.checkError.code });
  } else {
    // No server: what this device can tell. A look-alike or a broken
    // Kensa link is a warning; otherwise nothing is known.
    level = warnings.some((w) => ['lookalike', 'kensa-bad', 'kensa-foreign'].includes(w.kind)) ? 'suspicious' : 'unknown';
    note = info.server ? null : t(lang, 'server.none');
  }
  const label = !info.server && level === 'unknown' ? t(lang, 'level.local') : t(lang, 'level.' + level);
  return {
    lang,
    title: t(lang, 'title'),
    dest,
    kensa: info.kensa ? { text: t(lang, 'kensa'), flags: info.kensa.flags } : null,
    badge: { level, label },
    reasons,
    reasonsHeading: reasons.length ? t(lang, 'reasons.heading') : null,
    warnings,
    mismatch: mis && { heading: t(lang, 'mismatch'), shownLabel: t(lang, 'mismatch.shown'), shown: mis.shown, realLabel: t(lang, 'mismatch.real'), real: mis.real },
    asciiNote: dest.idn ? `${t(lang, 'dest.ascii')} ${dest.hostASCII}` : null,
    note,
    screenshot: info.shot ? { src: info.shot, alt: t(lang, 'shot.alt') } : null,
    closeLabel: t(lang, 'close'),
  };
}

/** worst of two levels for the toolbar badge (checking counts as nothing). */
export function worse(a, b) {
  return (SEVERITY[b] ?? -1) > (SEVERITY[a] ?? -1) ? b : a;
}

export const CSS = `
:host { all: initial; }
.card { position: fixed; z-index: 2147483647; box-sizing: border-box; width: 360px; max-width: calc(100vw - 16px);
  font: 13px/1.45 system-ui, -apple-system, "Segoe UI", "Hiragino Sans", "Noto Sans JP", "IPAGothic", sans-serif;
  color: #1d2430; background: #fff; border: 1px solid #c9d1dc; border-radius: 8px; box-shadow: 0 6px 24px rgba(20,30,50,.18);
  padding: 10px 12px; text-align: left; overflow-wrap: anywhere; }
.head { display: flex; align-items: center; gap: 8px; margin-bottom: 6px; }
.title { font-weight: 600; flex: 1; }
.badge { font-weight: 700; border-radius: 10px; padding: 1px 9px; font-size: 12px; white-space: nowrap; }
.badge.clean { background: #e3f4e8; color: #17622f; }
.badge.suspicious { background: #fff1d6; color: #8a4b00; }
.badge.malicious { background: #fde2e1; color: #a31712; }
.badge.unknown { background: #eceff3; color: #3d4756; }
.badge.checking { background: #e4eefc; color: #1c4f9c; }
.close { border: 0; background: none; font-size: 16px; line-height: 1; cursor: pointer; color: #56606e; padding: 0 2px; }
.dest { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12.5px; }
.reg { font-weight: 700; background: #fff4b8; color: #000; border-radius: 2px; padding: 0 1px; }
.dim { color: #6a7482; }
.kensa { font-size: 12px; color: #1c4f9c; margin-top: 4px; }
.ascii, .note { font-size: 12px; color: #56606e; margin-top: 4px; }
ul { margin: 6px 0 0; padding: 0; list-style: none; }
li { margin: 3px 0; padding-left: 14px; position: relative; }
li::before { content: "•"; position: absolute; left: 2px; }
li.malicious::before { color: #c0211b; } li.suspicious::before, li.warning::before { color: #c06a00; } li.unknown::before { color: #6a7482; }
.rh { font-weight: 600; margin-top: 6px; font-size: 12px; }
.mm { margin-top: 6px; padding: 6px 8px; background: #fff7e6; border-radius: 6px; font-size: 12px; }
.mm b { font-weight: 700; }
img { display: block; margin-top: 8px; width: 100%; height: 150px; object-fit: cover; object-position: top; border: 1px solid #d5dbe3; border-radius: 4px; box-sizing: border-box; }
`;

function el(doc, tag, cls, text) {
  const e = doc.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
}

/** renderCard builds the card's element from a model (textContent only). */
export function renderCard(doc, m) {
  const card = el(doc, 'div', 'card');
  card.setAttribute('role', 'dialog');
  card.setAttribute('aria-label', m.title);
  card.lang = m.lang;
  card.dataset.level = m.badge.level;
  const head = el(doc, 'div', 'head');
  head.append(el(doc, 'span', 'title', m.title), el(doc, 'span', 'badge ' + m.badge.level, m.badge.label));
  const close = el(doc, 'button', 'close', '×');
  close.type = 'button';
  close.setAttribute('aria-label', m.closeLabel);
  close.dataset.action = 'close';
  head.append(close);
  card.append(head);

  const dest = el(doc, 'div', 'dest');
  if (m.dest.ok) {
    dest.append(el(doc, 'span', 'dim', m.dest.scheme + '://'), el(doc, 'span', 'host-before', m.dest.before),
      el(doc, 'span', 'reg', m.dest.registrableUnicode), el(doc, 'span', 'host-after', m.dest.after));
    if (m.dest.port) dest.append(el(doc, 'span', 'dim', ':' + m.dest.port));
    if (m.dest.path) dest.append(el(doc, 'span', 'dim', m.dest.path));
  } else {
    dest.textContent = m.dest.raw;
  }
  card.append(dest);
  if (m.asciiNote) card.append(el(doc, 'div', 'ascii', m.asciiNote));
  if (m.kensa) card.append(el(doc, 'div', 'kensa', m.kensa.text));
  if (m.mismatch) {
    const mm = el(doc, 'div', 'mm');
    mm.append(el(doc, 'div', 'mmh', m.mismatch.heading));
    const s = el(doc, 'div', null, m.mismatch.shownLabel + ': ');
    s.append(el(doc, 'b', 'mm-shown', m.mismatch.shown));
    const r = el(doc, 'div', null, m.mismatch.realLabel + ': ');
    r.append(el(doc, 'b', 'mm-real', m.mismatch.real));
    mm.append(s, r);
    card.append(mm);
  }
  const warns = m.warnings.filter((w) => w.kind !== 'mismatch');
  if (m.reasons.length) {
    card.append(el(doc, 'div', 'rh', m.reasonsHeading));
    const ul = el(doc, 'ul', 'reasons');
    for (const r of m.reasons) ul.append(el(doc, 'li', r.level, r.text));
    card.append(ul);
  }
  if (warns.length) {
    const ul = el(doc, 'ul', 'warnings');
    for (const w of warns) {
      const li = el(doc, 'li', 'warning', w.text);
      li.dataset.kind = w.kind;
      ul.append(li);
    }
    card.append(ul);
  }
  if (m.note) card.append(el(doc, 'div', 'note', m.note));
  if (m.screenshot) {
    const img = el(doc, 'img', 'shot');
    img.alt = m.screenshot.alt;
    img.src = m.screenshot.src;
    card.append(img);
  }
  return card;
}

/**
 * place returns the card's top-left corner (viewport coordinates) for a
 * link's rectangle and the card's size: below the link, else above it,
 * else beside it, and never over it.
 */
export function place(link, size, viewport, gap = 6) {
  const clampX = (x) => Math.max(4, Math.min(x, viewport.width - size.width - 4));
  const clampY = (y) => Math.max(4, Math.min(y, viewport.height - size.height - 4));
  if (link.bottom + gap + size.height <= viewport.height) return { left: clampX(link.left), top: link.bottom + gap };
  if (link.top - gap - size.height >= 0) return { left: clampX(link.left), top: link.top - gap - size.height };
  if (link.right + gap + size.width <= viewport.width) return { left: link.right + gap, top: clampY(link.top) };
  if (link.left - gap - size.width >= 0) return { left: link.left - gap - size.width, top: clampY(link.top) };
  // No room anywhere: below the link, even if the card runs off the view.
  return { left: clampX(link.left), top: link.bottom + gap };
}
