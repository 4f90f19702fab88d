// The options page: server URL, API token, link bases, excluded sites and
// the organisation's domains, in chrome.storage.local; values the
// administrator set through policy (chrome.storage.managed) are shown
// locked. No permission is asked for: the server answers this extension's
// origin with CORS (serve.extension_origins).

import { KEYS, load, normalizeServer } from './settings.js';

const lists = new Set(['link_bases', 'excluded_sites', 'protected_domains']);
const $ = (id) => document.getElementById(id);

async function show() {
  const { settings, locked } = await load();
  const local = await chrome.storage.local.get(KEYS);
  for (const k of KEYS) {
    const v = locked.includes(k) ? settings[k] : local[k] ?? (lists.has(k) ? [] : '');
    $(k).value = lists.has(k) ? (v || []).join('\n') : v || '';
    $(k).disabled = locked.includes(k);
  }
  $('locked').hidden = locked.length === 0;
  $('origin').textContent = chrome.runtime.getURL('').replace(/\/$/, '');
}

$('form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const out = {};
  for (const k of KEYS) {
    if ($(k).disabled) continue;
    const v = $(k).value.trim();
    out[k] = lists.has(k) ? v.split(/\s+/).filter(Boolean) : v;
  }
  if (out.server_url !== undefined && out.server_url !== '') {
    const s = normalizeServer(out.server_url);
    if (!s) {
      $('status').textContent = 'The server URL must be an http or https URL.';
      return;
    }
    out.server_url = s;
  }
  await chrome.storage.local.set(out);
  $('status').textContent = 'Saved. 保存しました。';
});

show();
