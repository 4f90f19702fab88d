// The service worker: it alone holds the settings and talks to the Kensa
// server. For each hovered link it decodes a Kensa link locally, asks the
// server (GET /api/v1/check with the link, nothing else), fetches the
// screenshot, and keeps answers for a short time in storage.session
// (cleared with the browser session; the worker itself may be stopped at
// any time, so nothing lives in globals).

import contract from './generated/contract.js';
import { decodeLink, hasLinkShape, LinkError } from './linktoken.js';
import { protectedList } from './lookalike.js';
import { load, excluded } from './settings.js';
import { worse } from './card.js';

const DONE_TTL_MS = 60_000; // a verdict is re-asked after a minute
const FETCH_TIMEOUT_MS = 10_000;

async function cached(key) {
  const v = (await chrome.storage.session.get(key))[key];
  if (v && v.expires > Date.now()) return v.value;
  return null;
}

async function keep(key, value, ttl) {
  await chrome.storage.session.set({ [key]: { value, expires: Date.now() + ttl } });
}

async function fetchJSON(url, token) {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), FETCH_TIMEOUT_MS);
  try {
    const r = await fetch(url, {
      headers: { Authorization: 'Bearer ' + token },
      credentials: 'omit', referrerPolicy: 'no-referrer', cache: 'no-store', signal: ctl.signal,
    });
    const body = await r.json().catch(() => null);
    if (!r.ok) return { error: { code: body?.code || 'http-' + r.status, message: body?.error || '' } };
    return { body };
  } catch (e) {
    return { error: { code: e.name === 'AbortError' ? 'timeout' : 'unreachable' } };
  } finally {
    clearTimeout(t);
  }
}

async function screenshot(server, path) {
  // Only a path on the server itself (api.Check.screenshot).
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//')) return null;
  const key = 'shot:' + path;
  const hit = await cached(key);
  if (hit) return hit;
  try {
    const r = await fetch(new URL(server).origin + path, { credentials: 'omit', referrerPolicy: 'no-referrer' });
    if (!r.ok || !/^image\/(jpeg|png)$/.test(r.headers.get('Content-Type') || '')) return null;
    const b = new Uint8Array(await r.arrayBuffer());
    if (b.length > 2 << 20) return null;
    let s = '';
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
    const url = `data:${r.headers.get('Content-Type')};base64,${btoa(s)}`;
    await keep(key, url, DONE_TTL_MS);
    return url;
  } catch {
    return null;
  }
}

async function check(settings, href) {
  const key = 'check:' + href;
  const hit = await cached(key);
  if (hit) return { check: hit };
  const url = settings.server_url + contract.api_path_check + '?url=' + encodeURIComponent(href);
  const r = await fetchJSON(url, settings.api_token);
  if (r.error) return { checkError: r.error };
  const c = r.body;
  if (!c || !contract.check_statuses.includes(c.status)) return { checkError: { code: 'bad-answer' } };
  if (c.status === 'done') await keep(key, c, DONE_TTL_MS);
  return { check: c };
}

async function inspect(msg, sender) {
  const { settings } = await load();
  const pageHost = sender.url ? new URL(sender.url).hostname : '';
  if (excluded(pageHost, settings.excluded_sites)) return { excluded: true };
  const href = String(msg.href);
  const info = { href, text: String(msg.text || ''), kensa: null, kensaError: null, foreign: false, server: false, check: null, checkError: null, shot: null };
  const bases = [...settings.link_bases];
  info.bases = bases.length > 0;
  try {
    info.kensa = await decodeLink(href, bases);
  } catch (e) {
    if (!(e instanceof LinkError)) throw e;
    if (bases.some((b) => href.startsWith(b + '/k/'))) info.kensaError = { code: e.code };
    else info.foreign = hasLinkShape(href);
  }
  info.protected = protectedList(contract.brands, settings.protected_domains);
  if (settings.server_url && settings.api_token && !info.kensaError) {
    info.server = true;
    Object.assign(info, await check(settings, href));
    if (info.check?.screenshot) info.shot = await screenshot(settings.server_url, info.check.screenshot);
    if (info.check?.status === 'done' && sender.tab?.id !== undefined) await badge(sender.tab.id, info.check.level);
  } else if (settings.server_url && settings.api_token) {
    info.server = true;
  }
  return info;
}

// The toolbar badge: the worst verdict among the links hovered in a tab.
async function badge(tabId, level) {
  const key = 'tab:' + tabId;
  const prev = (await chrome.storage.session.get(key))[key] || 'clean';
  const w = worse(prev, level);
  await chrome.storage.session.set({ [key]: w });
  const text = { malicious: '!', suspicious: '?' }[w] || '';
  await chrome.action.setBadgeText({ tabId, text });
  if (text) await chrome.action.setBadgeBackgroundColor({ tabId, color: w === 'malicious' ? '#c0211b' : '#c06a00' });
}

chrome.tabs?.onRemoved?.addListener((tabId) => chrome.storage.session.remove('tab:' + tabId));

chrome.runtime.onMessage.addListener((msg, sender, reply) => {
  if (sender.id !== chrome.runtime.id) return false;
  if (msg?.type === 'escape' && sender.tab?.id !== undefined) {
    chrome.tabs.sendMessage(sender.tab.id, { type: 'close' }).catch(() => {});
    return false;
  }
  if (msg?.type !== 'inspect') return false;
  inspect(msg, sender).then(reply, (e) => reply({ href: msg.href, checkError: { code: 'internal', message: String(e) } }));
  return true; // answers asynchronously
});
