// Drives Debian's Chromium through the SOC console with playwright-core.
// Run by clickproxy/console_browser_test.go (TestConsoleBrowser) against a
// real click proxy with real Redis on loopback; every value comes from the
// environment. Exits non-zero, with the reason, on the first failed check.
//
//   KENSA_BASE        http://127.0.0.1:PORT
//   KENSA_ADMIN       email:password of an admin
//   KENSA_VIEWER      email:password of a viewer
//   KENSA_HOST        a host whose clicks are in the log (malicious, with a screenshot)
//   KENSA_RETRO       a host whose clean clicks were condemned later (retro-hunt hits)
//   KENSA_LINK        a Kensa link of this proxy, to decode (to KENSA_HOST, for taro@example.co.jp)
//   KENSA_OVERRIDE    a registrable domain to block through the console
//   KENSA_SHOTS       optional: a folder for screenshots of every page (ja and en)
//   CHROMIUM          default /usr/bin/chromium
import { chromium } from 'playwright-core';
import path from 'node:path';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const base = env('KENSA_BASE');
const [adminEmail, adminPass] = env('KENSA_ADMIN').split(/:(.*)/s);
const [viewerEmail, viewerPass] = env('KENSA_VIEWER').split(/:(.*)/s);
const host = env('KENSA_HOST');
const overrideDomain = env('KENSA_OVERRIDE');
const retroHost = env('KENSA_RETRO');
const kensaLink = env('KENSA_LINK');
const shots = process.env.KENSA_SHOTS || '';

function check(cond, what) {
  if (!cond) throw new Error('check failed: ' + what);
  console.log('ok   ' + what);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
});

// Every request the console's pages make must stay on its own origin.
function watchOrigin(page) {
  page.on('request', (r) => {
    if (!r.url().startsWith(base + '/') && !r.url().startsWith('data:')) {
      throw new Error('request to another origin: ' + r.url());
    }
  });
}

async function shot(page, name) {
  if (shots) await page.screenshot({ path: path.join(shots, `console-${name}.png`), fullPage: true });
}

