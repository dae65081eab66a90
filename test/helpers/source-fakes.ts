/**
 * In-memory stand-ins for a source stream's Kafka side, for unit tests of stream logic: a
 * serializer that writes JSON instead of Avro, and an offset store in a map.
 */
import type { OffsetStore, SourceOffset } from '../../connector/source/offsets.js';
import type { TopicSerializer } from '../../avro/topic-serializer.js';

export function jsonSerializer(topic: string): TopicSerializer {
  return {
    topic,
    subjects: { key: `${topic}-key`, value: `${topic}-value` },
    keySchemaId: 1,
    value: { id: 2, version: 1, schema: { type: 'record', name: 'X', fields: [] } },
    serializeKey: (account, id) => Buffer.from(`${account}/${id}`),
    serializeValue: async (entity) => Buffer.from(JSON.stringify(entity)),
  };
}

export function memoryOffsets(): OffsetStore {
  const offsets = new Map<string, SourceOffset>();
  return {
    get: (partition) => offsets.get(partition),
    record: (partition, offset) => ({
      topic: 'offsets',
      key: partition,
      value: offset === null ? null : JSON.stringify(offset),
    }),
    applied(records) {
      for (const { partition, offset } of records) {
        if (offset === null) offsets.delete(partition);
        else offsets.set(partition, offset);
      }
    },
    entries: () => offsets,
  };
}
