/** Validation of a booking sent by a client (POST /bookings, POST /holds), with Bookeo's product rules. */
import type { ChosenOption, PeopleNumber } from '../data/booking-facts.js';
import type { Identity } from '../data/customers.js';
import { badRequest } from '../http.js';
import type { AccountData } from '../store.js';
import { parseQueryTime } from '../time.js';

export interface BookingInput {
  product: number;
  start: number;
  /** An existing customer, or undefined with `newCustomer` set. */
  customer?: number;
  newCustomer?: Identity;
  numbers: PeopleNumber[];
  options: ChosenOption[];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function parseBookingInput(account: AccountData, body: unknown, now: number): BookingInput {
  if (!isObject(body)) throw badRequest('the body must be a JSON booking object');
  const productId = body.productId;
  if (typeof productId !== 'string') throw badRequest('productId is required');
  const product = account.catalog.productIndex(productId);
  const state = account.catalog.products[product];
  if (state === undefined) throw badRequest(`unknown productId ${productId}`);
  const spec = state.spec;

  let start: number | undefined;
  if (typeof body.eventId === 'string') {
    const [code, date] = body.eventId.split('_');
    const slot = code === undefined ? -1 : state.events.decode(code);
    if (slot < 0 || date !== account.ctx.zone.date(slot * 1800))
      throw badRequest(`eventId ${body.eventId} is not an event of product ${productId}`);
    start = slot * 1800;
  } else if (spec.type === 'flexibleTime' && typeof body.startTime === 'string') {
    start = parseQueryTime(body.startTime, account.ctx.zone);
    if (start === undefined) throw badRequest(`startTime is not a valid date-time: ${body.startTime}`);
    start = Math.floor(start);
  } else {
    throw badRequest(
      spec.type === 'flexibleTime'
        ? 'eventId or startTime is required for a flexibleTime product'
        : `eventId is required for a ${spec.type} product`,
    );
  }
  if (start <= now) throw badRequest('the event or start time is in the past');

  let customer: number | undefined;
  let newCustomer: Identity | undefined;
  if (typeof body.customerId === 'string') {
    customer = account.customers.indexOf(body.customerId);
    if (customer < 0 || account.customers.isDeleted(customer))
      throw badRequest(`unknown customerId ${body.customerId}`);
  } else if (
    isObject(body.customer) &&
    typeof body.customer.firstName === 'string' &&
    typeof body.customer.lastName === 'string'
  ) {
    const email = body.customer.emailAddress;
    newCustomer = {
      firstName: body.customer.firstName,
      lastName: body.customer.lastName,
      emailAddress: typeof email === 'string' ? email : '',
      gender: 'unknown',
    };
  } else {
    throw badRequest('customerId, or a customer with firstName and lastName, is required');
  }

  const participants = body.participants;
  const rawNumbers = isObject(participants) ? participants.numbers : undefined;
  if (!Array.isArray(rawNumbers)) throw badRequest('participants.numbers is required');
  const numbers: PeopleNumber[] = [];
  for (const entry of rawNumbers as unknown[]) {
    if (
      !isObject(entry) ||
      typeof entry.peopleCategoryId !== 'string' ||
      !Number.isInteger(entry.number) ||
      (entry.number as number) < 0
    ) {
      throw badRequest('each participants.numbers entry needs peopleCategoryId and a non-negative integer number');
    }
    if (!(entry.peopleCategoryId in spec.rates))
      throw badRequest(`people category ${entry.peopleCategoryId} cannot book product ${productId}`);
    if ((entry.number as number) > 0)
      numbers.push({ peopleCategoryId: entry.peopleCategoryId, number: entry.number as number });
  }
  if (numbers.length === 0) throw badRequest('a booking needs at least one participant');

  const options: ChosenOption[] = [];
  if (Array.isArray(body.options)) {
    for (const entry of body.options as unknown[]) {
      const known = isObject(entry) ? account.catalog.options.find((o) => o.id === entry.id) : undefined;
      if (known === undefined || !isObject(entry) || typeof entry.value !== 'string')
        throw badRequest('each option needs the id of a product option and a string value');
      options.push({ id: known.id, name: known.name, value: entry.value });
    }
  }
  const input: BookingInput = { product, start, numbers, options };
  if (customer !== undefined) input.customer = customer;
  if (newCustomer !== undefined) input.newCustomer = newCustomer;
  return input;
}
