/**
 * The `webhooks` configuration section: Bookeo's push model next to polling. The receiver listens
 * on its own port (it faces the internet, the ops API does not) under the path of `publicUrl`, one
 * path per account (`<publicUrl>/<account>`); each webhook is registered at that URL with its
 * domain and type as query parameters, the URL Bookeo then signs.
 */
import { z } from 'zod';
import { pemSchema } from '../../../common/tls.js';

export const webhooksSchema = z
  .strictObject({
    /** Run the receiver in the source process. */
    enabled: z.boolean().default(false),
    /** The https:// URL Bookeo calls (a load balancer or ingress in front of the receiver); one path per account is appended. */
    publicUrl: z.url().optional(),
    /** The receiver's own listener, separate from the ops API. */
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8090),
    /** TLS served by the receiver itself (without it, TLS ends in front of it). */
    tls: z.strictObject({ cert: pemSchema, key: pemSchema }).optional(),
    /** Deliveries with a larger body are refused (413). */
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    /** Deliveries whose X-Bookeo-Timestamp is further than this from now are refused (replays). */
    timestampSkewSeconds: z.number().int().min(1).max(3600).default(120),
    /** The source registers (and re-creates blocked) webhooks at start, as `bookeo-connect webhooks sync` does. */
    register: z.boolean().default(false),
    /** With `register`: how often the source lists the webhooks to find blocked ones (and re-create them). */
    checkIntervalSeconds: z.number().int().min(1).max(86_400).default(300),
  })
  .superRefine((webhooks, context) => {
    if ((webhooks.enabled || webhooks.register) && webhooks.publicUrl === undefined)
      context.addIssue({
        code: 'custom',
        path: ['publicUrl'],
        message: 'the https:// URL Bookeo calls, when webhooks.enabled or webhooks.register is set',
        input: undefined,
      });
  });

export type WebhooksConfig = z.infer<typeof webhooksSchema>;
