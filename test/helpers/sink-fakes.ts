/**
 * In-memory stand-ins for the sink runner's unit tests: a record decoder for which every key and
 * value is already known (the key's bytes as its text, one schema version each), so records are
 * taken without waiting for a registry.
 */
import type { RecordDecoder } from '../../sinks/runner/decode.js';

export const knownSchemasDecoder: RecordDecoder = {
  decodeKeyNow: (buffer) => ({ schemaId: 1, schema: {}, value: buffer.toString() }),
  schemaOfNow: () => ({ schemaId: 2, schema: {} }),
  decodeKey: async (buffer) => ({ schemaId: 1, schema: {}, value: buffer.toString() }),
  schemaOf: async () => ({ schemaId: 2, schema: {} }),
  resolve: async () => {
    throw new Error('not used: batches go to the fake writer');
  },
  latestSchemas: async () => ({ key: { schemaId: 1, schema: {} }, value: { schemaId: 2, schema: {} } }),
};

/** A value as the source writes it: Confluent framing (magic byte, schema id 2, the known value schema), then the body. */
export const framed = (body: string): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0, 2]), Buffer.from(body)]);
