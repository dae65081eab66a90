/**
 * The sinks' registry decoder when the registry answers but does not know a topic's subjects yet:
 * after a restart a registry can serve before it has loaded its storage (Apicurio replays it from
 * Kafka). That is a wait, not a verdict: the error must be retriable, or the sink stops.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SchemaRegistryError } from '../../avro/errors.js';
import type { SchemaRegistry } from '../../avro/registry.js';
import { isRetriable } from '../../common/errors.js';
import { createRegistryDecoder } from '../../sinks/runner/registry-decoder.js';

const notUsed = (): never => {
  throw new Error('not used');
};

describe('sink registry decoder', () => {
  it('treats a subject the registry does not know (yet) as retriable', async () => {
    const loading: SchemaRegistry = {
      url: 'http://registry',
      latest: () => Promise.resolve(undefined),
      schemaById: notUsed,
      lookup: notUsed,
      register: notUsed,
      incompatibilities: notUsed,
      getCompatibility: notUsed,
      setCompatibility: notUsed,
      deleteSubject: notUsed,
      close: () => Promise.resolve(),
    };
    await assert.rejects(createRegistryDecoder(loading).latestSchemas('p.customers'), (error: unknown) => error instanceof SchemaRegistryError && /no schema registered under p\.customers-key/.test(error.message) && isRetriable(error));
  });
});
