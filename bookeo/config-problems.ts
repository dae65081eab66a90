/**
 * What reading Bookeo needs of the configuration beyond its schema: the application's secret key,
 * at least one enabled account with a unique id, and a resource selection the catalog knows (a
 * child resource with its parent). The source and reconcile check it at their start, reporting
 * every problem at once like schema problems.
 */
import type { AppConfig } from '../common/config/schema.js';
import type { ConfigProblem } from '../common/errors.js';
import { RESOURCE_CATALOG } from './catalog/catalog.js';

export function bookeoConfigProblems(config: AppConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (config.bookeo.secretKey === undefined)
    problems.push({ key: 'bookeo.secretKey', expected: "the application's secret key", found: 'nothing' });
  if (!config.bookeo.accounts.some((account) => account.enabled))
    problems.push({
      key: 'bookeo.accounts',
      expected: 'at least one enabled account {id, apiKey}',
      found: `${config.bookeo.accounts.length} enabled`,
    });
  const ids = config.bookeo.accounts.map((account) => account.id);
  const duplicate = ids.find((id, index) => ids.indexOf(id) !== index);
  if (duplicate !== undefined)
    problems.push({ key: 'bookeo.accounts', expected: 'unique account ids', found: `"${duplicate}" twice` });
  const names = RESOURCE_CATALOG.map((definition) => definition.name as string);
  for (const resource of config.source.resources ?? []) {
    if (!names.includes(resource))
      problems.push({
        key: 'source.resources',
        expected: `names from ${names.join(', ')}`,
        found: JSON.stringify(resource),
      });
  }
  const chosen = config.source.resources;
  if (chosen !== undefined) {
    for (const definition of RESOURCE_CATALOG) {
      if (
        definition.cursor.kind === 'child' &&
        chosen.includes(definition.name) &&
        !chosen.includes(definition.cursor.parent)
      ) {
        problems.push({
          key: 'source.resources',
          expected: `${definition.cursor.parent} listed too (${definition.name} is fetched for its changes)`,
          found: JSON.stringify(chosen),
        });
      }
    }
  }
  return problems;
}
