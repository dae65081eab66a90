/**
 * Business themes. Each account is one booking business (tours, escape rooms, a studio with
 * courses), so products, categories, resources and currency are coherent with each other and
 * a data team sees a plausible business rather than random rows.
 */

export interface ProductSpec {
  readonly name: string;
  readonly type: 'fixed' | 'fixedCourse' | 'flexibleTime';
  /** Minutes. Courses: length of one class. Flexible: the default duration. */
  readonly minutes: number;
  /** Price in cents per people category id (a missing id is not bookable for this product). */
  readonly rates: Readonly<Record<string, number>>;
  /** Half-hour slot indices after 08:00 at which the product runs (flexible products: any). */
  readonly slots?: readonly number[];
  /** Days of week it runs (0 = Sunday); absent = every day. */
  readonly days?: readonly number[];
  readonly sessions?: number;
  readonly weight: number;
  readonly membersOnly?: boolean;
  readonly acceptDeny?: boolean;
  readonly resourceType?: number;
}

export interface Theme {
  readonly business: string;
  readonly timezone: string;
  readonly currency: string;
  readonly country: string;
  readonly cities: readonly { city: string; state: string; postcode: string }[];
  readonly phonePrefix: string;
  readonly taxName: string;
  /** Tax in basis points (1/100 of a percent). */
  readonly taxBasisPoints: number;
  readonly categories: readonly { id: string; name: string; numSeats: number }[];
  readonly languages: readonly { tag: string; name: string }[];
  readonly resourceTypes: readonly { name: string; isPublic: boolean; items: readonly string[] }[];
  readonly products: readonly ProductSpec[];
}

const ADULT_CHILD = [
  { id: 'Cadults', name: 'Adults', numSeats: 1 },
  { id: 'Cchildren', name: 'Children', numSeats: 1 },
  { id: 'Cseniors', name: 'Seniors', numSeats: 1 },
  { id: 'Cfamily', name: 'Family (2+2)', numSeats: 4 },
];

