/**
 * The schema registry client may be closed by more than one owner (the demo stops the source
 * runtime once for the live phase and again in its final cleanup): a second close must be a no-op,
 * not a ClientDestroyedError printed as "error during shutdown".
 */
import { describe, it } from 'node:test';
import { createSchemaRegistry } from '../../avro/registry.js';

describe('schema registry client close', () => {
  it('can be closed twice, and concurrently', async () => {
    const registry = createSchemaRegistry({ url: 'http://127.0.0.1:9/apis/ccompat/v7' });
    await Promise.all([registry.close(), registry.close()]);
    await registry.close();
  });
});
