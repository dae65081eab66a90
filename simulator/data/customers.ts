/**
 * Customers and their linked people, stored lazily. A customer's fields are a pure function of
 * (account seed, index, version); only what changes is kept, column-wise: edit version, deleted
 * flag, booking counters and the creation time of customers added after start. Creation time is
 * non-decreasing in the index, so `createdSince` is a binary search, not a scan.
 */
import type { Column} from '../columns.js';
import { i32, lowerBound, u16, u32, u8 } from '../columns.js';
import { IdCodec, Rng, hash, idPrefix, unit } from '../random.js';
import { DAY } from '../time.js';
import type { AccountContext } from './account.js';
import { money } from './money.js';
import { EMAIL_DOMAINS, FIRST_NAMES, HEARD_FROM, LAST_NAMES, STREETS, emailSafe } from './names.js';

export interface Identity {
  firstName: string;
  lastName: string;
  emailAddress: string;
  gender: 'male' | 'female' | 'unknown';
}

const SALT_IDENTITY = 0xc0;
const SALT_EDITABLE = 0xc1;
const SALT_DUPLICATE = 0xc2;
const SALT_CREATED = 0xc3;
const SALT_PEOPLE = 0xc4;

export class CustomerStore {
  readonly ids: IdCodec;
  readonly peopleIds: IdCodec;
  readonly version: Column<Uint16Array>;
  readonly deleted: Column<Uint8Array>;
  readonly numBookings: Column<Uint16Array>;
  readonly numCancelations: Column<Uint16Array>;
  readonly numNoShows: Column<Uint16Array>;
  /** Creation times of customers added after start (index − baseCount). */
  readonly addedCreated: Column<Uint32Array>;
  /** Hard-deleted customer indices in deletion order. */
  readonly deletedOrder: Column<Int32Array>;
  /** Bookings of each base customer, ascending by start (CSR: offsets into list). */
  bookingOffsets = new Int32Array(1);
  bookingList = new Int32Array(0);
  /** Bookings added after start, per customer. */
  readonly addedBookings = new Map<number, number[]>();
  /** Names and e-mail of customers created through POST /bookings. */
  readonly posted = new Map<number, Identity>();
  readonly firstCreated: number;
  private readonly span: number;

  private readonly account: AccountContext;
  readonly baseCount: number;

  constructor(account: AccountContext, baseCount: number) {
    this.account = account;
    this.baseCount = baseCount;
    this.ids = new IdCodec(idPrefix(account.seed, 'customer'), hash(account.seed, 11));
    this.peopleIds = new IdCodec(idPrefix(account.seed, 'person'), hash(account.seed, 12));
    const capacity = baseCount + 64;
    this.version = u16(capacity);
    this.deleted = u8(capacity);
    this.numBookings = u16(capacity);
    this.numCancelations = u16(capacity);
    this.numNoShows = u16(capacity);
    for (const column of [this.version, this.deleted, this.numBookings, this.numCancelations, this.numNoShows]) column.length = baseCount;
    this.addedCreated = u32(64);
    this.deletedOrder = i32(64);
    // Customers go back two years before the booking history: a business has regulars.
    this.firstCreated = account.generatedAt - (account.historyDays + 730) * DAY;
    this.span = account.generatedAt - this.firstCreated;
  }

  count(): number {
    return this.version.length;
  }

  creationTime(index: number): number {
    if (index >= this.baseCount) return this.addedCreated.get(index - this.baseCount);
    return this.firstCreated + Math.floor(((index + unit(this.account.seed, SALT_CREATED, index)) * this.span) / this.baseCount);
  }

  /** First index created at or after `time` (creation time is non-decreasing in the index). */
  firstCreatedSince(time: number): number {
    return lowerBound(0, this.count(), (i) => this.creationTime(i), time);
  }

  isDeleted(index: number): boolean {
    return index < 0 || index >= this.count() || this.deleted.get(index) === 1;
  }

  indexOf(id: string): number {
    const index = this.ids.decode(id);
    return index >= 0 && index < this.count() ? index : -1;
  }

  /** Appends a customer created now; returns its index. */
  add(now: number): number {
    this.addedCreated.push(now);
    for (const column of [this.version, this.deleted, this.numBookings, this.numCancelations, this.numNoShows]) column.push(0);
    return this.count() - 1;
  }

  remove(index: number): void {
    this.deleted.set(index, 1);
    this.deletedOrder.push(index);
  }

  bookingsOf(index: number): number[] {
    const out: number[] = [];
    if (index < this.baseCount) {
      const end = this.bookingOffsets[index + 1] ?? 0;
      for (let k = this.bookingOffsets[index] ?? 0; k < end; k++) out.push(this.bookingList[k] as number);
    }
    const added = this.addedBookings.get(index);
    if (added !== undefined) out.push(...added);
    return out;
  }

  addBooking(customer: number, booking: number): void {
    const list = this.addedBookings.get(customer);
    if (list === undefined) this.addedBookings.set(customer, [booking]);
    else list.push(booking);
  }

  linkedCount(index: number): number {
    const u = unit(this.account.seed, SALT_PEOPLE, index);
    return u < 0.7 ? 0 : u < 0.85 ? 1 : u < 0.95 ? 2 : 3;
  }

  linkedId(index: number, k: number): string {
    return this.peopleIds.encode(index * 4 + k);
  }

