// A certificate renewed the way `kubeadm certs renew` renews it (cmd/kubeadm/app/phases/certs/renewal):
// the subject, the SANs, the key usages and extended key usages copied from the certificate it replaces,
// a new key of the same type and size, NotBefore the CA's own, NotAfter as asked, signed by the CA whose
// key is on the node. Built with @peculiar/x509 over node:crypto's WebCrypto (no ASN.1 by hand), then
// checked with node:crypto before anything is written: signed by that CA, issuer byte-equal to the CA's
// subject (Go's chain building compares the raw bytes), matching its new key, the same subject and SANs.
import 'reflect-metadata';
import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  X509Certificate as NodeCertificate,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { BreakglassError } from '../../util/errors.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** The extensions copied as they are; the key identifiers are made for the new key and the CA. */
const COPIED = new Set([
  '2.5.29.19', // basicConstraints
  '2.5.29.15', // keyUsage
  '2.5.29.37', // extKeyUsage
  '2.5.29.17', // subjectAltName
]);
const SUBJECT_KEY_ID = '2.5.29.14';

export interface RenewInput {
  /** The certificate renewed, and its key (the new key takes its type, size and PEM form). */
  certPem: string;
  keyPem: string;
  caCertPem: string;
  caKeyPem: string;
  notAfter: Date;
}

export interface Renewed {
  certPem: string;
  keyPem: string;
  /** Hex, as openssl prints it. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

export async function renewCertificate(input: RenewInput): Promise<Renewed> {
  const old = new x509.X509Certificate(firstCertificate(input.certPem));
  const ca = new x509.X509Certificate(firstCertificate(input.caCertPem));
  const caKey = createPrivateKey(input.caKeyPem);
  const caNode = new NodeCertificate(ca.toString('pem'));
  if (!caNode.checkPrivateKey(caKey))
    throw new BreakglassError("the CA's key does not match the CA's certificate", 'pki');
  if (!new NodeCertificate(old.toString('pem')).verify(caNode.publicKey))
    throw new BreakglassError(`${old.subject} was not signed by ${ca.subject}`, 'pki');

  const { privateKey, publicKey, pemType } = await newKeyLike(input.keyPem);
  const signing = signingAlgorithm(caKey);
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    caKey.export({ type: 'pkcs8', format: 'der' }),
    signing.importAs,
    false,
    ['sign'],
  );
  const extensions: x509.Extension[] = old.extensions.filter((e) => COPIED.has(e.type));
  if (ca.getExtension(x509.SubjectKeyIdentifierExtension))
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(ca));
  if (old.extensions.some((e) => e.type === SUBJECT_KEY_ID))
    extensions.push(await x509.SubjectKeyIdentifierExtension.create(publicKey));
  const serial = randomSerial();
  const notBefore = ca.notBefore;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: old.subjectName,
    issuer: ca.subjectName,
    notBefore,
    notAfter: input.notAfter,
    signingAlgorithm: signing.algorithm,
    publicKey,
    signingKey,
    extensions,
  });
  const certPem = `${cert.toString('pem')}\n`;
  const keyObject = KeyObjectFrom(await webcrypto.subtle.exportKey('pkcs8', privateKey));
  const keyPem = exportLike(keyObject, pemType);
  checkRenewed(certPem, keyPem, old, caNode, ca);
  return {
    certPem,
    keyPem,
    serial: serial.replace(/^0+(?=.)/, '').toUpperCase(),
    notBefore,
    notAfter: input.notAfter,
  };
}

/** Refuses a result that is not what it must be: nothing is written from it. */
function checkRenewed(
  certPem: string,
  keyPem: string,
  old: x509.X509Certificate,
  caNode: NodeCertificate,
  ca: x509.X509Certificate,
): void {
  const made = new NodeCertificate(certPem);
  const parsed = new x509.X509Certificate(certPem);
  const fail = (what: string) => {
    throw new BreakglassError(`the renewed certificate of ${old.subject} ${what}: nothing written`, 'pki');
  };
  if (!made.verify(caNode.publicKey)) fail("does not verify with the CA's key");
  if (!made.checkPrivateKey(createPrivateKey(keyPem))) fail('does not match its new key');
  if (!Buffer.from(parsed.issuerName.toArrayBuffer()).equals(Buffer.from(ca.subjectName.toArrayBuffer())))
    fail("has an issuer that is not byte for byte the CA's subject");
  if (!Buffer.from(parsed.subjectName.toArrayBuffer()).equals(Buffer.from(old.subjectName.toArrayBuffer())))
    fail('has another subject');
  const oldSans = new NodeCertificate(old.toString('pem')).subjectAltName ?? '';
  if ((made.subjectAltName ?? '') !== oldSans) fail('has other SANs');
}

type PemType = 'pkcs1' | 'sec1' | 'pkcs8';

/** A new key of the old key's type and size, and the PEM form the old key was written in. */
async function newKeyLike(
  keyPem: string,
): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey; pemType: PemType }> {
  const old = createPrivateKey(keyPem);
  const pemType: PemType = /BEGIN RSA PRIVATE KEY/.test(keyPem)
    ? 'pkcs1'
    : /BEGIN EC PRIVATE KEY/.test(keyPem)
      ? 'sec1'
      : 'pkcs8';
  const details = old.asymmetricKeyDetails ?? {};
  if (old.asymmetricKeyType === 'rsa') {
    const pair = (await webcrypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        hash: 'SHA-256',
        modulusLength: details.modulusLength ?? 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
      },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    return { ...pair, pemType };
  }
  if (old.asymmetricKeyType === 'ec') {
    const namedCurve = webCurve(details.namedCurve);
    const pair = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve }, true, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    return { ...pair, pemType };
  }
  throw new BreakglassError(
    `a ${old.asymmetricKeyType} key: kubeadm makes RSA or ECDSA keys, breakglass renews only those`,
    'pki',
  );
}

