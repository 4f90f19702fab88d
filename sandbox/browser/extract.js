// Runs in an isolated world of the main frame (the page's own scripts
// cannot see it or tamper with the prototypes it uses). It only reads the
// DOM: it never focuses, clicks, types or submits. It returns a JSON string.
//
// It walks the document, its open shadow roots and the frames it can
// reach. extra holds what page JavaScript cannot reach, found through the
// DevTools protocol (closed shadow roots, documents of frames with another
// origin in this process, such as a sandboxed srcdoc iframe), as pairs:
// the owner (the shadow host or the frame element), then the root.
function (...extra) {
  const MAX_TEXT = 20000, MAX_FORMS = 50, MAX_INPUTS = 200, MAX_IMAGES = 100, MAX_ROOTS = 300,
    MAX_LINKS = 300, MAX_SCRIPT_SRCS = 100, MAX_INLINE = 100000;
  const out = {url: location.href, title: document.title || '', text: '', forms: [], images: [], links: [],
    scriptSources: [], inlineScripts: '', metaRefresh: null, siteName: '', icons: [], headings: [], copyright: ''};
  let inlineLen = 0;
  const texts = [];
  let roots = 0, textLen = 0;
  const skipText = new Set(['STYLE', 'SCRIPT', 'TEMPLATE', 'NOSCRIPT', 'LINK', 'META']);
  const clip = (s, n) => String(s == null ? '' : s).replace(/\s+/g, ' ').trim().slice(0, n);
  const attr = (el, n) => el.getAttribute(n);
  const addText = (s) => {
    if (!s || textLen >= MAX_TEXT) return;
    s = String(s).trim();
    if (!s) return;
    texts.push(s);
    textLen += s.length + 1;
  };
  const resolve = (u, doc) => {
    if (u == null) return '';
    u = String(u).trim();
    if (!u) return '';
    try { return new URL(u, doc.baseURI).href; } catch (e) { return u; }
  };
  const visible = (el, frameVisible) => {
    if (!frameVisible) return false;
    if (el.tagName === 'INPUT' && el.type === 'hidden') return false;
    if (typeof el.checkVisibility === 'function' &&
        !el.checkVisibility({opacityProperty: true, visibilityProperty: true})) return false;
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    if (r.right <= 0 || r.bottom <= 0) return false; // pushed off the page
    return true;
  };
  const label = (el) => {
    let t = '';
    if (el.labels && el.labels.length) t = Array.from(el.labels).map(l => l.innerText || l.textContent).join(' ');
    if (!clip(t, 1)) t = attr(el, 'aria-label') || '';
    if (!clip(t, 1)) {
      const ids = attr(el, 'aria-labelledby');
      const root = el.getRootNode();
      if (ids && root && root.getElementById) {
        t = ids.split(/\s+/).map(id => { const e = root.getElementById(id); return e ? e.textContent : ''; }).join(' ');
      }
    }
    if (!clip(t, 1)) t = attr(el, 'title') || '';
    return clip(t, 200);
  };
  // A text field drawn with dots (-webkit-text-security) looks like a
  // password field to the person typing; the computed style counts, so a
  // class or a shadow root's style sheet cannot hide it.
  const masked = (el) => {
    if (el.tagName !== 'TEXTAREA' && !/^(text|search|tel|url|email|number|)$/.test(String(el.type || ''))) return false;
    const v = getComputedStyle(el).getPropertyValue('-webkit-text-security');
    return !!v && v.trim() !== 'none';
  };
  const walked = new Set();
  const walk = (root, doc, frameVisible) => {
    if (walked.has(root) || ++roots > MAX_ROOTS) return;
    walked.add(root);
    // Visible text.
    if (root.nodeType === 9) {
      if (doc.body && frameVisible) addText(doc.body.innerText);
    } else if (frameVisible) {
      for (const c of root.children) if (!skipText.has(c.tagName)) addText(c.innerText);
    }
    // Headings and legends: a kit's "Sign in to <brand>".
    for (const h of root.querySelectorAll('h1,h2,h3,legend,[role="heading"]')) {
      if (out.headings.length >= 30) break;
      const t = clip(h.innerText, 200);
      if (t && visible(h, frameVisible)) out.headings.push(t);
    }
    // Forms, then the fields, grouped by their form.
    const byForm = new Map();
    for (const f of root.querySelectorAll('form')) {
      if (out.forms.length >= MAX_FORMS) break;
      let action = resolve(attr(f, 'action'), doc);
      if (!action) {
        const s = f.querySelector('[formaction]');
        if (s) action = resolve(attr(s, 'formaction'), doc);
      }
      const m = (attr(f, 'method') || 'get').trim().toUpperCase();
      const entry = {action, method: m === 'POST' || m === 'DIALOG' ? m : 'GET', frame: doc.URL, inputs: []};
      byForm.set(f, entry);
      out.forms.push(entry);
    }
    let loose = null;
    for (const el of root.querySelectorAll('input,select,textarea')) {
      let type = el.tagName === 'INPUT' ? String(el.type || 'text').toLowerCase() : el.tagName.toLowerCase();
      if (type === 'submit' || type === 'button' || type === 'reset' || type === 'image') continue;
      const entry0 = el.form ? byForm.get(el.form) : null;
      let entry = entry0;
      if (!entry) {
        if (!loose) {
          if (out.forms.length >= MAX_FORMS) continue;
          loose = {action: '', method: '', frame: doc.URL, inputs: []};
          out.forms.push(loose);
        }
        entry = loose;
      }
      if (entry.inputs.length >= MAX_INPUTS) continue;
      entry.inputs.push({
        type,
        name: clip(attr(el, 'name'), 200),
        id: clip(el.id, 200),
        placeholder: clip(attr(el, 'placeholder'), 200),
        label: label(el),
        autocomplete: clip(attr(el, 'autocomplete'), 100),
        visible: visible(el, frameVisible),
        masked: masked(el),
      });
    }
    for (const img of root.querySelectorAll('img')) {
      if (out.images.length >= MAX_IMAGES) break;
      let src = String(img.currentSrc || img.src || '');
      if (src.startsWith('data:')) src = src.slice(0, 80) + '...';
      out.images.push({src: src.slice(0, 2048), alt: clip(attr(img, 'alt'), 300)});
    }
    for (const a of root.querySelectorAll('a[href],area[href]')) {
      if (out.links.length >= MAX_LINKS) break;
      const href = resolve(attr(a, 'href'), doc);
      if (!/^https?:/i.test(href)) continue;
      out.links.push({url: href.slice(0, 4096), text: clip(a.innerText || attr(a, 'aria-label') || attr(a, 'title'), 200)});
    }
    for (const s of root.querySelectorAll('script')) {
      const src = attr(s, 'src');
      if (src) {
        if (out.scriptSources.length < MAX_SCRIPT_SRCS) out.scriptSources.push(resolve(src, doc).slice(0, 2048));
      } else if (inlineLen < MAX_INLINE) {
        const t = String(s.textContent || '').slice(0, MAX_INLINE - inlineLen);
        out.inlineScripts += t + '\n';
        inlineLen += t.length + 1;
      }
    }
    // Open shadow roots and same-origin frames.
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) walk(el.shadowRoot, doc, frameVisible);
      if (el.tagName === 'IFRAME' || el.tagName === 'FRAME') {
        let d = null;
        try { d = el.contentDocument; } catch (e) { d = null; }
        if (d && d.documentElement) walk(d, d, frameVisible && visible(el, true));
      }
    }
  };
  walk(document, document, true);
  for (let i = 0; i + 1 < extra.length; i += 2) {
    const owner = extra[i], root = extra[i + 1];
    if (!root || walked.has(root)) continue;
    if (root.nodeType === 9) {
      if (root.documentElement) walk(root, root, !owner || visible(owner, true));
    } else {
      walk(root, root.ownerDocument || document, true);
    }
  }
  const meta = document.querySelector('meta[http-equiv="refresh" i]');
  if (meta) {
    const m = /^\s*(\d+(?:\.\d*)?)/.exec(attr(meta, 'content') || '');
    if (m) out.metaRefresh = parseFloat(m[1]);
  }
  // Where the site names itself: its head, its icons and its footer.
  for (const sel of ['meta[property="og:site_name" i]', 'meta[name="application-name" i]', 'meta[name="apple-mobile-web-app-title" i]']) {
    const m = document.querySelector(sel);
    if (m && clip(attr(m, 'content'), 1)) { out.siteName = clip(attr(m, 'content'), 200); break; }
  }
  for (const l of document.querySelectorAll('link[rel~="icon" i],link[rel="apple-touch-icon" i]')) {
    if (out.icons.length >= 8) break;
    const u = resolve(attr(l, 'href'), document);
    if (/^https?:/i.test(u)) out.icons.push(u.slice(0, 2048));
  }
  const body = document.body ? String(document.body.innerText || '') : '';
  for (const line of body.split('\n').reverse()) {
    if (/©|\bcopyright\b|\(c\)\s*(19|20)\d\d|all rights reserved|著作権/i.test(line)) { out.copyright = clip(line, 300); break; }
  }
  out.text = texts.join('\n').slice(0, MAX_TEXT);
  return JSON.stringify(out);
}
