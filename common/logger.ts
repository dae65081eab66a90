/**
 * The pino root logger. JSON by default, pretty on a terminal; secret paths redacted (see
 * secrets.ts), and a password written into a URL masked wherever it appears: in the message, in
 * any field or child binding (a ClickHouse or PostgreSQL URL), in an error's message or stack.
 * Components take `logger.child({ component, ... })`; nothing else logs.
 */
import { pino, type Logger, type DestinationStream } from 'pino';
import { maskUrlPassword, maskUrlsInLogValue, secretLogPaths } from './secrets.js';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level: string;
  readonly format: 'auto' | 'json' | 'pretty';
  readonly name?: string;
  /** Where lines go; tests pass a stream to capture them. */
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty =
    options.destination === undefined &&
    (options.format === 'pretty' || (options.format === 'auto' && process.stderr.isTTY === true));
  const base = {
    level: options.level,
    name: options.name ?? 'bookeo-connect',
    redact: { paths: secretLogPaths(), censor: '***' },
    serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
    formatters: { log: (object: Record<string, unknown>) => maskUrlsInLogValue(object) },
    // A child's bindings are serialized once, when it is made (pino skips the formatters for them).
    onChild(child: Logger) {
      const internal = child as unknown as Record<symbol, string>;
      internal[pino.symbols.chindingsSym] = maskUrlPassword(internal[pino.symbols.chindingsSym] ?? '');
    },
    hooks: {
      logMethod(this: Logger, args: Parameters<Logger['info']>, method: (...args: unknown[]) => void) {
        method.apply(
          this,
          args.map((arg: unknown) => (typeof arg === 'string' ? maskUrlPassword(arg) : arg)),
        );
      },
    },
  };
  if (pretty) {
    return pino({
      ...base,
      transport: {
        target: 'pino-pretty',
        options: { destination: 2, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
      },
    });
  }
  return pino(base, options.destination ?? pino.destination(2));
}
