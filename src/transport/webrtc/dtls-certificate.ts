/**
 * A DTLS certificate given to WebRtcEndpoints by configuration (KMS's `pemCertificateRSA` and
 * `pemCertificateECDSA`): one PEM file holding the certificate chain and its private key, used by
 * every endpoint instead of a certificate made for each, so that every session shows the same
 * fingerprint (some deployments pin it).
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DtlsKeys } from 'werift';

/** werift's codes for the signature algorithms of TLS 1.2 (RFC 5246 §7.4.1.4.1). */
const SIGNATURE = { rsa: 1, ec: 3 } as const;
const SHA256 = 4;

export class DtlsCertificateError extends Error {}

/** Reads a PEM file holding a certificate (chain) and its private key. */
export function loadDtlsKeys(path: string): DtlsKeys {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DtlsCertificateError(`cannot read the DTLS certificate ${path}: ${(err as Error).message}`);
  }
  const certificates = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const key = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(text)?.[0];
  if (certificates.length === 0 || !key) throw new DtlsCertificateError(`${path} must hold a certificate and its private key (PEM)`);
  const type = createPrivateKey(key).asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ec') throw new DtlsCertificateError(`${path}: DTLS takes RSA or ECDSA keys, not ${String(type)}`);
  return { certPem: certificates.join('\n'), keyPem: key, signatureHash: { hash: SHA256, signature: SIGNATURE[type] } };
}
