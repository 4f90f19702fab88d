import { test } from 'node:test';
import assert from 'node:assert/strict';
import contract from '../../src/generated/contract.js';
import { lookalike, protectedList, skeleton, distance } from '../../src/lookalike.js';

const list = protectedList(contract.brands, ['example-corp.co.jp']);

test('look-alikes of protected domains hit', () => {
  const cases = [
    ['amazon.co.jp.account-verify.top', 'brand-in-subdomain'],
    ['www.amazon.co.jp-login.com', 'brand-in-subdomain'],
    ['xn--pypal-4ve.com', 'homoglyph'], // Cyrillic а
    ['paypa1.com', 'homoglyph'],
    ['rakuten-card.account-check.top', 'brand-in-label'],
    ['example-corp.com', 'tld-swap'],
    ['exampel-corp.co.jp', 'edit-distance'],
  ];
  for (const [host, why] of cases) {
    const hit = lookalike(host, list);
    assert.ok(hit, host);
    assert.equal(hit.why, why, host);
  }
});

test('the brands own domains and unrelated hosts do not hit', () => {
  for (const host of ['www.amazon.co.jp', 'paypal.com', 'www.rakuten.co.jp', 'example-corp.co.jp', 'www.example-shop.co.jp', 'news.example-media.jp', 'github.com', '192.0.2.1', 'localhost', 'someone.github.io']) {
    assert.equal(lookalike(host, list), null, host);
  }
});

test('helpers', () => {
  assert.equal(skeleton('rnicrosoft'), skeleton('microsoft'));
  assert.equal(distance('amazon', 'amzaon'), 1);
  assert.equal(distance('kitten', 'sitting'), 3);
});
