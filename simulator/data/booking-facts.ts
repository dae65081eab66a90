/**
 * The derived facts of a booking (who comes, which options, what it costs, when it ends), as
 * pure functions of (seed, index, version). Generation, payment settlement and the JSON view all
 * call these, so a price computed at generation equals the price served a year later.
 */
import { Rng, hash } from '../random.js';
import { DAY } from '../time.js';
import type { Catalog } from './catalog.js';
import { taxOf } from './money.js';
import type { ProductSpec } from './themes.js';

export interface PeopleNumber {
  peopleCategoryId: string;
  number: number;
}

export interface ChosenOption {
  id: string;
  name: string;
  value: string;
}

export interface PriceFacts {
  net: number;
  taxes: number;
  gross: number;
}

const SALT_PEOPLE = 0xb1;
const SALT_OPTIONS = 0xb2;
const SALT_PLAN = 0xb3;
const SALT_LENGTH = 0xb4;
const NOTES = ['Celebrating a birthday!', 'One guest is vegetarian', 'First time – a bit nervous', 'Arriving from the cruise ship', 'Need a receipt for the company'];
const PHOTO_PACKAGE_CENTS = 1500;

export function participantsOf(seed: number, index: number, version: number, spec: ProductSpec): PeopleNumber[] {
  const rng = new Rng(hash(seed, SALT_PEOPLE, index, version));
  const categories = Object.keys(spec.rates);
  const first = categories[0] as string;
  if (spec.type === 'flexibleTime') return [{ peopleCategoryId: first, number: rng.weighted([1, 2, 3, 4], [50, 30, 12, 8]) }];
  const numbers: PeopleNumber[] = [{ peopleCategoryId: first, number: rng.weighted([1, 2, 3, 4, 5, 6], [15, 40, 15, 15, 8, 7]) }];
  for (const [position, category] of categories.slice(1).entries()) {
    const likely = position === 0 ? 0.45 : 0.12;
    if (rng.chance(likely)) numbers.push({ peopleCategoryId: category, number: category === 'Cfamily' ? 1 : rng.between(1, 3) });
  }
  return numbers;
}

export function optionsOf(seed: number, index: number, version: number, catalog: Catalog): ChosenOption[] {
  const rng = new Rng(hash(seed, SALT_OPTIONS, index, version));
  const [photo, level, notes] = catalog.options;
  const out: ChosenOption[] = [];
  if (photo !== undefined && rng.chance(0.2)) out.push({ id: photo.id, name: photo.name, value: 'true' });
  if (level !== undefined && rng.chance(0.5)) out.push({ id: level.id, name: level.name, value: rng.pick(level.values ?? [{ id: '', name: 'Beginner' }]).name });
  if (notes !== undefined && rng.chance(0.1)) out.push({ id: notes.id, name: notes.name, value: rng.pick(NOTES) });
  return out;
}

export function priceOf(numbers: readonly PeopleNumber[], options: readonly ChosenOption[], rates: Readonly<Record<string, number>>, taxBasisPoints: number): PriceFacts {
  let net = 0;
  for (const n of numbers) net += n.number * (rates[n.peopleCategoryId] ?? 0);
  if (options.some((o) => o.name === 'Photo package' && o.value === 'true')) net += PHOTO_PACKAGE_CENTS;
  const taxes = taxOf(net, taxBasisPoints);
  return { net, taxes, gross: net + taxes };
}

/** How the customer pays: 0 in full when booking, 1 a 30 % deposit then the balance at the start, 2 everything at the venue. */
export function paymentPlan(seed: number, index: number): 0 | 1 | 2 {
  const roll = hash(seed, SALT_PLAN, index) % 100;
  return roll < 55 ? 0 : roll < 80 ? 1 : 2;
}

/** End time: one class for fixed products, the last class for courses, 1–3× the default for rentals. */
export function endOf(seed: number, index: number, start: number, spec: ProductSpec): number {
  if (spec.type === 'fixedCourse') return start + ((spec.sessions ?? 1) - 1) * 7 * DAY + spec.minutes * 60;
  if (spec.type === 'flexibleTime') return start + spec.minutes * 60 * (1 + (hash(seed, SALT_LENGTH, index) % 2));
  return start + spec.minutes * 60;
}
