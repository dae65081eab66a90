/**
 * Each resource of a task on its own timer: a resource polls, waits the poll interval, polls again,
 * whatever the others do. A full customers listing that takes an hour never holds bookings back;
 * the account's rate budget (inside the Bookeo client) is what they share.
 *
 * A poll asked for while one of the same resource is in flight joins it (one poll per resource at
 * a time: its offsets are read and written by one poll only). `wake` cuts a resource's wait short
 * (after a resume or an operator request), or, when it is polling, makes it poll again right after.
 * A failure is the poll's outcome, retried at the next interval; one that `isFatal` says no retry
 * can fix ends every loop and `run()` with it. Waiting uses plain timers, so no listener is added
 * to any signal however many resources wait.
 *
 * Public API: createResourceScheduler(options): ResourceScheduler
 */
export interface PollOutcome {
  readonly resource: string;
  /** Set when the poll failed. */
  readonly error?: unknown;
}

export interface ResourceSchedulerOptions {
  readonly resources: readonly string[];
  readonly intervalMs: number;
  /** One poll of one resource; rejects with its failure. */
  poll(resource: string): Promise<void>;
  /** Failures after which no poll of any resource can succeed. */
  isFatal(error: unknown): boolean;
}

export interface ResourceScheduler {
  /** One poll of the resource, or the one in flight. */
  poll(resource: string): Promise<PollOutcome>;
  /** One poll of every resource not paused, all at once. */
  pollAll(): Promise<PollOutcome[]>;
  /** Polls every resource on its own timer until `stop()`; rejects with the first fatal failure. */
  run(): Promise<void>;
  pause(resource: string): void;
  resume(resource: string): void;
  wake(resource: string): void;
  /** Ends the loops and waits for the polls in flight (the caller aborts them first if it must). */
  stop(): Promise<void>;
}

/** A wait that a wake-up cuts short; a wake-up while not waiting makes the next wait return at once. */
class Alarm {
  private pendingWake = false;
  private ring: (() => void) | undefined;

  wait(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.ring?.(), ms);
      this.ring = () => {
        clearTimeout(timer);
        this.ring = undefined;
        resolve();
      };
    });
  }

  wake(): void {
    if (this.ring === undefined) this.pendingWake = true;
    else this.ring();
  }
}

export function createResourceScheduler(options: ResourceSchedulerOptions): ResourceScheduler {
  const inFlight = new Map<string, Promise<PollOutcome>>();
  const paused = new Set<string>();
  const alarms = new Map(options.resources.map((resource) => [resource, new Alarm()]));
  let stopped = false;
  let fatal: unknown;
  let onFatal: ((error: unknown) => void) | undefined;

  const alarmOf = (resource: string): Alarm => {
    const alarm = alarms.get(resource);
    if (alarm === undefined) throw new RangeError(`resource ${resource} is not scheduled`);
    return alarm;
  };

  const endAll = (error: unknown): void => {
    fatal ??= error;
    stopped = true;
    for (const alarm of alarms.values()) alarm.wake();
    onFatal?.(fatal);
  };

  const poll = (resource: string): Promise<PollOutcome> => {
    alarmOf(resource);
    let pending = inFlight.get(resource);
    if (pending === undefined) {
      pending = options
        .poll(resource)
        .then(
          (): PollOutcome => ({ resource }),
          (error: unknown): PollOutcome => {
            if (options.isFatal(error)) endAll(error);
            return { resource, error };
          },
        )
        .finally(() => inFlight.delete(resource));
      inFlight.set(resource, pending);
    }
    return pending;
  };

  const loop = async (resource: string): Promise<void> => {
    while (!stopped) {
      if (!paused.has(resource)) {
        await poll(resource);
      }
      if (stopped) return;
      await alarmOf(resource).wait(options.intervalMs);
    }
  };

  return {
    poll,
    pollAll: () => Promise.all(options.resources.filter((resource) => !paused.has(resource)).map(poll)),
    async run() {
      if (fatal !== undefined) throw fatal;
      const failed = new Promise<never>((_resolve, reject) => (onFatal = reject));
      failed.catch(() => undefined);
      await Promise.race([Promise.all(options.resources.map(loop)), failed]);
      if (fatal !== undefined) throw fatal;
    },
    pause(resource) {
      alarmOf(resource);
      paused.add(resource);
    },
    resume(resource) {
      alarmOf(resource);
      if (paused.delete(resource)) alarmOf(resource).wake();
    },
    wake(resource) {
      alarmOf(resource).wake();
    },
    async stop() {
      stopped = true;
      for (const alarm of alarms.values()) alarm.wake();
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
