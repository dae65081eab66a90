/**
 * The `kafka.ssl` and `kafka.sasl` settings as the client's connection options: PEM values read
 * from their files, SASL credentials handed over, and for OAUTHBEARER a token provider shared by
 * every client made from the same configuration (one token cache per process, not per client).
 * A PEM file that cannot be read is a configuration error naming the key and the path, never the
 * file's content.
 */
import type { ConnectionOptions } from 'node:tls';
import type { SASLOptions } from 'kafkajs';
import type { AppConfig, KafkaOAuthBearerConfig, KafkaTlsConfig } from '../common/config/schema.js';
import type { Logger } from '../common/logger.js';
import { readPem } from '../common/tls.js';
import { createOAuthTokenProvider, type OAuthTokenProvider } from './oauth-token-provider.js';

export interface KafkaSecurityOptions {
  readonly ssl: ConnectionOptions | boolean;
  readonly sasl: SASLOptions | undefined;
}

const providers = new WeakMap<KafkaOAuthBearerConfig, OAuthTokenProvider>();

export function kafkaSecurityOptions(
  config: Pick<AppConfig['kafka'], 'ssl' | 'sasl'>,
  logger: Logger,
): KafkaSecurityOptions {
  return { ssl: tlsOptions(config.ssl), sasl: saslOptions(config.sasl, logger) };
}

function tlsOptions(ssl: boolean | KafkaTlsConfig): ConnectionOptions | boolean {
  if (typeof ssl === 'boolean') return ssl;
  const pem = (key: 'ca' | 'certificate' | 'privateKey'): { value?: string } => {
    const value = ssl[key];
    return value === undefined ? {} : { value: readPem(`kafka.ssl.${key}`, value) };
  };
  const ca = pem('ca').value;
  const cert = pem('certificate').value;
  const key = pem('privateKey').value;
  return {
    rejectUnauthorized: ssl.rejectUnauthorized,
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(ssl.passphrase === undefined ? {} : { passphrase: ssl.passphrase }),
    ...(ssl.servername === undefined ? {} : { servername: ssl.servername }),
  };
}

function saslOptions(sasl: AppConfig['kafka']['sasl'], logger: Logger): SASLOptions | undefined {
  if (sasl === undefined) return undefined;
  if (sasl.mechanism === 'oauthbearer') {
    // The schema guarantees the section for this mechanism.
    const oauth = sasl.oauthbearer as KafkaOAuthBearerConfig;
    let provider = providers.get(oauth);
    if (provider === undefined) {
      provider = createOAuthTokenProvider(oauth, { logger: logger.child({ component: 'kafka-oauth' }) });
      providers.set(oauth, provider);
    }
    const shared = provider;
    return { mechanism: 'oauthbearer', oauthBearerProvider: () => shared.token() };
  }
  // The schema guarantees both for plain and SCRAM.
  return { mechanism: sasl.mechanism, username: sasl.username as string, password: sasl.password as string };
}
