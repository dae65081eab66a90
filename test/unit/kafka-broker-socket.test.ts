/**
 * Broker connections over TLS against a local TLS server with the stack's kind of certificates
 * (made by openssl into a temp folder, no broker): a failed handshake names the broker and the
 * setting to check, and a good one connects.
 */
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { ensureStackCertificates, type StackCertificates } from '../../deploy/stack/certificates.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';
import { openBrokerSocket } from '../../kafka/broker-socket.js';

describe('broker sockets over TLS', () => {
  const state = mkdtempSync(join(tmpdir(), 'bookeo-broker-socket-'));
  let certificates: StackCertificates;
  const servers: Server[] = [];

  /** A TLS server with the broker certificate; `requestCert` asks for a client certificate signed by the CA. */
  const listen = async (requestCert: boolean): Promise<number> => {
    const keystore = readFileSync(certificates.brokerKeystoreFile, 'utf8');
    const server = createServer(
      {
        key: keystore,
        cert: keystore.slice(keystore.indexOf('-----BEGIN CERTIFICATE-----')),
        ca: readFileSync(certificates.caFile),
        requestCert,
        rejectUnauthorized: requestCert,
      },
      (socket) => socket.end(),
    );
    server.on('tlsClientError', () => undefined);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };

  /**
   * Connects and waits for the server to close the connection (it does once the handshake is
   * done): undefined then, or the error's message. Not settled on connect: with TLS 1.3 a refused
   * client certificate is reported by the server after the client considers itself connected.
   */
  const attempt = (port: number, ssl: Parameters<typeof openBrokerSocket>[0]['ssl']): Promise<string | undefined> =>
    new Promise((resolve) => {
      const socket = openBrokerSocket({ host: '127.0.0.1', port, ssl, onConnect: () => undefined });
      socket.on('error', (error) => resolve(error.message));
      socket.on('close', () => resolve(undefined));
      socket.resume();
    });

  before(async () => {
    certificates = await ensureStackCertificates(stackEndpoints({ BOOKEO_STACK_STATE: state }), () => undefined);
  });

  after(async () => {
    for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(state, { recursive: true, force: true });
  });

  it('connects with the right CA', async () => {
    const port = await listen(false);
    assert.equal(await attempt(port, { ca: readFileSync(certificates.caFile, 'utf8') }), undefined);
  });

  it('names the broker and kafka.ssl.ca when the CA did not sign the broker certificate', async () => {
    const port = await listen(false);
    const message = await attempt(port, { ca: readFileSync(certificates.clientCertificateFile, 'utf8') });
    assert.match(
      message ?? '',
      new RegExp(
        `^TLS with broker 127\\.0\\.0\\.1:${port} failed: .+; the broker certificate is not trusted \\(kafka\\.ssl\\.ca\\)$`,
      ),
    );
  });

  it('names kafka.ssl.servername when the certificate names another host', async () => {
    const port = await listen(false);
    const message = await attempt(port, {
      ca: readFileSync(certificates.caFile, 'utf8'),
      servername: 'kafka.example.com',
    });
    assert.match(
      message ?? '',
      /failed: .+; the broker certificate does not name this host \(kafka\.ssl\.servername\)$/,
    );
  });

  it('names the client certificate settings when the broker requires one and gets none', async () => {
    const port = await listen(true);
    const message = await attempt(port, { ca: readFileSync(certificates.caFile, 'utf8') });
    assert.match(
      message ?? '',
      /failed: .+; the broker refused the client certificate \(kafka\.ssl\.certificate, kafka\.ssl\.privateKey\)$/,
    );
    const withCertificate = await attempt(port, {
      ca: readFileSync(certificates.caFile, 'utf8'),
      cert: readFileSync(certificates.clientCertificateFile, 'utf8'),
      key: readFileSync(certificates.clientKeyFile, 'utf8'),
    });
    assert.equal(withCertificate, undefined, 'connects with the client certificate');
  });
});
