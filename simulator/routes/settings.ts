/** Settings (languages, products, resources, people categories, taxes, business, apikeyinfo). */
import { badRequest, ok } from '../http.js';
import { allIndices, listPage, type ApiRoute } from './types.js';

const PRODUCT_TYPES = ['fixed', 'fixedCourse', 'flexibleTime'];

export const settingsRoutes: readonly ApiRoute[] = [
  {
    method: 'GET',
    path: '/settings/languages',
    // Not paged: `{data: [...]}` (S6, S10).
    handler: ({ account }) =>
      ok(
        { data: account.ctx.theme.languages.map((l, i) => ({ tag: l.tag, name: l.name, customersDefault: i === 0 })) },
        'list',
      ),
  },
  {
    method: 'GET',
    path: '/settings/peoplecategories',
    handler: ({ account }) => ok({ categories: account.ctx.theme.categories.map((c) => ({ ...c })) }),
  },
  {
    method: 'GET',
    path: '/settings/products',
    handler: (request) => {
      const { account, query, now } = request;
      const type = query.get('type');
      if (type !== null && type !== '' && !PRODUCT_TYPES.includes(type))
        throw badRequest(`type must be one of ${PRODUCT_TYPES.join(', ')}`);
      const products = account.catalog.products;
      const page = listPage(
        request,
        'products',
        100,
        () => ({
          ids: allIndices(products.length, (i) => type === null || type === '' || products[i]?.spec.type === type),
          context: undefined,
        }),
        (i) => account.catalog.productJson(i, now, account.ctx.theme.currency),
      );
      return ok(page, 'list');
    },
  },
  {
    method: 'GET',
    path: '/settings/resources',
    handler: (request) => {
      const types = request.account.catalog.resourceTypes;
      const page = listPage(
        request,
        'resources',
        100,
        () => ({ ids: allIndices(types.length, () => true), context: undefined }),
        (i) => (types[i] === undefined ? undefined : request.account.catalog.resourceTypeJson(types[i])),
      );
      return ok(page, 'list');
    },
  },
  {
    method: 'GET',
    path: '/settings/taxes',
    handler: ({ account }) =>
      ok({ data: [{ id: account.catalog.taxId, name: account.ctx.theme.taxName, enabled: true }] }),
  },
  {
    method: 'GET',
    path: '/settings/business',
    handler: ({ account }) => {
      const { theme, name } = account.ctx;
      const place = theme.cities[0];
      return ok({
        id: account.catalog.taxId.slice(0, 12),
        name,
        phoneNumbers: [{ number: `${theme.phonePrefix} 0100`, type: 'work' }],
        streetAddress: {
          address1: '1 Harbour Way',
          city: place?.city,
          countryCode: theme.country,
          state: place?.state,
          postcode: place?.postcode,
        },
        websiteURL: `https://www.${name.toLowerCase().replace(/[^a-z]/g, '')}.example.com`,
        emailAddress: 'hello@example.com',
      });
    },
  },
  {
    method: 'GET',
    path: '/settings/apikeyinfo',
    handler: ({ account }) =>
      ok({
        accountId: `${account.catalog.taxId.slice(0, 8)}${account.ctx.index}`,
        permissions: ['bookings_r_all', 'bookings_rw_all', 'customers_r_all', 'payments_r_all', 'availability_r'],
        creationTime: account.ctx.zone.iso(account.ctx.generatedAt - (account.ctx.historyDays + 30) * 86_400),
      }),
  },
];
