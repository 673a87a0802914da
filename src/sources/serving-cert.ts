// The certificate a component serves right now on loopback, by a TLS handshake that verifies nothing
// (the certificate may be expired; that is what is asked) and sends nothing after it: its serial and
// validity, to compare with the file on disk.
import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { errnoMessage } from '../util/errors.js';

export interface ServedCertificate {
  /** Hex, upper case, without leading zeros (as openssl prints it). */
  serial: string;
  notAfter: Date;
}

const HANDSHAKE_MS = 3_000;

export function servedCertificate(host: string, port: number): Promise<ServedCertificate> {
  if (!(host.startsWith('127.') || host === '::1'))
    return Promise.reject(new Error(`${host} is not a loopback address`));
  return new Promise<ServedCertificate>((resolve, reject) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      if (!cert?.serialNumber) return reject(new Error('no certificate presented'));
      resolve({ serial: normalSerial(cert.serialNumber), notAfter: new Date(cert.valid_to) });
    });
    socket.setTimeout(HANDSHAKE_MS, () => {
      socket.destroy();
      reject(new Error(`no TLS handshake with ${host}:${port} within ${HANDSHAKE_MS / 1000} s`));
    });
    socket.once('error', (err) => {
      socket.destroy();
      reject(err);
    });
  });
}

export function normalSerial(hex: string): string {
  return hex
    .replace(/:/g, '')
    .toUpperCase()
    .replace(/^0+(?=.)/, '');
}

export interface ServingCheck {
  pod: string;
  /** host:port asked. */
  address: string;
  /** The file the flags name, on this machine. */
  certFile: string;
  fileSerial: string | null;
  servedSerial: string | null;
  /** Why one of the two could not be read. */
  error: string | null;
}

/** What each endpoint serves, beside the serial of the file its flags name (under `root`). */
export async function checkServing(
  endpoints: readonly { pod: string; certFile: string; host: string; port: number }[],
  root: string,
): Promise<ServingCheck[]> {
  return Promise.all(
    endpoints.map(async (e) => {
      const certFile = root === '/' ? e.certFile : path.join(root, e.certFile);
      const address = e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
      let fileSerial: string | null = null;
      let servedSerial: string | null = null;
      let error: string | null = null;
      try {
        fileSerial = normalSerial(new X509Certificate(fs.readFileSync(certFile)).serialNumber);
      } catch (err) {
        error = `cannot read ${certFile}: ${errnoMessage(err)}`;
      }
      try {
        servedSerial = (await servedCertificate(e.host, e.port)).serial;
      } catch (err) {
        error ??= `${address}: ${errnoMessage(err)}`;
      }
      return { pod: e.pod, address, certFile, fileSerial, servedSerial, error };
    }),
  );
}
