/**
 * Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian int, then the Avro
 * binary body. Any Confluent-compatible consumer reads our topics because of exactly this framing.
 *
 * Encoding writes straight into one growing scratch buffer after the 5-byte header and copies the
 * result out once: no per-record concat and no second buffer for the header.
 */
import type { Type } from 'avsc';
import { ConnectError } from '../common/errors.js';

export const MAGIC_BYTE = 0;
export const HEADER_SIZE = 5;

/** Bytes that are not a Confluent-framed message; never retriable (the bytes will not change). */
export class WireFormatError extends ConnectError {
  constructor(message: string) {
    super(message, { retriable: false });
  }
}

export interface FramedEncoder {
  encode(schemaId: number, type: Type, value: unknown): Buffer;
}

export function createFramedEncoder(initialSize = 4096): FramedEncoder {
  let scratch = Buffer.allocUnsafe(initialSize);
  return {
    encode(schemaId, type, value) {
      for (;;) {
        scratch[0] = MAGIC_BYTE;
        scratch.writeInt32BE(schemaId, 1);
        const end = type.encode(value, scratch, HEADER_SIZE);
        // avsc returns the end offset, or minus the number of missing bytes when the buffer is too small.
        if (end >= 0) return Buffer.from(scratch.subarray(0, end));
        scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end));
      }
    },
  };
}

/** Splits a framed message into its schema id and Avro body (a view, not a copy). */
export function unframe(message: Buffer): { schemaId: number; body: Buffer } {
  return { schemaId: schemaIdOf(message), body: message.subarray(HEADER_SIZE) };
}

/** The schema id of a framed message (checks the framing); the body starts at HEADER_SIZE. No view is made: a sink reads this per record. */
export function schemaIdOf(message: Buffer): number {
  if (message.length < HEADER_SIZE)
    throw new WireFormatError(
      `message of ${message.length} bytes is too short for the Confluent wire format (needs at least ${HEADER_SIZE})`,
    );
  if (message[0] !== MAGIC_BYTE)
    throw new WireFormatError(
      `message starts with byte ${message[0]}, expected magic byte ${MAGIC_BYTE} (not Confluent-framed Avro)`,
    );
  return message.readInt32BE(1);
}
