import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describe, shownDomain, mismatch, registrable } from '../../src/display.js';

test('describe splits the host around the registrable domain', () => {
  const cases = [
    ['https://www.example-shop.co.jp/sale?id=42', ['www.', 'example-shop.co.jp', '', '/sale?id=42']],
    ['http://rakuten-card.account-check.top/login', ['rakuten-card.', 'account-check.top', '', '/login']],
    ['https://someone.github.io/', ['', 'someone.github.io', '', '']],
    ['https://xn--r8jz45g.jp/%E3%83%AD', ['', '例え.jp', '', '/%E3%83%AD']],
    ['http://192.0.2.7:8080/x', ['', '192.0.2.7', '', '/x']],
    ['https://EXAMPLE.JP/A', ['', 'example.jp', '', '/A']],
  ];
  for (const [url, [before, reg, after, path]] of cases) {
    const d = describe(url);
    assert.equal(d.before, before, url);
    assert.equal(d.registrableUnicode, reg, url);
    assert.equal(d.after, after, url);
    assert.equal(d.path, path, url);
    assert.equal(d.before + d.registrableUnicode + d.after, d.hostUnicode, url);
  }
});

test('punycode is decoded and flagged', () => {
  const d = describe('https://xn--pypal-4ve.com/signin'); // Cyrillic а
  assert.equal(d.hostUnicode, 'pаypal.com');
  assert.equal(d.hostASCII, 'xn--pypal-4ve.com');
  assert.ok(d.idn);
  assert.ok(!describe('https://paypal.com/').idn);
  // A Unicode host as written is shown decoded, and its ASCII form kept.
  const j = describe('https://例え.jp/');
  assert.equal(j.hostASCII, 'xn--r8jz45g.jp');
  assert.equal(j.registrableUnicode, '例え.jp');
});

test('describe never throws', () => {
  for (const s of ['', 'not a url', 'http://', 'javascript:alert(1)', '%%%']) {
    const d = describe(s);
    assert.equal(d.raw, s);
  }
  assert.equal(describe('https://a.example/' + 'x'.repeat(500)).path.length, 120);
});

test('shownDomain reads a domain from link text, and only a domain', () => {
  const cases = [
    ['https://www.amazon.co.jp/orders', 'amazon.co.jp'],
    ['www.paypal.com', 'paypal.com'],
    ['ｗｗｗ．ｒａｋｕｔｅｎ．ｃｏ．ｊｐ', 'rakuten.co.jp'],
    ['ログインはこちら: accounts.google.com', 'google.com'],
    ['click here', null],
    ['e.g. this', null],
    ['report.pdf', null],
    ['', null],
    ['例え.jp', 'xn--r8jz45g.jp'],
  ];
  for (const [text, want] of cases) assert.equal(shownDomain(text), want, text);
});

test('mismatch compares registrable domains', () => {
  assert.equal(mismatch('www.amazon.co.jp', registrable('amazon-co-jp.account-verify.top')), 'amazon.co.jp');
  assert.equal(mismatch('https://www.amazon.co.jp/', 'amazon.co.jp'), null);
  assert.equal(mismatch('Open your account', 'amazon.co.jp'), null);
});
