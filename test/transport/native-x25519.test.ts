/**
 * The native X25519 that werift's DTLS runs on computes exactly what tweetnacl computed (keys of
 * both kinds, random and RFC 7748's test vector), and is installed where werift looks for it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import { installNativeX25519, x25519, x25519KeyPair } from '../../src/transport/webrtc/native-x25519.js';

const original = { scalarMult: nacl.scalarMult, keyPair: nacl.box.keyPair };

test('shared secrets are tweetnacl\'s, for random keys of both sides', () => {
  for (let i = 0; i < 50; i++) {
    const a = original.keyPair();
    const b = original.keyPair();
    const ours = x25519(a.secretKey, b.publicKey);
    assert.deepEqual(Buffer.from(ours), Buffer.from(original.scalarMult(a.secretKey, b.publicKey)));
    assert.deepEqual(Buffer.from(ours), Buffer.from(original.scalarMult(b.secretKey, a.publicKey)), 'both sides agree');
  }
  // Unclamped scalars (any 32 bytes) are clamped the same way.
  const scalar = randomBytes(32);
  const peer = original.keyPair().publicKey;
  assert.deepEqual(Buffer.from(x25519(scalar, peer)), Buffer.from(original.scalarMult(scalar, peer)));
});

test('RFC 7748 §6.1: Alice and Bob', () => {
  const alice = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
  const bobPublic = Buffer.from('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f', 'hex');
  assert.equal(Buffer.from(x25519(alice, bobPublic)).toString('hex'), '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
});

test('generated key pairs are consistent, in buffers of their own (werift wraps `.buffer`)', () => {
  const pair = x25519KeyPair();
  assert.equal(pair.publicKey.buffer.byteLength, 32);
  assert.equal(pair.secretKey.buffer.byteLength, 32);
  assert.deepEqual(Buffer.from(original.scalarMult.base(pair.secretKey)), Buffer.from(pair.publicKey));
});

test('installed: werift\'s tweetnacl now runs the native functions', () => {
  installNativeX25519();
  assert.equal(nacl.scalarMult, x25519);
  assert.equal(nacl.box.keyPair, x25519KeyPair);
  assert.equal(typeof nacl.scalarMult.base, 'function', 'the rest of the API stays');
});
