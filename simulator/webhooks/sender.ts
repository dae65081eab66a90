/**
 * One HTTP POST of a webhook delivery through undici, with a deadline for the whole exchange
 * (Bookeo gives a receiver about 5 s to answer). Never throws: the outcome is a status or an
 * error name, which the queue turns into a retry or a success.
 */
import { Agent, request } from 'undici';

export interface SendOutcome {
  status?: number;
  error?: string;
  ms: number;
}

export class WebhookSender {
  private readonly agent: Agent;
  private readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.agent = new Agent({ connect: { timeout: timeoutMs }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  }

  async post(url: string, headers: Record<string, string>, body: string, stop: AbortSignal): Promise<SendOutcome> {
    const started = performance.now();
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const elapsed = (): number => Math.round(performance.now() - started);
    try {
      const answer = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher: this.agent,
        signal: AbortSignal.any([stop, deadline]),
      });
      await answer.body.dump();
      return { status: answer.statusCode, ms: elapsed() };
    } catch (error) {
      if (deadline.aborted || (error as { code?: string }).code === 'UND_ERR_HEADERS_TIMEOUT')
        return { error: 'timeout', ms: elapsed() };
      const code = (error as { code?: unknown }).code;
      return { error: typeof code === 'string' ? code : error instanceof Error ? error.name : 'error', ms: elapsed() };
    }
  }

  close(): Promise<void> {
    return this.agent.destroy();
  }
}
