/** Everything one running simulator holds: clock, accounts (generated at start), page tokens, faults, counters. */
import { Clock, type ClockMode } from './clock.js';
import { Counters } from './counters.js';
import { THEMES, type Theme } from './data/themes.js';
import { FaultBook } from './faults.js';
import { TokenStore } from './pagination.js';
import { hash } from './random.js';
import { AccountData } from './store.js';
import { Zone } from './time.js';
import type { WebhookSettings } from './webhooks/dispatcher.js';

export interface StateOptions {
  seed: number;
  scale: number;
  accounts: readonly { apiKey: string; name?: string; timezone?: string }[];
  secretKey: string;
  clock: ClockMode;
  now: string | undefined;
  historyDays: number;
  futureDays: number;
  tokenTtlSeconds: number;
  /** Total mutations per simulated minute applied by a tick. */
  mutationRate: number;
  /** Cap on ids held by page-token snapshots (4 bytes each). */
  maxTokenIds: number;
  webhooks: WebhookSettings;
}

export class SimulatorState {
  readonly clock: Clock;
  readonly secretKey: string;
  readonly accounts = new Map<string, AccountData>();
  readonly tokens: TokenStore;
  readonly faults: FaultBook;
  readonly counters = new Counters();
  readonly options: StateOptions;

  constructor(options: StateOptions) {
    if (options.accounts.length === 0) throw new RangeError('at least one account is needed');
    if (!(Number.isInteger(options.scale) && options.scale >= 1 && options.scale <= 16_000_000))
      throw new RangeError(`scale must be an integer in 1..16000000, got ${options.scale}`);
    this.options = options;
    this.clock = new Clock(options.clock, options.now);
    this.secretKey = options.secretKey;
    this.tokens = new TokenStore(options.maxTokenIds);
    this.faults = new FaultBook(options.seed);
    const generatedAt = this.clock.nowSeconds();
    options.accounts.forEach((account, index) => {
      if (this.accounts.has(account.apiKey)) throw new RangeError(`duplicate apiKey ${account.apiKey}`);
      const theme = THEMES[index % THEMES.length] as Theme;
      const zone = new Zone(account.timezone ?? theme.timezone);
      this.accounts.set(
        account.apiKey,
        new AccountData(
          {
            index,
            apiKey: account.apiKey,
            name: account.name ?? theme.business,
            seed: hash(options.seed, 0xacc0, index),
            zone,
            theme,
            generatedAt,
            historyDays: options.historyDays,
            futureDays: options.futureDays,
          },
          options.scale,
        ),
      );
    });
  }

  nowSeconds(): number {
    return this.clock.nowSeconds();
  }

  /** The account of an apiKey; the first account when none is given. */
  account(apiKey?: string): AccountData {
    const data = apiKey === undefined ? this.accounts.values().next().value : this.accounts.get(apiKey);
    if (data === undefined) throw new RangeError(`unknown apiKey ${apiKey ?? '(none)'}`);
    return data;
  }

  /** Brings clock-driven state (payments due at starts, expired holds and tokens) up to now. */
  catchUp(): void {
    const now = this.nowSeconds();
    for (const data of this.accounts.values()) {
      data.settle(now);
      for (const [id, hold] of data.holds) if (hold.expiration <= now) data.holds.delete(id);
    }
    this.tokens.prune(now);
  }

  tokenTtl(apiKey: string): number {
    return this.faults.tokenTtl(apiKey) ?? this.options.tokenTtlSeconds;
  }
}
