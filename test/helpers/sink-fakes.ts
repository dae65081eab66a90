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
  decodeValue: async () => ({ schemaId: 2, schema: {}, value: {} }),
  latestSchemas: async () => ({ key: { schemaId: 1, schema: {} }, value: { schemaId: 2, schema: {} } }),
};
