// Settings: what the user saved on the options page (chrome.storage.local),
// under what the administrator set through enterprise policy
// (chrome.storage.managed, schema in static/schema.json). A managed value
// wins and the options page shows it locked.

export const KEYS = ['server_url', 'api_token', 'link_bases', 'excluded_sites', 'protected_domains'];

export const DEFAULTS = Object.freeze({
  server_url: '',
  api_token: '',
  link_bases: [],
  excluded_sites: [],
  protected_domains: [],
});

async function managed() {
  try {
    return (await chrome.storage.managed.get(KEYS)) ?? {};
  } catch {
    return {}; // no policy (or a browser without managed storage)
  }
}

/** load returns { settings, locked }: the merged values and the managed keys. */
export async function load() {
  const [local, admin] = await Promise.all([chrome.storage.local.get(KEYS), managed()]);
  const settings = { ...DEFAULTS };
  const locked = [];
  for (const k of KEYS) {
    if (admin[k] !== undefined) {
      settings[k] = admin[k];
      locked.push(k);
    } else if (local[k] !== undefined) {
      settings[k] = local[k];
    }
  }
  settings.server_url = normalizeServer(settings.server_url);
  settings.link_bases = (settings.link_bases || []).map((b) => String(b).replace(/\/+$/, '')).filter(Boolean);
  // Kensa links are usually under the server's own URL.
  if (settings.link_bases.length === 0 && settings.server_url) settings.link_bases = [settings.server_url];
  return { settings, locked };
}

/** normalizeServer returns the server's origin-and-path without a trailing slash, or '' when it is not an http(s) URL. */
export function normalizeServer(s) {
  if (!s) return '';
  try {
    const u = new URL(String(s).trim());
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return '';
    return (u.origin + u.pathname).replace(/\/+$/, '');
  } catch {
    return '';
  }
}

/** excluded reports whether a page's host is one of the excluded sites (a host or a parent domain). */
export function excluded(host, sites) {
  host = String(host || '').toLowerCase();
  return (sites || []).some((s) => {
    s = String(s).trim().toLowerCase().replace(/^\*\./, '');
    return s !== '' && (host === s || host.endsWith('.' + s));
  });
}
