/** Removes what a test (or a bench run) created under a prefix: its topics, consumer groups and registry subjects. */
import type { Kafka } from 'kafkajs';
import { stackEndpoints } from '../../deploy/stack/endpoints.js';

export async function cleanupPrefix(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((name) => name.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    const groups = (await admin.listGroups()).groups.map((group) => group.groupId).filter((id) => id.startsWith(prefix));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
  const base = stackEndpoints().registryUrl;
  const subjects = (await (await fetch(`${base}/subjects`)).json()) as string[];
  for (const subject of subjects.filter((name) => name.startsWith(prefix))) {
    await fetch(`${base}/subjects/${encodeURIComponent(subject)}`, { method: 'DELETE' });
    await fetch(`${base}/subjects/${encodeURIComponent(subject)}?permanent=true`, { method: 'DELETE' });
  }
}
