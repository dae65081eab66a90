/**
 * The small, mutable settings of an account: products (with a price history, so an old booking
 * keeps the price it was sold at after a product's rates change), resource types, people
 * categories, languages and taxes. A few dozen objects, held as plain JS.
 */
import type { Rng} from '../random.js';
import { IdCodec, hash, idPrefix } from '../random.js';
import type { AccountContext } from './account.js';
import { money } from './money.js';
import type { ProductSpec } from './themes.js';

export const SLOTS_PER_DAY = 26; // half hours from 08:00 to 20:30 local

export interface ProductState {
  readonly spec: ProductSpec;
  readonly productId: string;
  readonly events: IdCodec;
  productCode: string;
  name: string;
  description: string;
  version: number;
  /** Rates in force from `from` (epoch seconds); ascending, the first from 0. */
  readonly rateHistory: { from: number; rates: Readonly<Record<string, number>> }[];
}

export interface ResourceState {
  readonly id: string;
  name: string;
}

export interface ResourceTypeState {
  readonly id: string;
  name: string;
  readonly isPublic: boolean;
  readonly resources: ResourceState[];
}

export interface OptionSpec {
  readonly id: string;
  readonly name: string;
  readonly kind: 'onOff' | 'choice' | 'text';
  readonly values?: readonly { id: string; name: string }[];
}

export class Catalog {
  readonly products: ProductState[];
  readonly resourceTypes: ResourceTypeState[];
  readonly options: readonly OptionSpec[];
  readonly taxId: string;
  /** Product indices bookable at (day of week × 26 + slot), with their weights. */
  readonly slotProducts: { items: number[]; weights: number[] }[];
  private readonly resourceIds: IdCodec;

  private readonly account: AccountContext;

  constructor(account: AccountContext) {
    this.account = account;
    const seed = account.seed;
    const ids = new IdCodec(idPrefix(seed, 'product'), hash(seed, 1));
    this.resourceIds = new IdCodec(idPrefix(seed, 'resource'), hash(seed, 2));
    this.taxId = new IdCodec(idPrefix(seed, 'tax'), hash(seed, 3)).encode(1);
    this.products = account.theme.products.map((spec, index) => ({
      spec,
      productId: ids.encode(index),
      events: new IdCodec(idPrefix(seed, `event${index}`), hash(seed, 4, index)),
      productCode: `${spec.name.replace(/[^A-Za-z]/g, '').slice(0, 4).toUpperCase()}${index + 1}`,
      name: spec.name,
      description: `<p>${spec.name}: ${describe(spec)}</p>`,
      version: 0,
      rateHistory: [{ from: 0, rates: spec.rates }],
    }));
    let resourceCount = 0;
    this.resourceTypes = account.theme.resourceTypes.map((type, index) => ({
      id: this.resourceIds.encode(10_000 + index),
      name: type.name,
      isPublic: type.isPublic,
      resources: type.items.map((name) => ({ id: this.resourceIds.encode(resourceCount++), name })),
    }));
    const optionIds = new IdCodec(idPrefix(seed, 'option'), hash(seed, 5));
    this.options = [
      { id: optionIds.encode(1), name: 'Photo package', kind: 'onOff' },
      { id: optionIds.encode(2), name: 'Experience level', kind: 'choice', values: ['Beginner', 'Intermediate', 'Advanced'].map((name, i) => ({ id: optionIds.encode(100 + i), name })) },
      { id: optionIds.encode(3), name: 'Notes for the team', kind: 'text' },
    ];
    this.slotProducts = [];
    for (let day = 0; day < 7; day++) {
      for (let slot = 0; slot < SLOTS_PER_DAY; slot++) {
        const items: number[] = [];
        const weights: number[] = [];
        this.products.forEach((product, index) => {
          const spec = product.spec;
          const runs = spec.type === 'flexibleTime' ? slot < SLOTS_PER_DAY - spec.minutes / 30 : (spec.slots ?? []).includes(slot);
          if (runs && (spec.days === undefined || spec.days.includes(day))) {
            items.push(index);
            weights.push(spec.weight);
          }
        });
        this.slotProducts.push({ items, weights });
      }
    }
  }

  productIndex(productId: string): number {
    return this.products.findIndex((p) => p.productId === productId);
  }

