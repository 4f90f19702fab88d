// Runs in an isolated world of the main frame. It finds the page's single
// obvious call to action to sign in: one visible button or link in the
// page's content (not in its navigation, header, footer or a list, where
// every site has a "Login" link) whose text is a sign-in word, that leads
// nowhere else (a script, the same origin) and submits no form. It scrolls it into view and returns the
// JSON {x, y, text} of its centre, or '' when there is none or more than
// one. It clicks nothing itself: the click is a real one (Input domain).
(() => {
  const words = new Set(['signin', 'login', 'logon', 'signon', 'continue', 'continuetosignin',
    'ログイン', 'サインイン', '続ける', '続行', 'ログインする', 'サインインする', 'ログインはこちら',
    'ログインして続ける', 'サインインして続ける']);
  const norm = (s) => String(s == null ? '' : s).normalize('NFKC').toLowerCase().replace(/[\s\-_>›»→。.!！]+/g, '');
  const visible = (el) => {
    if (typeof el.checkVisibility === 'function' &&
        !el.checkVisibility({opacityProperty: true, visibilityProperty: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width >= 2 && r.height >= 2;
  };
  const navigation = 'nav,header,footer,aside,menu,li,dialog:not([open]),[role=navigation],[role=menu],[role=menubar],[role=banner],[role=contentinfo]';
  const here = location.href.split('#')[0];
  const found = new Map(); // where it leads (or the element itself) -> element
  for (const el of document.querySelectorAll('a[href],button,input[type=button],input[type=submit],[role=button],[onclick]')) {
    const text = el.tagName === 'INPUT' ? el.value : (el.innerText || el.getAttribute('aria-label') || '');
    if (text.length > 40 || !words.has(norm(text))) continue;
    if (el.closest(navigation)) continue;
    if (el.form && el.type === 'submit') continue; // never submit a form
    if (el.tagName === 'INPUT' && el.type === 'submit') continue;
    let key = el;
    if (el.tagName === 'A') {
      if (el.target && el.target.toLowerCase() !== '_self') continue; // another window
      const raw = (el.getAttribute('href') || '').trim();
      if (!/^javascript:/i.test(raw) && raw !== '' && !raw.startsWith('#')) {
        let u;
        try { u = new URL(el.href); } catch (e) { continue; }
        if (u.origin !== location.origin) continue;
        const dest = u.href.split('#')[0];
        if (dest !== here) key = dest;
      }
    }
    if (!visible(el)) continue;
    if (!found.has(key)) found.set(key, el);
    if (found.size > 1) return '';
  }
  if (found.size !== 1) return '';
  const el = found.values().next().value;
  el.scrollIntoView({block: 'center', inline: 'center'});
  const r = el.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  if (!hit || !(hit === el || el.contains(hit))) return ''; // covered
  const text = el.tagName === 'INPUT' ? el.value : (el.innerText || el.getAttribute('aria-label') || '');
  return JSON.stringify({x, y, text: String(text).trim().slice(0, 40)});
})()