  identity(index: number, depth = 0): Identity {
    const posted = this.posted.get(index);
    if (posted !== undefined) return posted;
    // Some customers are duplicate records of an earlier one (same name and e-mail), as in real accounts.
    if (depth < 3 && index > 0 && unit(this.account.seed, SALT_DUPLICATE, index) < 0.04) {
      return this.identity(hash(this.account.seed, SALT_DUPLICATE, index, 1) % index, depth + 1);
    }
    const rng = new Rng(hash(this.account.seed, SALT_IDENTITY, index));
    const firstName = rng.pick(FIRST_NAMES);
    const lastName = rng.pick(LAST_NAMES);
    const style = rng.int(4);
    const local = [`${emailSafe(firstName)}.${emailSafe(lastName)}`, `${emailSafe(firstName)}${rng.between(1, 99)}`, `${emailSafe(firstName)[0]}${emailSafe(lastName)}`, `${emailSafe(lastName)}.${emailSafe(firstName)}${rng.between(70, 99)}`][style];
    return { firstName, lastName, emailAddress: `${local}@${rng.pick(EMAIL_DOMAINS)}`, gender: rng.weighted(['female', 'male', 'unknown'] as const, [46, 44, 10]) };
  }

  /** The customer as Bookeo returns it; `next`/`previous` are booking start times computed by the caller. */
  json(index: number, now: number, next: number | undefined, previous: number | undefined): Record<string, unknown> {
    const { zone, theme, seed } = this.account;
    const who = this.identity(index);
    const version = this.version.get(index);
    const stable = new Rng(hash(seed, SALT_IDENTITY, index, 7));
    const editable = new Rng(hash(seed, SALT_EDITABLE, index, version));
    const place = editable.pick(theme.cities);
    const lastName = version > 0 && editable.chance(0.05) ? `${who.lastName}-${editable.pick(LAST_NAMES)}` : who.lastName;
    const out: Record<string, unknown> = {
      id: this.ids.encode(index),
      firstName: who.firstName,
      lastName,
      emailAddress: version > 0 && editable.chance(0.1) ? who.emailAddress.replace('@', `.${version}@`) : who.emailAddress,
      phoneNumbers: [{ number: `${theme.phonePrefix} ${String(editable.between(1000, 9999))}`, type: editable.pick(['mobile', 'mobile', 'home', 'work'] as const) }],
      streetAddress: { address1: `${editable.between(1, 999)} ${editable.pick(STREETS)}`, city: place.city, countryCode: theme.country, state: place.state, postcode: place.postcode },
      creationTime: zone.iso(this.creationTime(index)),
    };
    if (next !== undefined) out.startTimeOfNextBooking = zone.iso(next);
    if (previous !== undefined) out.startTimeOfPreviousBooking = zone.iso(previous);
    if (stable.chance(0.35)) out.dateOfBirth = `${stable.between(1950, 2006)}-${pad(stable.between(1, 12))}-${pad(stable.between(1, 28))}`;
    if (stable.chance(0.6)) out.customFields = [{ id: 'CF1', name: 'How did you hear about us?', value: stable.pick(HEARD_FROM) }];
    out.gender = who.gender;
    const credit = stable.chance(0.05) ? stable.between(1, 10) * 1000 : 0;
    out.credit = money(credit, theme.currency);
    if (editable.chance(0.2) && theme.languages.length > 1) out.languageCode = editable.pick(theme.languages).tag.replace('-', '_');
    out.acceptSmsReminders = editable.chance(0.55);
    out.numBookings = this.numBookings.get(index);
    out.numCancelations = this.numCancelations.get(index);
    out.numNoShows = this.numNoShows.get(index);
    // Memberships: 15 % hold one; most expire on a date, after which the customer is no longer a member.
    const membership = stable.next();
    if (membership < 0.2) {
      const end = this.account.generatedAt + (stable.between(-120, 365) * DAY);
      const expires = stable.chance(0.7);
      out.member = !expires || end >= now;
      if (expires) out.membershipEnd = zone.date(end);
    } else out.member = false;
    return out;
  }

  /** A linked person (a child, partner or friend the customer books for). */
  linkedPersonJson(index: number, k: number): Record<string, unknown> {
    const { zone, seed } = this.account;
    const rng = new Rng(hash(seed, SALT_PEOPLE, index, k + 1));
    const owner = this.identity(index);
    const child = rng.chance(0.6);
    const created = Math.min(this.creationTime(index) + rng.between(0, 400) * DAY, Math.max(this.creationTime(index), this.account.generatedAt));
    const out: Record<string, unknown> = {
      id: this.linkedId(index, k),
      firstName: rng.pick(FIRST_NAMES),
      lastName: rng.chance(0.85) ? owner.lastName : rng.pick(LAST_NAMES),
      creationTime: zone.iso(created),
      gender: rng.pick(['female', 'male'] as const),
      customerId: this.ids.encode(index),
    };
    if (child) out.dateOfBirth = `${rng.between(2010, 2021)}-${pad(rng.between(1, 12))}-${pad(rng.between(1, 28))}`;
    else if (rng.chance(0.4)) out.emailAddress = `${emailSafe(out.firstName as string)}.${emailSafe(out.lastName as string)}@${rng.pick(EMAIL_DOMAINS)}`;
    return out;
  }

  bytes(): number {
    return [this.version, this.deleted, this.numBookings, this.numCancelations, this.numNoShows, this.addedCreated, this.deletedOrder].reduce((sum, c) => sum + c.bytes(), 0) + this.bookingOffsets.byteLength + this.bookingList.byteLength;
  }
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
