/** Removes what a test (or a bench run) created under a prefix: its topics, consumer groups and registry subjects. */
import { stackEndpoints } from '../deploy/stack/endpoints.js';
import { withAdmin } from '../kafka/admin.js';
import type { KafkaClient } from '../kafka/client.js';

export async function cleanupPrefix(kafka: KafkaClient, prefix: string): Promise<void> {
  await withAdmin(kafka, async (admin) => {
    const topics = (await admin.listTopics()).filter((name) => name.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics(topics).catch(() => undefined);
    const groups = (await admin.listGroups()).filter((id) => id.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  });
  const base = stackEndpoints().registryUrl;
  const subjects = (await (await fetch(`${base}/subjects`)).json()) as string[];
  for (const subject of subjects.filter((name) => name.startsWith(prefix))) {
    await fetch(`${base}/subjects/${encodeURIComponent(subject)}`, { method: 'DELETE' });
    await fetch(`${base}/subjects/${encodeURIComponent(subject)}?permanent=true`, { method: 'DELETE' });
  }
}
