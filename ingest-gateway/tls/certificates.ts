import { createHash, createPrivateKey, generateKeyPairSync, type KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { addressBytes } from '../tagging/cidr.js';
import * as der from './der.js';

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  cert: string;
  key: string;
}

export interface CertificateRequest {
  /** Subject common name; for an agent's client certificate, the agent id. */
  commonName: string;
  /** DNS names and IP addresses for the subjectAltName extension. */
  altNames?: string[];
  /** serverAuth, clientAuth or both, for the extendedKeyUsage extension. */
  usage: Array<'server' | 'client'>;
  validityDays: number;
  /** Start of validity; now unless given. */
  notBefore?: Date;
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  authorityKeyIdentifier: '2.5.29.35',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

/** KeyUsage bit numbers from RFC 5280 section 4.2.1.3. */
const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 };

const ORGANIZATION = 'fleetpulse';
const DAY_MS = 86_400_000;

/**
 * Creates a self-signed certificate authority with an ECDSA P-256 key, able
 * to sign end-entity certificates only (pathLenConstraint 0).
 *
 * NOTE: node:crypto signs and parses certificates but has no API to build
 * one, so the TBSCertificate is encoded here with der.ts. @peculiar/x509
 * would replace this file's encoding if the project takes the dependency.
 */
export function createCertificateAuthority(commonName: string, validityDays: number, notBefore = new Date()): CertificateAndKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = distinguishedName(commonName);
  const keyId = keyIdentifier(publicKey);
  const extensions = [
    extension(OID.basicConstraints, true, der.sequence(der.boolean(true), der.smallInteger(0))),
    extension(OID.keyUsage, true, der.namedBits([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
    extension(OID.subjectKeyIdentifier, false, der.octetString(keyId)),
  ];
  const cert = signCertificate({ issuer: name, subject: name, publicKey, signingKey: privateKey, extensions, validityDays, notBefore });
  return { cert, key: exportKey(privateKey) };
}

/** Issues a certificate for a server or a client, signed by `authority`, with a new ECDSA P-256 key. */
export function issueCertificate(authority: CertificateAndKey, request: CertificateRequest): CertificateAndKey {
  const authorityCert = new X509Certificate(authority.cert);
  const authorityKey = createPrivateKey(authority.key);
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  const extensions = [
    extension(OID.basicConstraints, true, der.sequence()),
    extension(OID.keyUsage, true, der.namedBits([KEY_USAGE.digitalSignature])),
    extension(OID.extKeyUsage, false, der.sequence(...request.usage.map((usage) => der.objectIdentifier(usage === 'server' ? OID.serverAuth : OID.clientAuth)))),
    extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier(publicKey))),
    extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicit(0, keyIdentifier(authorityCert.publicKey)))),
  ];
  if (request.altNames && request.altNames.length > 0) {
    extensions.push(extension(OID.subjectAltName, false, der.sequence(...request.altNames.map(generalName))));
  }

  const cert = signCertificate({
    issuer: authorityName(authorityCert),
    subject: distinguishedName(request.commonName),
    publicKey,
    signingKey: authorityKey,
    extensions,
    validityDays: request.validityDays,
    notBefore: request.notBefore ?? new Date(),
  });
  return { cert, key: exportKey(privateKey) };
}

interface SigningInput {
  /** DER Name of the issuer. */
  issuer: Buffer;
  subject: Buffer;
  publicKey: KeyObject;
  signingKey: KeyObject;
  extensions: Buffer[];
  validityDays: number;
  notBefore: Date;
}

function signCertificate(input: SigningInput): string {
  // A minute of back-dating absorbs small clock differences between hosts.
  const notBefore = new Date(Math.floor(input.notBefore.getTime() / 1_000) * 1_000 - 60_000);
  const notAfter = new Date(notBefore.getTime() + input.validityDays * DAY_MS);
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const signatureAlgorithm = der.sequence(der.objectIdentifier(OID.ecdsaWithSha256));

  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)),
    der.unsignedInteger(serial),
    signatureAlgorithm,
    input.issuer,
    der.sequence(der.time(notBefore), der.time(notAfter)),
    input.subject,
    input.publicKey.export({ type: 'spki', format: 'der' }),
    der.explicit(3, der.sequence(...input.extensions)),
  );
  const signature = sign('sha256', tbs, input.signingKey);
  return toPem('CERTIFICATE', der.sequence(tbs, signatureAlgorithm, der.bitString(signature)));
}

function distinguishedName(commonName: string): Buffer {
  const attribute = (oid: string, value: string): Buffer => der.set(der.sequence(der.objectIdentifier(oid), der.utf8String(value)));
  return der.sequence(attribute(OID.organization, ORGANIZATION), attribute(OID.commonName, commonName));
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return der.sequence(der.objectIdentifier(oid), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
}

/** SHA-256 of the SubjectPublicKeyInfo, cut to 160 bits as RFC 7093 section 2 allows. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest().subarray(0, 20);
}

/** Encodes a subjectAltName entry: an iPAddress for a literal IPv4 or IPv6 address, else a dNSName. */
function generalName(name: string): Buffer {
  const version = isIP(name);
  if (version === 4 || version === 6) return der.implicit(7, Buffer.from(addressBytes(name, version)));
  return der.implicit(2, Buffer.from(name, 'ascii'));
}

/**
 * Encodes the DER Name of a certificate authority made by
 * createCertificateAuthority again from its parsed subject, because
 * X509Certificate does not expose the subject's DER. Name chaining (RFC 5280
 * section 7.1) compares an issued certificate's issuer with that subject.
 * Throws for any other authority.
 */
function authorityName(cert: X509Certificate): Buffer {
  const attributes = cert.subject.split('\n');
  const commonName = attributes.find((attribute) => attribute.startsWith('CN='))?.slice(3);
  if (commonName === undefined || attributes.length !== 2 || attributes[0] !== `O=${ORGANIZATION}`) {
    throw new Error(`cannot issue with the certificate authority ${JSON.stringify(cert.subject)}: only one created by fleetpulse (O=${ORGANIZATION}, CN=...) can sign here`);
  }
  return distinguishedName(commonName);
}

function exportKey(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

function toPem(label: string, body: Buffer): string {
  const lines = body.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