export const THEMES: readonly Theme[] = [
  {
    business: 'Harbour Lights Kayak & Boat Tours',
    timezone: 'America/New_York',
    currency: 'USD',
    country: 'US',
    cities: [
      { city: 'Portland', state: 'ME', postcode: '04101' },
      { city: 'Boston', state: 'MA', postcode: '02108' },
      { city: 'New York', state: 'NY', postcode: '10001' },
      { city: 'Providence', state: 'RI', postcode: '02903' },
    ],
    phonePrefix: '+1 207 555',
    taxName: 'Sales tax',
    taxBasisPoints: 550,
    categories: ADULT_CHILD,
    languages: [
      { tag: 'en-US', name: 'English (United States)' },
      { tag: 'es-US', name: 'Español (Estados Unidos)' },
      { tag: 'fr-CA', name: 'Français (Canada)' },
    ],
    resourceTypes: [
      { name: 'Kayaks', isPublic: true, items: ['Single kayak 1', 'Single kayak 2', 'Single kayak 3', 'Tandem kayak 1', 'Tandem kayak 2'] },
      { name: 'Paddleboards', isPublic: true, items: ['SUP 1', 'SUP 2', 'SUP 3'] },
      { name: 'Guides', isPublic: false, items: ['Guide: Maya', 'Guide: Tom', 'Guide: Priya'] },
    ],
    products: [
      { name: 'Sunrise Harbour Paddle', type: 'fixed', minutes: 120, rates: { Cadults: 6500, Cchildren: 4500, Cseniors: 5500 }, slots: [0, 1], weight: 3 },
      { name: 'Lighthouse Kayak Tour', type: 'fixed', minutes: 180, rates: { Cadults: 8900, Cchildren: 5900, Cseniors: 7900, Cfamily: 26000 }, slots: [2, 6, 12], weight: 6 },
      { name: 'Sunset Sail', type: 'fixed', minutes: 90, rates: { Cadults: 7500, Cchildren: 4000, Cseniors: 6500 }, slots: [20, 22], weight: 5 },
      { name: 'Seal Watching Cruise', type: 'fixed', minutes: 120, rates: { Cadults: 5900, Cchildren: 3500, Cfamily: 17500 }, slots: [4, 8, 14, 18], weight: 6 },
      { name: 'Private Charter', type: 'fixed', minutes: 240, rates: { Cadults: 45000 }, slots: [4, 14], weight: 1, acceptDeny: true },
      { name: 'Learn to Kayak (4 weeks)', type: 'fixedCourse', minutes: 120, rates: { Cadults: 24000, Cchildren: 18000 }, slots: [20], days: [2, 4], sessions: 4, weight: 1 },
      { name: 'Kayak Rental', type: 'flexibleTime', minutes: 120, rates: { Cadults: 3500 }, weight: 4, resourceType: 0 },
      { name: 'Paddleboard Rental', type: 'flexibleTime', minutes: 60, rates: { Cadults: 2500 }, weight: 3, resourceType: 1 },
      { name: 'Members Night Paddle', type: 'fixed', minutes: 120, rates: { Cadults: 2000 }, slots: [24], days: [5], weight: 1, membersOnly: true },
    ],
  },
  {
    business: 'Lockbox Escape Rooms',
    timezone: 'Europe/London',
    currency: 'GBP',
    country: 'GB',
    cities: [
      { city: 'London', state: '', postcode: 'E1 6AN' },
      { city: 'Manchester', state: '', postcode: 'M1 1AE' },
      { city: 'Bristol', state: '', postcode: 'BS1 4DJ' },
    ],
    phonePrefix: '+44 20 7946',
    taxName: 'VAT',
    taxBasisPoints: 2000,
    categories: [
      { id: 'Cplayers', name: 'Players', numSeats: 1 },
      { id: 'Cstudents', name: 'Students', numSeats: 1 },
    ],
    languages: [
      { tag: 'en-GB', name: 'English (United Kingdom)' },
      { tag: 'de-DE', name: 'Deutsch' },
    ],
    resourceTypes: [
      { name: 'Rooms', isPublic: true, items: ['The Vault', 'Haunted Library', 'Submarine', 'Pharaoh’s Tomb'] },
      { name: 'Game masters', isPublic: false, items: ['GM Ollie', 'GM Freya'] },
    ],
    products: [
      { name: 'The Vault (60 min)', type: 'fixed', minutes: 60, rates: { Cplayers: 2800, Cstudents: 2200 }, slots: [2, 5, 8, 11, 14, 17, 20, 23], weight: 6 },
      { name: 'Haunted Library', type: 'fixed', minutes: 75, rates: { Cplayers: 3000, Cstudents: 2400 }, slots: [3, 7, 11, 15, 19, 23], weight: 5 },
      { name: 'Submarine Rescue', type: 'fixed', minutes: 60, rates: { Cplayers: 3200 }, slots: [4, 8, 12, 16, 20, 24], weight: 4 },
      { name: 'Corporate Team Building', type: 'flexibleTime', minutes: 180, rates: { Cplayers: 4500 }, weight: 1, acceptDeny: true, resourceType: 0 },
      { name: 'Puzzle Design Workshop (3 weeks)', type: 'fixedCourse', minutes: 120, rates: { Cplayers: 9000 }, slots: [21], days: [3], sessions: 3, weight: 1 },
    ],
  },
  {
    business: 'Clay & Kiln Pottery Studio',
    timezone: 'Australia/Sydney',
    currency: 'AUD',
    country: 'AU',
    cities: [
      { city: 'Sydney', state: 'NSW', postcode: '2000' },
      { city: 'Newtown', state: 'NSW', postcode: '2042' },
      { city: 'Manly', state: 'NSW', postcode: '2095' },
    ],
    phonePrefix: '+61 2 9555',
    taxName: 'GST',
    taxBasisPoints: 1000,
    categories: ADULT_CHILD.slice(0, 2),
    languages: [{ tag: 'en-AU', name: 'English (Australia)' }],
    resourceTypes: [{ name: 'Wheels', isPublic: true, items: ['Wheel 1', 'Wheel 2', 'Wheel 3', 'Wheel 4', 'Wheel 5', 'Wheel 6'] }],
    products: [
      { name: 'Wheel Throwing Taster', type: 'fixed', minutes: 120, rates: { Cadults: 9500, Cchildren: 6500 }, slots: [2, 8, 14, 20], weight: 6 },
      { name: 'Hand-building Workshop', type: 'fixed', minutes: 150, rates: { Cadults: 8500 }, slots: [4, 12], weight: 3 },
      { name: 'Beginner Wheel Course (6 weeks)', type: 'fixedCourse', minutes: 150, rates: { Cadults: 42000 }, slots: [20], days: [1, 3], sessions: 6, weight: 2 },
      { name: 'Open Studio Wheel Hire', type: 'flexibleTime', minutes: 120, rates: { Cadults: 3000 }, weight: 3, resourceType: 0, membersOnly: true },
      { name: 'Kids Clay Club', type: 'fixed', minutes: 90, rates: { Cchildren: 4500 }, slots: [2, 6], days: [0, 6], weight: 3 },
    ],
  },
];
