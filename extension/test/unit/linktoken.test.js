import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeLink, hasLinkShape, LinkError } from '../../src/linktoken.js';

const vectors = JSON.parse(readFileSync(new URL('../../../testdata/linktoken/vectors.json', import.meta.url)));
const bases = [vectors.base];

test('valid vectors decode to their public fields', async () => {
  assert.ok(vectors.valid.length >= 20);
  for (const v of vectors.valid) {
    const d = await decodeLink(v.link, bases);
    const want = v.decoded;
    assert.equal(d.dest, want.dest, v.name);
    assert.equal(d.version, want.version, v.name);
    assert.equal(d.keyId, want.key_id, v.name);
    assert.equal(d.issued.toISOString().replace('.000Z', 'Z'), want.issued, v.name);
    assert.deepEqual([...d.flags].sort(), [...want.flags].sort(), v.name);
    assert.equal(d.messageDigest, want.message_digest, v.name);
    assert.ok(hasLinkShape(v.link), v.name);
  }
});

test('the password-form flag (0x20) is accepted', async () => {
  const v = vectors.valid.find((x) => x.decoded.flags.includes('password-form'));
  assert.ok(v, 'a vector with password-form');
  const d = await decodeLink(v.link, bases);
  assert.ok(d.flags.includes('password-form'));
});

// Without the key, the tag, the key ID and the sealed context cannot be
// checked: those vectors decode (unverified). Every other invalid vector
// is rejected with the vector's own code.
test('invalid vectors are rejected with their code, or need the key', async () => {
  let rejected = 0;
  for (const v of vectors.invalid) {
    let err = null;
    try {
      await decodeLink(v.link, bases);
    } catch (e) {
      err = e;
    }
    const needsKey = v.error === 'unknown-key' || v.error === 'bad-signature' || v.name.includes('context:');
    if (err === null) {
      assert.ok(needsKey, `${v.name}: decoded, want ${v.error}`);
      continue;
    }
    assert.ok(err instanceof LinkError, `${v.name}: ${err}`);
    assert.equal(err.code, v.error, v.name);
    rejected++;
  }
  assert.ok(rejected >= 80, `only ${rejected} rejected offline`);
});

test('a link under another base is not read as a Kensa link', async () => {
  const v = vectors.valid[0];
  const other = v.link.replace(vectors.base, 'https://evil.example');
  await assert.rejects(decodeLink(other, bases), (e) => e.code === 'malformed');
  assert.ok(hasLinkShape(other)); // but it looks like one: the card warns
  await assert.rejects(decodeLink(v.link, []), (e) => e.code === 'malformed');
});
