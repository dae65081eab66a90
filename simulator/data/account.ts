/** What every generator and view of one account needs to know about it. */
import type { Zone } from '../time.js';
import type { Theme } from './themes.js';

export interface AccountContext {
  /** Position among the simulator's accounts; keeps id spaces of accounts apart. */
  readonly index: number;
  readonly apiKey: string;
  readonly name: string;
  /** Seed of this account: the simulator seed mixed with the account index. */
  readonly seed: number;
  readonly zone: Zone;
  readonly theme: Theme;
  /** The instant the data was generated at (the clock's start). */
  readonly generatedAt: number;
  readonly historyDays: number;
  /** How far ahead bookings are already made when the simulator starts. */
  readonly futureDays: number;
}
