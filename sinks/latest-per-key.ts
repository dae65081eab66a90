/**
 * The last record of each key in a batch, for destinations that merge a batch into a table by key
 * and so need at most one staged row per key. A partition's records arrive in offset order; the
 * highest offset wins anyway. Works on decoded and on Avro records alike (only the key is read).
 */
export function latestPerKey<R extends { readonly key: Readonly<Record<string, unknown>>; readonly offset: number }>(
  records: readonly R[],
  keyColumns: readonly string[],
): R[] {
  const latest = new Map<string, R>();
  for (const record of records) {
    const key =
      keyColumns.length === 1
        ? String(record.key[keyColumns[0] as string])
        : JSON.stringify(keyColumns.map((name) => record.key[name]));
    const seen = latest.get(key);
    if (seen === undefined || seen.offset < record.offset) latest.set(key, record);
  }
  return [...latest.values()];
}
