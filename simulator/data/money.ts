/** Money as Bookeo sends it: the amount is a JSON string of a decimal number (`"73"`, `"27.50"`) plus an ISO 4217 code. */
export interface Money {
  amount: string;
  currency: string;
}

export function money(cents: number, currency: string): Money {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(Math.round(cents));
  const whole = Math.floor(abs / 100);
  const fraction = abs % 100;
  return { amount: fraction === 0 ? `${sign}${whole}` : `${sign}${whole}.${String(fraction).padStart(2, '0')}`, currency };
}

/** Tax on a net amount, rounded half up to the cent. */
export function taxOf(netCents: number, basisPoints: number): number {
  return Math.round((netCents * basisPoints) / 10_000);
}
