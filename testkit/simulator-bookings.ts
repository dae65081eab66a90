/**
 * Simulator bookings as the source publishes them: each booking's JSON (participants expanded, the
 * customer expanded on every other one when asked) encoded with the reviewed bookings value schema,
 * without the Confluent header, keyed as the source keys it. For tests and benchmarks of a sink's
 * write path that need realistic bodies without Kafka or a registry.
 */
import { createValueWriter } from '../avro/convert.js';
import { valueSchemaOf } from '../avro/schemas.js';
import { HEADER_SIZE } from '../avro/wire.js';
import { bookingJson } from '../simulator/data/booking-view.js';
import { SimulatorState } from '../simulator/state.js';
import { webhookSettings } from '../simulator/webhooks/dispatcher.js';

export interface BookingBody {
  readonly key: { readonly account: string; readonly id: string };
  readonly body: Buffer;
}

export function simulatorBookingBodies(
  count: number,
  options: { readonly seed?: number; readonly account?: string; readonly someCustomersExpanded?: boolean } = {},
): BookingBody[] {
  const account = options.account ?? 'bench';
  const state = new SimulatorState({
    seed: options.seed ?? 7,
    scale: count,
    accounts: [{ apiKey: account }],
    secretKey: account,
    clock: 'virtual',
    now: '2026-06-01T12:00:00Z',
    historyDays: 365,
    futureDays: 90,
    tokenTtlSeconds: 3600,
    mutationRate: 0,
    maxTokenIds: 1_000_000,
    webhooks: webhookSettings(),
  });
  const data = state.account(account);
  const writer = createValueWriter(valueSchemaOf('bookings'), 'bookings.value');
  const now = state.nowSeconds();
  const out: BookingBody[] = [];
  for (const index of data.bookings.select({ includeCanceled: true })) {
    if (out.length === count) break;
    const expandCustomer = options.someCustomersExpanded === true && out.length % 2 === 0;
    const json = bookingJson(data, index, { expandCustomer, expandParticipants: true }, now);
    out.push({ key: { account, id: String(json.bookingNumber) }, body: writer.encode(json, 1).subarray(HEADER_SIZE) });
  }
  return out;
}
