/**
 * A sink runner's life: starting, running (degraded while the destination or Kafka is retried),
 * stopping, then stopped or failed; the `done` promise that settles with it; and the error its
 * status reports. Failing and stopping happen once: the first of them wins.
 */
import { describeError } from '../../common/errors.js';

export type RunnerState = 'starting' | 'running' | 'degraded' | 'stopping' | 'stopped' | 'failed';

export class RunnerLifecycle {
  /** Settles when the runner stopped: resolves after a graceful stop, rejects with the failure otherwise. */
  readonly done: Promise<void>;
  private current: RunnerState = 'starting';
  private lastError: unknown;
  /** Set once a stop began or the start failed: no batch is taken any more, no restart allowed. */
  private closingNow = false;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;

  constructor() {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => undefined);
  }

  get state(): RunnerState {
    return this.current;
  }

  get closing(): boolean {
    return this.closingNow;
  }

  /** Running or degraded: consuming and writing. */
  get live(): boolean {
    return this.current === 'running' || this.current === 'degraded';
  }

  /** Whether fetched batches are still taken: not stopping, not failed. */
  get accepting(): boolean {
    return !this.closingNow && this.current !== 'failed';
  }

  get error(): unknown {
    return this.lastError;
  }

  describeError(): string | null {
    return this.lastError === undefined ? null : describeError(this.lastError);
  }

  /** Joined the group: a start or a Kafka outage is over. */
  joined(): void {
    if (this.current === 'starting' || this.current === 'degraded') this.current = 'running';
  }

  destinationState(healthy: boolean, error: unknown): void {
    if (!this.live) return;
    this.current = healthy ? 'running' : 'degraded';
    if (!healthy) this.lastError = error;
  }

  /** Marks the runner failed; false when it had already ended (then nothing changes). */
  fail(error: unknown): boolean {
    if (this.current === 'failed' || this.current === 'stopped') return false;
    this.current = 'failed';
    this.lastError = error;
    return true;
  }

  /** Settles `done` with the failure, once the consumer is stopped. */
  failed(): void {
    this.rejectDone(this.lastError);
  }

  /** The start failed: nothing is taken and the consumer may not restart. */
  abandon(): void {
    this.closingNow = true;
  }

  /** A graceful stop begins; false when the runner had already ended. */
  stopping(): boolean {
    if (this.current === 'stopped' || this.current === 'failed') return false;
    this.closingNow = true;
    this.current = 'stopping';
    return true;
  }

  stopped(): void {
    if (this.current === 'stopping') this.current = 'stopped';
    this.resolveDone();
  }
}