async function login(page, email, pass) {
  await page.goto(base + '/console/');
  check(page.url() === base + '/console/login', `not signed in: redirected to the sign-in page (${page.url()})`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', pass);
  await Promise.all([page.waitForLoadState('load'), page.click('button[type=submit]')]);
  await page.waitForURL(base + '/console/');
}

let failures = 0;
try {
  for (const [lang, locale] of [['en', 'en-US'], ['ja', 'ja-JP']]) {
    const ctx = await browser.newContext({ locale, viewport: { width: 1360, height: 900 } });
    const page = await ctx.newPage();
    watchOrigin(page);
    const errors = [];
    // CSP violations and script errors; not the status of a refused sign-in.
    page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));

    // Sign-in: a wrong password first, then the right one.
    await page.goto(base + '/console/login');
    await shot(page, `login-${lang}`);
    await page.fill('input[name=email]', adminEmail);
    await page.fill('input[name=password]', adminPass + 'x');
    await Promise.all([
      page.waitForResponse((r) => r.url() === base + '/console/login' && r.request().method() === 'POST'),
      page.click('button[type=submit]'),
    ]);
    await page.locator('.problem').waitFor();
    check(await page.locator('.problem').count() === 1, `${lang}: a wrong password is refused with a message`);
    await login(page, adminEmail, adminPass);
    const cookies = await ctx.cookies();
    const sess = cookies.find((c) => c.name.includes('kensa-session'));
    check(sess && sess.httpOnly && sess.sameSite === 'Strict', `${lang}: the session cookie is HttpOnly and SameSite=Strict`);

    // Home: counts, the SVG chart, top domains, reports waiting.
    check(await page.locator('html').getAttribute('lang') === lang, `${lang}: the page is in ${lang}`);
    check(await page.locator('svg.chart polyline').count() > 0, `${lang}: home has the clicks-over-time chart`);
    check((await page.locator('.tile').count()) >= 3, `${lang}: home has the counts by action`);
    check(await page.getByRole('link', { name: host.split('.').slice(-2).join('.') }).count() > 0 ||
      await page.locator('text=' + host.split('.').slice(-2).join('.')).count() > 0, `${lang}: home lists the clicked domain`);
    check(await page.locator('section.retro tbody tr', { hasText: retroHost }).count() === 2, `${lang}: home's retro-hunt lists the two clicks on ${retroHost}`);
    await shot(page, `home-${lang}`);

    // Click search by host.
    await page.goto(base + '/console/clicks');
    await page.fill('input[name=host]', host);
    await Promise.all([page.waitForURL(/\/console\/clicks\?/), page.click('form.filters button[type=submit]')]);
    const rows = page.locator('table.clicks tbody tr.act-block');
    check(await rows.count() >= 1, `${lang}: the search finds the blocked click on ${host}`);
    check(await page.locator('table.clicks tbody tr').filter({ hasNotText: host }).count() === 0, `${lang}: and only clicks on ${host}`);
    const exp = await page.request.get(base + await page.locator('p.export a').first().getAttribute('href'));
    check(exp.status() === 200 && (await exp.text()).split('\n')[0].startsWith('@timestamp,'), `${lang}: the search exports as CSV (ECS header)`);
    await shot(page, `clicks-${lang}`);

    // A pasted Kensa link, with the text a mail client ran into it.
    await page.fill('input[name=link]', kensaLink + '）を確認');
    await Promise.all([page.waitForURL(/link=/), page.click('form:has(input[name=link]) button')]);
    const dec = page.locator('section.decoded');
    check(await dec.count() === 1 && (await dec.textContent()).includes(host) && (await dec.textContent()).includes('taro@example.co.jp'),
      `${lang}: a pasted link is decoded (destination, recipient)`);

    // The URL's page: renders with the screenshot and chain, and the clickers.
    await Promise.all([page.waitForURL(/\/console\/url\?/), rows.first().locator('td.url a').click()]);
    check(await page.locator('.render').count() >= 1, `${lang}: the URL page shows its render`);
    const img = page.locator('.render img').first();
    check(await img.count() === 1, `${lang}: the render has a screenshot`);
    check(await img.evaluate((i) => i.complete && i.naturalWidth > 0), `${lang}: the screenshot loads (the session authenticates it)`);
    check(await page.locator('table.clicks tbody tr.act-block').count() >= 1, `${lang}: the URL page lists who clicked`);
    await shot(page, `url-${lang}`);

    // An override with a reason and an expiry.
    await page.goto(base + '/console/overrides');
    const value = lang + '.' + overrideDomain;
    await page.selectOption('form.filters select[name=list]', 'block');
    await page.selectOption('form.filters select[name=kind]', 'host');
    await page.fill('form.filters input[name=value]', value);
    await page.fill('form.filters input[name=note]', `e2e ${lang}: campaign`);
    await page.selectOption('form.filters select[name=expires]', '24h');
    await Promise.all([page.waitForURL(/done=override/), page.click('form.filters button[type=submit]')]);
    check(await page.locator('.flash').count() === 1, `${lang}: the override is confirmed`);
    check(await page.locator('tr', { hasText: value }).count() === 1, `${lang}: the override is listed`);
    await shot(page, `overrides-${lang}`);

    // Review a report.
    await page.goto(base + '/console/reports?status=new');
    const form = page.locator('form[action="/console/reports/review"]').first();
    check(await form.count() === 1, `${lang}: a report is waiting`);
    await shot(page, `reports-${lang}`);
    await form.locator('select[name=outcome]').selectOption('malicious');
    await form.locator('input[name=note]').fill(`e2e ${lang}`);
    await Promise.all([page.waitForURL(/done=review/), form.locator('button').click()]);
    await page.goto(base + '/console/reports?status=reviewed');
    check(await page.locator('tr.rep-reviewed', { hasText: `e2e ${lang}` }).count() === 1, `${lang}: the report is reviewed with its outcome`);

    // The audit log has both changes, by this user.
    await page.goto(base + '/console/audit');
    check(await page.locator('tr', { hasText: value }).filter({ hasText: adminEmail }).count() === 1, `${lang}: the audit log has the override, by ${adminEmail}`);
    await shot(page, `audit-${lang}`);

    // Users and tokens (admin): a new token is shown once.
    await page.goto(base + '/console/users');
    await page.fill('input[name=name]', `siem-${lang}`);
    await Promise.all([
      page.waitForResponse((r) => r.url() === base + '/console/tokens' && r.request().method() === 'POST'),
      page.click('form[action="/console/tokens"] button'),
    ]);
    const secret = await page.locator('.secret-value').textContent();
    check(/^kensa_[A-Za-z0-9_-]{40,}$/.test(secret || ''), `${lang}: a new token is shown once`);
    await shot(page, `users-${lang}`);
    await page.goto(base + '/console/users');
    check(await page.locator('.secret-value').count() === 0 && !(await page.content()).includes(secret), `${lang}: and never again`);

    // Sign out ends the session.
    await Promise.all([page.waitForURL(/\/console\/login/), page.click('form.who button')]);
    await page.goto(base + '/console/');
    check(page.url() === base + '/console/login', `${lang}: after signing out the console asks to sign in`);
    check(errors.length === 0, `${lang}: no console errors (CSP violations included): ${errors.join('; ')}`);
    await ctx.close();
  }

  // A viewer reads, but cannot override: no form, and the server refuses
  // the request even with the session's own CSRF token.
  const ctx = await browser.newContext({ locale: 'en-US' });
  const page = await ctx.newPage();
  watchOrigin(page);
  await login(page, viewerEmail, viewerPass);
  await page.goto(base + '/console/overrides');
  check(await page.locator('form[action="/console/overrides"]').count() === 0, 'viewer: no override form');
  check(await page.locator('a[href="/console/users"]').count() === 0, 'viewer: no users link');
  const csrf = await page.locator('form.who input[name=csrf]').getAttribute('value');
  const res = await page.request.post(base + '/console/overrides', {
    form: { csrf, list: 'block', kind: 'domain', value: 'viewer-' + overrideDomain, note: 'should fail' },
    maxRedirects: 0,
  });
  check(res.status() === 403, `viewer: POST /console/overrides is refused (${res.status()})`);
  const users = await page.goto(base + '/console/users');
  check(users.status() === 403, `viewer: the users page is refused (${users.status()})`);
  await shot(page, 'forbidden-en');
  await ctx.close();
} catch (e) {
  console.error(String(e && e.stack || e));
  failures++;
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);
