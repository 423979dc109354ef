/**
 * X25519 for werift's DTLS on Node's own OpenSSL. werift computes the ECDHE key exchange of every
 * DTLS handshake (browsers choose X25519) with tweetnacl, in JavaScript: measured in a media
 * worker's profile, a handshake held the event loop for tens of milliseconds, and a few peers
 * joining at once stalled everything the worker forwards or mixes for half a second. OpenSSL does
 * the same computation natively, in microseconds.
 *
 * werift reaches tweetnacl through the package's one shared module object, so replacing its two
 * functions there (the key pair, and the shared secret) swaps the implementation under werift
 * without touching werift. The results are the same bytes (RFC 7748: both clamp the scalar);
 * `test/transport/native-x25519.test.ts` checks them against tweetnacl's own.
 */
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import nacl from 'tweetnacl';

/** DER prefixes of an X25519 private key (PKCS #8) and public key (SPKI) around the raw 32 bytes. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

/** The shared secret of a private scalar and a peer's public key (what `nacl.scalarMult` computes). */
export function x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const secret = diffieHellman({
    privateKey: createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, privateKey]), format: 'der', type: 'pkcs8' }),
    publicKey: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' }),
  });
  return new Uint8Array(secret);
}

/** A fresh key pair, each key in a 32-byte buffer of its own (werift wraps `.buffer`). */
export function x25519KeyPair(): { publicKey: Uint8Array; secretKey: Uint8Array } {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return {
    publicKey: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length)),
    secretKey: new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length)),
  };
}

let installed = false;

/** Makes werift's DTLS compute X25519 with OpenSSL (once per process). */
export function installNativeX25519(): void {
  if (installed) return;
  installed = true;
  const library = nacl as unknown as { scalarMult: (n: Uint8Array, p: Uint8Array) => Uint8Array; box: { keyPair: () => { publicKey: Uint8Array; secretKey: Uint8Array } } };
  library.scalarMult = Object.assign(x25519, { base: nacl.scalarMult.base, scalarLength: nacl.scalarMult.scalarLength, groupElementLength: nacl.scalarMult.groupElementLength });
  library.box.keyPair = Object.assign(x25519KeyPair, { fromSecretKey: nacl.box.keyPair.fromSecretKey });
}
