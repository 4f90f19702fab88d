import { test } from 'node:test';
import assert from 'node:assert/strict';
import { excluded, normalizeServer } from '../../src/settings.js';

test('excluded sites match a host and its subdomains only', () => {
  const sites = ['intranet.example.co.jp', '*.corp.example', 'example.org'];
  assert.ok(excluded('intranet.example.co.jp', sites));
  assert.ok(excluded('a.corp.example', sites));
  assert.ok(excluded('www.example.org', sites));
  assert.ok(!excluded('notexample.org', sites));
  assert.ok(!excluded('example.co.jp', sites));
  assert.ok(!excluded('mail.example.com', []));
  assert.ok(!excluded('', ['']));
});

test('the server URL is an http(s) origin and path without a trailing slash', () => {
  assert.equal(normalizeServer('https://kensa.example.co.jp/'), 'https://kensa.example.co.jp');
  assert.equal(normalizeServer(' https://mail.example.com/kensa/ '), 'https://mail.example.com/kensa');
  assert.equal(normalizeServer('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
  for (const bad of ['', 'javascript:alert(1)', 'ftp://x.example/', 'kensa.example.co.jp', null]) assert.equal(normalizeServer(bad), '', String(bad));
});
