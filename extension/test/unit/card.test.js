import { test } from 'node:test';
import assert from 'node:assert/strict';
import contract from '../../src/generated/contract.js';
import { cardModel, place, worse } from '../../src/card.js';
import { protectedList } from '../../src/lookalike.js';
import { pickLang, t } from '../../src/messages.js';
import { FLAGS } from '../../src/linktoken.js';

const prot = protectedList(contract.brands);

test('a clean verdict from the server', () => {
  const m = cardModel({ href: 'https://www.example-shop.co.jp/sale', text: 'セール', server: true, protected: prot,
    check: { status: 'done', url: 'https://www.example-shop.co.jp/sale', level: 'clean', reasons: [] } }, 'ja');
  assert.equal(m.badge.level, 'clean');
  assert.equal(m.badge.label, '問題なし');
  assert.equal(m.dest.registrableUnicode, 'example-shop.co.jp');
  assert.deepEqual(m.warnings, []);
  assert.equal(m.mismatch, null);
});

test('a malicious verdict lists its reasons one per line, in the language', () => {
  const check = { status: 'done', level: 'malicious', screenshot: '/shot/x', reasons: [
    { code: 'brand-impersonation', level: 'malicious', ja: '楽天カードのログインページを装っています。', en: 'The page imitates Rakuten Card.' },
    { code: 'credential-form', level: 'suspicious', ja: '', en: 'A password form.' },
    { code: 'credential-form', level: 'suspicious', ja: '', en: 'A password form.' },
  ] };
  const info = { href: 'http://rakuten-card.account-check.top/login', text: 'ログイン', server: true, check, protected: prot, shot: 'data:image/jpeg;base64,AA' };
  const ja = cardModel(info, 'ja');
  assert.equal(ja.badge.label, contract.messages.ja['level.malicious']);
  assert.deepEqual(ja.reasons.map((r) => r.text), ['楽天カードのログインページを装っています。', 'A password form.']);
  assert.equal(ja.reasonsHeading, contract.messages.ja['reasons.heading']);
  assert.ok(ja.screenshot.src.startsWith('data:image/jpeg'));
  const en = cardModel(info, 'en');
  assert.equal(en.badge.label, 'Danger');
  assert.deepEqual(en.reasons.map((r) => r.text), ['The page imitates Rakuten Card.', 'A password form.']);
  assert.ok(!en.warnings.some((w) => w.kind === 'lookalike'), 'the server named the impersonation: no second line');
  const local = cardModel({ ...info, check: null, server: false, shot: null }, 'en');
  assert.ok(local.warnings.some((w) => w.kind === 'lookalike'), 'rakuten look-alike found locally');
});

test('shown text versus target is called out', () => {
  const m = cardModel({ href: 'https://amazon-co-jp.account-verify.top/signin', text: 'https://www.amazon.co.jp/orders', server: false, protected: prot }, 'en');
  assert.deepEqual([m.mismatch.shown, m.mismatch.real], ['amazon.co.jp', 'account-verify.top']);
  assert.ok(m.warnings.some((w) => w.kind === 'mismatch'));
  assert.equal(m.badge.level, 'suspicious'); // the look-alike, locally
  assert.equal(m.note, t('en', 'server.none'));
});

test('a Kensa link shows its decoded destination and flags', () => {
  const kensa = { dest: 'https://example.jp/login?id=42', flags: ['password-form'] };
  const m = cardModel({ href: 'https://kensa.example.com/k/AAAA?u=https://example.jp/login?id=42', text: 'example.jp', kensa, server: false, protected: prot }, 'ja');
  assert.equal(m.dest.registrableUnicode, 'example.jp');
  assert.equal(m.dest.path, '/login?id=42');
  assert.ok(m.kensa);
  assert.ok(m.warnings.some((w) => w.kind === 'password-form'));
  assert.equal(m.mismatch, null);
  assert.equal(m.badge.level, 'unknown');
  assert.equal(m.badge.label, '未確認');
});

test('checking, server errors, foreign Kensa links, punycode', () => {
  assert.equal(cardModel({ href: 'https://a.example/', server: true, check: { status: 'checking', retry_ms: 1000 } }, 'en').badge.level, 'checking');
  const err = cardModel({ href: 'https://a.example/', server: true, checkError: { code: 'unauthorized' } }, 'en');
  assert.equal(err.badge.level, 'unknown');
  assert.match(err.note, /unauthorized/);
  const f = cardModel({ href: 'https://evil.example/k/AQ?u=https://bank.example.jp/', foreign: true, server: false }, 'ja');
  assert.equal(f.dest.registrableUnicode, 'evil.example'); // the real target, not the u= text
  assert.equal(f.badge.level, 'suspicious');
  const p = cardModel({ href: 'https://xn--pypal-4ve.com/', server: false, protected: prot }, 'en');
  assert.equal(p.dest.hostUnicode, 'pаypal.com');
  assert.match(p.asciiNote, /xn--pypal-4ve\.com/);
});

test('the card never covers the link', () => {
  const vp = { width: 1000, height: 700 };
  const size = { width: 360, height: 200 };
  const overlaps = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  for (const link of [
    { left: 10, top: 10, right: 110, bottom: 28 },
    { left: 900, top: 650, right: 990, bottom: 668 },
    { left: 400, top: 300, right: 500, bottom: 318 },
    { left: 0, top: 0, right: 1000, bottom: 600 }, // huge: beside is impossible, falls below
  ]) {
    const p = place(link, size, vp);
    const card = { left: p.left, top: p.top, right: p.left + size.width, bottom: p.top + size.height };
    assert.ok(!overlaps(card, link), JSON.stringify({ link, p }));
  }
});

test('language and helpers', () => {
  assert.equal(pickLang('en-US', 'ja'), 'en');
  assert.equal(pickLang('', 'ja-JP'), 'ja');
  assert.equal(pickLang(null, undefined, 'fr'), 'en');
  assert.equal(pickLang(), 'ja');
  assert.equal(worse('clean', 'malicious'), 'malicious');
  assert.equal(worse('suspicious', 'checking'), 'suspicious');
});

// The generated contract is what the code uses: flags and levels agree.
test('contract agrees with the code', () => {
  assert.deepEqual(FLAGS.map(([bit, name]) => ({ bit, name })), contract.flags);
  for (const l of contract.levels) assert.ok(t('ja', 'level.' + l) !== 'level.' + l, l);
  for (const f of ['status', 'level', 'reasons', 'screenshot', 'retry_ms', 'shown_domain', 'kensa_link', 'url']) assert.ok(contract.check_fields.includes(f), f);
  for (const f of ['code', 'level', 'ja', 'en']) assert.ok(contract.reason_fields.includes(f), f);
  assert.deepEqual(contract.check_statuses, ['done', 'checking']);
});
