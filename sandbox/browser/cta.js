// Runs in an isolated world of the main frame. It finds the page's single
// obvious call to action: one visible button or link in the page's content
// (not in its navigation, header, footer or a list, where every site has a
// "Login" link) whose text is a sign-in word ("ログイン", "Sign in") or a
// download word ("ダウンロード", "Download", "インストール"), that leads
// nowhere else (a script, the same origin) and submits no form. Sign-in
// comes first: the download call to action is taken only when the page has
// no sign-in one. Two different targets of the kind taken are no single
// call to action. It scrolls the element into view and returns the JSON
// {x, y, text, kind} of its centre, or '' when there is none. It clicks
// nothing itself: the click is a real one (Input domain).
(() => {
  const kinds = {
    signin: new Set(['signin', 'login', 'logon', 'signon', 'continue', 'continuetosignin',
      'ログイン', 'サインイン', '続ける', '続行', 'ログインする', 'サインインする', 'ログインはこちら',
      'ログインして続ける', 'サインインして続ける']),
    download: new Set(['download', 'downloadnow', 'downloadapp', 'downloadtheapp', 'install', 'installnow', 'installapp',
      'ダウンロード', 'ダウンロードする', 'ダウンロードはこちら', '今すぐダウンロード', 'アプリをダウンロード',
      'アプリをダウンロードする', 'インストール', 'インストールする', '今すぐインストール', 'アプリをインストール',
      'アプリをインストールする']),
  };
  const norm = (s) => String(s == null ? '' : s).normalize('NFKC').toLowerCase().replace(/[\s\-_>›»→。.!！]+/g, '');
  const visible = (el) => {
    if (typeof el.checkVisibility === 'function' &&
        !el.checkVisibility({opacityProperty: true, visibilityProperty: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width >= 2 && r.height >= 2;
  };
  const textOf = (el) => el.tagName === 'INPUT' ? el.value : (el.innerText || el.getAttribute('aria-label') || '');
  const navigation = 'nav,header,footer,aside,menu,li,dialog:not([open]),[role=navigation],[role=menu],[role=menubar],[role=banner],[role=contentinfo]';
  const here = location.href.split('#')[0];
  const found = {signin: new Map(), download: new Map()}; // where it leads (or the element itself) -> element
  for (const el of document.querySelectorAll('a[href],button,input[type=button],input[type=submit],[role=button],[onclick]')) {
    const text = textOf(el);
    if (text.length > 40) continue;
    const n = norm(text);
    const kind = kinds.signin.has(n) ? 'signin' : kinds.download.has(n) ? 'download' : '';
    if (!kind) continue;
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
    if (!found[kind].has(key)) found[kind].set(key, el);
  }
  let kind = '';
  if (found.signin.size === 1) kind = 'signin';
  else if (found.signin.size === 0 && found.download.size === 1) kind = 'download';
  if (!kind) return '';
  const el = found[kind].values().next().value;
  el.scrollIntoView({block: 'center', inline: 'center'});
  const r = el.getBoundingClientRect();
  const x = r.left + r.width / 2, y = r.top + r.height / 2;
  const hit = document.elementFromPoint(x, y);
  if (!hit || !(hit === el || el.contains(hit))) return ''; // covered
  return JSON.stringify({x, y, text: String(textOf(el)).trim().slice(0, 40), kind});
})()