  ratesAt(product: number, time: number): Readonly<Record<string, number>> {
    const history = (this.products[product] as ProductState).rateHistory;
    for (let i = history.length - 1; i > 0; i--) if ((history[i] as { from: number }).from <= time) return (history[i] as { rates: Record<string, number> }).rates;
    return (history[0] as { rates: Record<string, number> }).rates;
  }

  /** A product edit as an account manager makes it: code, wording, and sometimes new rates from now on. */
  editProduct(index: number, now: number, rng: Rng): ProductState {
    const product = this.products[index] as ProductState;
    product.version++;
    product.productCode = `${product.productCode.replace(/-v\d+$/, '')}-v${product.version + 1}`;
    product.description = `<p>${product.spec.name}: ${describe(product.spec)} Updated ${this.account.zone.date(now)}.</p>`;
    if (rng.chance(0.5)) product.name = `${product.spec.name}${rng.chance(0.5) ? ' – Summer Special' : ''}`;
    if (rng.chance(0.6)) {
      const factor = 1 + rng.between(-5, 12) / 100;
      const current = this.ratesAt(index, now);
      const rates: Record<string, number> = {};
      for (const [category, cents] of Object.entries(current)) rates[category] = Math.round((cents * factor) / 50) * 50;
      product.rateHistory.push({ from: now, rates });
    }
    return product;
  }

  /** Renames a resource, or adds one to a type (new kayak, new room). */
  editResource(rng: Rng): ResourceTypeState {
    const type = rng.pick(this.resourceTypes);
    if (rng.chance(0.5) || type.resources.length === 0) {
      const count = this.resourceTypes.reduce((sum, t) => sum + t.resources.length, 0);
      type.resources.push({ id: this.resourceIds.encode(count + 1000), name: `${type.name.replace(/s$/, '')} ${type.resources.length + 1}` });
    } else {
      const resource = rng.pick(type.resources);
      resource.name = `${resource.name.replace(/ \(refurbished\)$/, '')} (refurbished)`;
    }
    return type;
  }

  productJson(index: number, now: number, currency: string): Record<string, unknown> {
    const product = this.products[index] as ProductState;
    const spec = product.spec;
    const rates = this.ratesAt(index, now);
    const minutes = spec.minutes;
    return {
      productId: product.productId,
      productCode: product.productCode,
      name: product.name,
      description: product.description,
      images: [{ url: `https://images.example.com/${product.productId}.jpg` }],
      bookingLimits: [{ min: 1, max: spec.type === 'flexibleTime' ? 4 : 12 }],
      defaultRates: Object.entries(rates).map(([peopleCategoryId, cents]) => ({ peopleCategoryId, price: money(cents, currency) })),
      duration: { days: 0, hours: Math.floor(minutes / 60), minutes: minutes % 60 },
      type: spec.type,
      membersOnly: spec.membersOnly === true,
      prepaidOnly: spec.type === 'fixedCourse',
      acceptDeny: spec.acceptDeny === true,
      apiBookingsAllowed: true,
      dropInOnly: false,
      allowPrivateEvents: spec.type === 'fixed',
      ...this.optionsJson(),
    };
  }

  resourceTypeJson(type: ResourceTypeState): Record<string, unknown> {
    return { id: type.id, name: type.name, isPublic: type.isPublic, resources: type.resources.map((r) => ({ id: r.id, name: r.name })) };
  }

  private optionsJson(): Record<string, unknown> {
    const base = (o: OptionSpec, index: number): Record<string, unknown> => ({ id: o.id, name: o.name, description: '', index, shownToCustomers: true, enabled: true });
    const [onOff, choice, text] = this.options as [OptionSpec, OptionSpec, OptionSpec];
    return {
      onOffOptions: [{ ...base(onOff, 1), defaultState: false }],
      choiceOptions: [{ ...base(choice, 2), values: (choice.values ?? []).map((v) => ({ ...v, description: '' })), defaultValueId: choice.values?.[0]?.id }],
      textOptions: [{ ...base(text, 3), required: false }],
    };
  }
}

function describe(spec: ProductSpec): string {
  if (spec.type === 'fixedCourse') return `a ${spec.sessions ?? 1}-class course, ${spec.minutes} minutes per class.`;
  if (spec.type === 'flexibleTime') return `book any start time; ${spec.minutes} minutes by default.`;
  return `a scheduled ${spec.minutes}-minute experience.`;
}
