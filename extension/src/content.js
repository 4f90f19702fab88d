// The content script, in every frame of http(s) pages (webmail reading
// panes are often iframes). It listens on the document for hover and
// focus on links, so links added later (a webmail client rendering the
// next message) need nothing more. It reads only the hovered link's
// target and text, and the page's language; it sends only the link
// (target and text) to the service worker, which alone talks to the
// Kensa server.

import { cardModel, renderCard, place, CSS } from './card.js';
import { pickLang } from './messages.js';

const HOVER_MS = 300;
const MAX_POLL = 60; // polls of a "checking" answer while the card is open

let timer = 0;
let current = null; // { link, host, card, token }
let seq = 0;

function linkOf(target) {
  const a = target instanceof Element ? target.closest('a[href], area[href]') : null;
  if (!a) return null;
  let href;
  try {
    href = new URL(a.href, document.baseURI).href;
  } catch {
    return null;
  }
  return /^https?:/i.test(href) ? { a, href } : null;
}

function langOf(a) {
  const holder = a.closest('[lang]');
  return pickLang(holder?.getAttribute('lang'), document.documentElement.lang, navigator.language);
}

function ask(msg) {
  return new Promise((resolve) => {
    try {
      chrome.runtime.sendMessage(msg, (r) => resolve(chrome.runtime.lastError ? null : r));
    } catch {
      resolve(null); // the extension was reloaded under the page
    }
  });
}

function close() {
  clearTimeout(timer);
  if (current) {
    current.host.remove();
    current = null;
  }
}

async function open(a, href) {
  close();
  const token = ++seq;
  const text = (a.innerText || a.textContent || '').trim().slice(0, 500);
  const lang = langOf(a);
  let info = await ask({ type: 'inspect', href, text });
  if (!info || info.excluded || token !== seq) return;
  show(a, info, lang, token);
  for (let i = 0; i < MAX_POLL && info.check?.status === 'checking'; i++) {
    await new Promise((r) => setTimeout(r, Math.max(500, info.check.retry_ms || 1000)));
    if (token !== seq || !current || !a.isConnected) return;
    const next = await ask({ type: 'inspect', href, text, poll: true });
    if (!next || token !== seq || !current) return;
    info = next;
    show(a, info, lang, token);
  }
}

function show(a, info, lang, token) {
  const model = cardModel(info, lang);
  let host = current?.host;
  if (!host) {
    host = document.createElement('kensa-card');
    host.style.cssText = 'all: initial; position: fixed; left: 0; top: 0; width: 0; height: 0; z-index: 2147483647;';
    // Open, so that tests can read it; a page can draw anything over
    // itself anyway, and the card holds nothing the page does not know
    // but the verdict.
    const root = host.attachShadow({ mode: 'open' });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS); // constructed: not blocked by the page's style-src
    root.adoptedStyleSheets = [sheet];
    root.addEventListener('click', (e) => {
      if (e.target instanceof Element && e.target.dataset.action === 'close') close();
    });
    host.addEventListener('mouseenter', () => clearTimeout(timer));
    host.addEventListener('mouseleave', () => scheduleClose());
    document.documentElement.append(host);
  }
  const root = host.shadowRoot;
  const card = renderCard(document, model);
  card.style.visibility = 'hidden';
  root.querySelector('.card')?.remove();
  root.append(card);
  position(a, card);
  // The screenshot has a fixed size, but place the card again when it
  // loads in case a font or the page's zoom changed its height.
  card.querySelector('img')?.addEventListener('load', () => position(a, card));
  card.style.visibility = 'visible';
  current = { link: a, host, token };
}

function position(a, card) {
  const r = a.getBoundingClientRect();
  const size = card.getBoundingClientRect();
  const p = place(r, { width: size.width, height: size.height }, { width: window.innerWidth, height: window.innerHeight });
  card.style.left = p.left + 'px';
  card.style.top = p.top + 'px';
}

function scheduleClose() {
  clearTimeout(timer);
  timer = setTimeout(() => {
    seq++;
    close();
  }, 400);
}

document.addEventListener('mouseover', (e) => {
  const l = linkOf(e.target);
  if (!l) return;
  if (current?.link === l.a) {
    clearTimeout(timer);
    return;
  }
  clearTimeout(timer);
  timer = setTimeout(() => open(l.a, l.href), HOVER_MS);
}, true);

document.addEventListener('mouseout', (e) => {
  const l = linkOf(e.target);
  if (!l) return;
  if (e.relatedTarget instanceof Node && l.a.contains(e.relatedTarget)) return;
  if (current?.link === l.a) scheduleClose();
  else clearTimeout(timer);
}, true);

document.addEventListener('focusin', (e) => {
  const l = linkOf(e.target);
  if (!l) return;
  clearTimeout(timer);
  timer = setTimeout(() => open(l.a, l.href), HOVER_MS);
}, true);

document.addEventListener('focusout', (e) => {
  const l = linkOf(e.target);
  if (l && current?.link === l.a) {
    seq++;
    close();
  }
}, true);

// Escape closes the card wherever it is: the key goes to the focused
// frame, the card may be in another (a reading pane), so the service
// worker passes it on to every frame of the tab.
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape') return;
  if (current) {
    seq++;
    close();
  } else {
    ask({ type: 'escape' });
  }
}, true);

chrome.runtime.onMessage.addListener((msg, sender) => {
  if (sender.id === chrome.runtime.id && msg?.type === 'close' && current) {
    seq++;
    close();
  }
});

window.addEventListener('scroll', () => {
  if (current) {
    seq++;
    close();
  }
}, { capture: true, passive: true });
