// End to end: the built extension in Debian's Chromium (playwright-core,
// persistent context, headless), a local webmail-like page (iframe reading
// pane, links in dynamically added content, a long thread), and a Kensa
// click proxy with real Redis and the real sandbox. Started by
// extension/extension_test.go (TestEndToEnd), which writes the settings
// file named by KENSA_E2E. The browser resolves no name at all: every
// page is on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const cfg = process.env.KENSA_E2E ? JSON.parse(readFileSync(process.env.KENSA_E2E)) : null;
const skip = cfg ? false : 'KENSA_E2E not set (run go test ./extension -run TestEndToEnd)';
let ctx, sw, udd;

before(async () => {
  if (!cfg) return;
  udd = mkdtempSync(join(tmpdir(), 'kensa-e2e-'));
  ctx = await chromium.launchPersistentContext(udd, {
    executablePath: cfg.chromium,
    headless: true,
    viewport: { width: 1200, height: 760 },
    args: [
      `--disable-extensions-except=${cfg.extension_dir}`, `--load-extension=${cfg.extension_dir}`,
      '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
  sw = ctx.serviceWorkers()[0] ?? (await ctx.waitForEvent('serviceworker', { timeout: 30000 }));
  assert.equal(new URL(sw.url()).host, cfg.extension_id, 'the extension ID the server allows');
});

after(async () => {
  await ctx?.close();
  if (udd) rmSync(udd, { recursive: true, force: true });
});

async function mail(lang) {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(`${cfg.webmail_url}?lang=${lang}`);
  const frame = page.frameLocator('#pane');
  await frame.locator('body[data-ready="1"]').waitFor({ timeout: 30000 });
  return { page, frame };
}

// hover hovers over a link and waits for its card's final answer.
async function hover(page, frame, id) {
  await page.keyboard.press('Escape');
  await page.mouse.move(5, 5); // off any link
  await frame.locator('kensa-card').waitFor({ state: 'detached', timeout: 10000 });
  const link = frame.locator('#' + id);
  await link.scrollIntoViewIfNeeded();
  await link.hover();
  const card = frame.locator('kensa-card .card');
  await card.waitFor({ state: 'visible', timeout: 30000 });
  // The card polls the server while it renders; wait for the verdict.
  await frame.locator('kensa-card .card:not([data-level="checking"])').waitFor({ timeout: 90000 });
  return { link, card };
}

async function noOverlap(link, card, what) {
  const a = await link.boundingBox();
  const b = await card.boundingBox();
  const overlap = a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  assert.ok(!overlap, `${what}: the card covers the link ${JSON.stringify({ a, b })}`);
}

async function shoot(page, link, card, name) {
  const a = await link.boundingBox();
  const b = await card.boundingBox();
  const x = Math.max(0, Math.min(a.x, b.x) - 16), y = Math.max(0, Math.min(a.y, b.y) - 16);
  const clip = { x, y, width: Math.max(a.x + a.width, b.x + b.width) + 16 - x, height: Math.max(a.y + a.height, b.y + b.height) + 16 - y };
  mkdirSync(cfg.screenshots, { recursive: true });
  await page.screenshot({ path: join(cfg.screenshots, name), clip });
}

const texts = (loc) => loc.allTextContents();

test('without a server: Kensa links decoded locally, mismatch and look-alike warned', { skip }, async () => {
  // As an administrator's policy would preset it: the link base only.
  await sw.evaluate((s) => chrome.storage.local.set(s), { link_bases: [cfg.link_base] });
  const { page, frame } = await mail('ja');
  const k = await hover(page, frame, 'kensa');
  assert.equal(await k.card.locator('.reg').textContent(), 'example-media.jp');
  assert.equal(await k.card.locator('.host-before').textContent(), 'news.');
  assert.match(await k.card.locator('.dest').textContent(), /\/story\?id=7$/);
  assert.equal(await k.card.locator('.kensa').count(), 1);
  assert.equal(await k.card.getAttribute('data-level'), 'unknown');
  assert.equal(await k.card.locator('.badge').textContent(), '未確認');
  assert.match(await k.card.locator('.note').textContent(), /Kensa サーバーが設定されていない/);
  await noOverlap(k.link, k.card, 'kensa');

  const m = await hover(page, frame, 'mismatch');
  assert.equal(await m.card.locator('.mm-shown').textContent(), 'amazon.co.jp');
  assert.equal(await m.card.locator('.mm-real').textContent(), 'example-shop.co.jp');
  await noOverlap(m.link, m.card, 'mismatch');

  const p = await hover(page, frame, 'phish');
  assert.equal(await p.card.getAttribute('data-level'), 'suspicious');
  assert.equal(await p.card.locator('li[data-kind="lookalike"]').count(), 1, 'local look-alike warning');

  // Escape closes it; focus opens it (keyboard users).
  await page.keyboard.press('Escape');
  await frame.locator('kensa-card').waitFor({ state: 'detached', timeout: 10000 });
  await page.mouse.move(5, 5);
  await frame.locator('#clean').focus();
  await frame.locator('kensa-card .card').waitFor({ state: 'visible', timeout: 10000 });
  await page.keyboard.press('Escape');
  await frame.locator('kensa-card').waitFor({ state: 'detached', timeout: 10000 });
});

test('with kensa serve: verdicts, reasons, screenshot, in Japanese and English', { skip }, async () => {
  await sw.evaluate((s) => chrome.storage.local.set(s), { server_url: cfg.server_url, api_token: cfg.api_token, link_bases: [cfg.link_base] });
  const { page, frame } = await mail('ja');

  const c = await hover(page, frame, 'clean');
  assert.equal(await c.card.getAttribute('data-level'), 'clean');
  assert.equal(await c.card.locator('.badge').textContent(), '問題なし');
  assert.equal(await c.card.locator('.reg').textContent(), 'example-shop.co.jp');
  assert.equal(await c.card.locator('ul.reasons li').count(), 0);
  await noOverlap(c.link, c.card, 'clean');

  const p = await hover(page, frame, 'phish');
  assert.equal(await p.card.getAttribute('data-level'), 'malicious');
  assert.equal(await p.card.locator('.badge').textContent(), '危険');
  assert.equal(await p.card.locator('.reg').textContent(), 'account-check.top');
  const reasons = await texts(p.card.locator('ul.reasons li'));
  assert.ok(reasons.length >= 1, 'reasons listed');
  assert.ok(reasons.some((r) => r.includes('楽天')), `a reason names the brand: ${reasons}`);
  await p.card.locator('img.shot').waitFor({ timeout: 10000 });
  assert.match(await p.card.locator('img.shot').getAttribute('src'), /^data:image\/jpeg;base64,/);
  assert.ok(await p.card.locator('img.shot').evaluate((img) => img.complete && img.naturalWidth > 0), 'the screenshot loads');
  await noOverlap(p.link, p.card, 'phish');
  await shoot(page, p.link, p.card, 'extension-card-ja.png');
  // The toolbar badge: the worst verdict hovered in the tab.
  const badges = await sw.evaluate(async () => {
    const tabs = await chrome.tabs.query({});
    return Promise.all(tabs.map((t) => chrome.action.getBadgeText({ tabId: t.id })));
  });
  assert.ok(badges.includes('!'), `toolbar badge: ${JSON.stringify(badges)}`);

  const k = await hover(page, frame, 'kensa');
  assert.equal(await k.card.getAttribute('data-level'), 'clean');
  assert.equal(await k.card.locator('.reg').textContent(), 'example-media.jp');
  assert.equal(await k.card.locator('.kensa').count(), 1);

  const m = await hover(page, frame, 'mismatch');
  assert.equal(await m.card.getAttribute('data-level'), 'clean');
  assert.equal(await m.card.locator('.mm-shown').textContent(), 'amazon.co.jp');
  assert.equal(await m.card.locator('.mm-real').textContent(), 'example-shop.co.jp');
  await shoot(page, m.link, m.card, 'extension-card-mismatch-ja.png');

  // English page, English card.
  const en = await mail('en');
  const pe = await hover(en.page, en.frame, 'phish');
  assert.equal(await pe.card.locator('.badge').textContent(), 'Danger');
  assert.ok((await texts(pe.card.locator('ul.reasons li'))).some((r) => /Rakuten/i.test(r)), 'English reasons');
  await pe.card.locator('img.shot').waitFor({ timeout: 10000 });
  await shoot(en.page, pe.link, pe.card, 'extension-card-en.png');

  // The SOC sees the hover checks, apart from clicks.
  const r = await fetch(cfg.server_url + '/api/v1/clicks?n=200', { headers: { Authorization: 'Bearer ' + cfg.api_token } });
  const list = await r.json();
  const hovers = list.clicks.filter((e) => e['event.action'] === 'hover-check');
  assert.ok(hovers.some((e) => e['url.full'] === 'http://rakuten-card.account-check.top/login' && e['kensa.verdict'] === 'malicious'), 'phish hover logged');
  assert.ok(hovers.some((e) => e['url.full'] === 'http://news.example-media.jp/story?id=7'), 'Kensa link logged by its destination');
  assert.ok(!list.clicks.some((e) => e['event.action'] !== 'hover-check'), 'no clicks were logged');

  // The options page shows what is stored, and the origin to allow.
  const opt = await ctx.newPage();
  await opt.goto(`chrome-extension://${cfg.extension_id}/options.html`);
  await opt.locator('#origin:not(:empty)').waitFor({ timeout: 10000 });
  assert.equal(await opt.locator('#origin').textContent(), `chrome-extension://${cfg.extension_id}`);
  assert.equal(await opt.locator('#server_url').inputValue(), cfg.server_url);
  assert.equal(await opt.locator('#link_bases').inputValue(), cfg.link_base);
  await opt.locator('#excluded_sites').fill('intranet.example.co.jp');
  await opt.locator('button[type=submit]').click();
  await opt.locator('#status:not(:empty)').waitFor({ timeout: 10000 });
  const stored = await sw.evaluate(() => chrome.storage.local.get('excluded_sites'));
  assert.deepEqual(stored.excluded_sites, ['intranet.example.co.jp']);
  await opt.close();
});
