/**
 * The error of an Avro body that does not decode with its writer's schema, as every sink's
 * transcoder reports it: the record's own fault, not the destination's.
 */
import { WireFormatError } from '../avro/wire.js';

/** The error of a body that does not decode with its writer's schema: the record's own fault, dead-lettered with stage `decode`. */
export function undecodableBody(schemaId: number, error: unknown): WireFormatError {
  return new WireFormatError(
    `message with schema id ${schemaId} does not decode with that schema: ${(error as Error).message}`,
  );
}