function signingAlgorithm(caKey: KeyObject): {
  algorithm: webcrypto.RsaHashedImportParams | webcrypto.EcdsaParams;
  importAs: webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;
} {
  if (caKey.asymmetricKeyType === 'rsa')
    return {
      algorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      importAs: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    };
  if (caKey.asymmetricKeyType === 'ec') {
    const namedCurve = webCurve(caKey.asymmetricKeyDetails?.namedCurve);
    const hash = namedCurve === 'P-384' ? 'SHA-384' : namedCurve === 'P-521' ? 'SHA-512' : 'SHA-256';
    return { algorithm: { name: 'ECDSA', hash }, importAs: { name: 'ECDSA', namedCurve } };
  }
  throw new BreakglassError(
    `the CA's key is ${caKey.asymmetricKeyType}: not one breakglass signs with`,
    'pki',
  );
}

function webCurve(curve: string | undefined): string {
  switch (curve) {
    case 'prime256v1':
    case 'P-256':
      return 'P-256';
    case 'secp384r1':
    case 'P-384':
      return 'P-384';
    case 'secp521r1':
    case 'P-521':
      return 'P-521';
    default:
      throw new BreakglassError(`an EC key on curve ${curve ?? '?'}: not one breakglass renews`, 'pki');
  }
}

function KeyObjectFrom(pkcs8: ArrayBuffer): KeyObject {
  return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
}

function exportLike(key: KeyObject, pemType: PemType): string {
  const type = pemType === 'pkcs1' && key.asymmetricKeyType !== 'rsa' ? 'pkcs8' : pemType;
  return key.export({ type, format: 'pem' } as { type: 'pkcs1'; format: 'pem' }).toString();
}

/** 128 random bits, positive (its first byte's top bit clear), as the hex x509 wants. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  if (bytes[0] === 0) bytes[0] = 0x01;
  return bytes.toString('hex');
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----\r?\n[\s\S]*?-----END CERTIFICATE-----/;

function firstCertificate(pem: string): string {
  const block = PEM_CERTIFICATE.exec(pem);
  if (!block) throw new BreakglassError('no PEM certificate in it (BEGIN CERTIFICATE)', 'pki');
  return block[0];
}

/** The public key of a private key, in SPKI PEM: to check a key file against a certificate. */
export function publicKeyPem(keyPem: string): string {
  return createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }).toString();
}
