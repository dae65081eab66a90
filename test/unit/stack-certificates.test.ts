/**
 * The local stack's certificate authority (openssl, no broker): a broker certificate for
 * 127.0.0.1 and localhost and a client certificate, both signed by the CA; made once and kept, so
 * the CA clients trust does not change across restarts.
 */
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureStackCertificates } from '../../deploy/stack/certificates.js';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';

describe('stack certificates', () => {
  const state = mkdtempSync(join(tmpdir(), 'bookeo-stack-tls-'));
  after(() => rmSync(state, { recursive: true, force: true }));
  const endpoints = stackEndpoints({ BOOKEO_STACK_STATE: join(state, 'stack') });

  it('makes a CA, a broker certificate for 127.0.0.1 and localhost, and a client certificate, all signed by it', async () => {
    const said: string[] = [];
    const certificates = await ensureStackCertificates(endpoints, (line) => said.push(line));
    assert.equal(said.length, 1);
    const ca = new X509Certificate(readFileSync(certificates.caFile));
    assert.equal(ca.ca, true);
    const keystore = readFileSync(certificates.brokerKeystoreFile, 'utf8');
    assert.match(keystore, /^-----BEGIN PRIVATE KEY-----/, 'PKCS#8 key first, as Kafka’s PEM keystore wants');
    const broker = new X509Certificate(keystore.slice(keystore.indexOf('-----BEGIN CERTIFICATE-----')));
    assert.ok(broker.verify(ca.publicKey), 'the broker certificate is signed by the CA');
    assert.equal(broker.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(broker.checkHost('localhost'), 'localhost');
    const client = new X509Certificate(readFileSync(certificates.clientCertificateFile));
    assert.ok(client.verify(ca.publicKey), 'the client certificate is signed by the CA');
    assert.ok(client.checkPrivateKey(createPrivateKey(readFileSync(certificates.clientKeyFile))));
  });

  it('keeps what exists: a second start uses the same CA', async () => {
    const before = readFileSync(join(state, 'stack', 'tls', 'ca.crt'), 'utf8');
    const said: string[] = [];
    await ensureStackCertificates(endpoints, (line) => said.push(line));
    assert.deepEqual(said, []);
    assert.equal(readFileSync(join(state, 'stack', 'tls', 'ca.crt'), 'utf8'), before);
  });
});
