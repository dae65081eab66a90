/**
 * How the client opens a broker connection: kafkajs's own way (TCP, or TLS with the host as SNI
 * unless it is an IP address), plus TLS failures that say which broker and what to check. kafkajs
 * reports a socket error by its message alone ("self-signed certificate in certificate chain"),
 * which names neither the broker nor the setting at fault; the message is completed in place,
 * before kafkajs reads it.
 */
import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';

/** kafkajs's default keep-alive for broker connections. */
const KEEP_ALIVE_DELAY_MS = 60_000;

/** What kafkajs hands a socket factory. */
export interface BrokerSocketTarget {
  readonly host: string;
  readonly port: number;
  readonly ssl?: ConnectionOptions | boolean;
  readonly onConnect: () => void;
}

/** The setting to check for a TLS failure, by the error's code; undefined for errors that are not about TLS. */
function tlsHint(code: string | undefined): string | undefined {
  if (code === undefined) return undefined;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return 'the broker certificate does not name this host (kafka.ssl.servername)';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID')
    return 'the broker certificate is outside its validity period';
  if (/CERT_REQUIRED|CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA$/.test(code))
    return 'the broker refused the client certificate (kafka.ssl.certificate, kafka.ssl.privateKey)';
  if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ISSUER/.test(code))
    return 'the broker certificate is not trusted (kafka.ssl.ca)';
  if (/^ERR_SSL_|^ERR_TLS_/.test(code)) return 'TLS handshake (kafka.ssl)';
  return undefined;
}

export function openBrokerSocket({ host, port, ssl, onConnect }: BrokerSocketTarget): Socket {
  const socket =
    ssl === undefined || ssl === false
      ? connectTcp({ host, port }, onConnect)
      : connectTls(
          { host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...(ssl === true ? {} : ssl) },
          onConnect,
        );
  if (ssl !== undefined && ssl !== false)
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const hint = tlsHint(error.code);
      // OpenSSL's errors carry a short `reason` besides a message with library internals.
      const reason = (error as { reason?: unknown }).reason;
      const detail = typeof reason === 'string' ? reason : error.message.trim();
      if (hint !== undefined) error.message = `TLS with broker ${host}:${port} failed: ${detail}; ${hint}`;
    });
  socket.setKeepAlive(true, KEEP_ALIVE_DELAY_MS);
  return socket;
}
