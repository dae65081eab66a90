/**
 * Deterministic randomness. Every generated value is a pure function of (seed, entity, index,
 * version) so that nothing has to be stored to reproduce it: a booking is re-materialised from its
 * index whenever it is served, and the same seed always yields the same account.
 */

/** A 32-bit finaliser (murmur3 fmix): small input changes flip about half the output bits. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of up to four integers (fixed arity: this sits on the hot path of page serving). */
export function hash(a: number, b = 0, c = 0, d = 0): number {
  let h = mix32(a ^ 0x9e3779b9);
  h = mix32(h ^ Math.imul(b | 0, 0x27d4eb2f));
  h = mix32(h ^ Math.imul(c | 0, 0x165667b1));
  h = mix32(h ^ Math.imul(d | 0, 0x61c88647));
  return h;
}

/** A hash mapped to [0, 1). */
export function unit(a: number, b = 0, c = 0, d = 0): number {
  return hash(a, b, c, d) / 4294967296;
}

/** Hash of a string, to turn names (apiKeys, kinds) into seeds. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/** mulberry32: a tiny, fast PRNG for drawing several values from one entity's seed. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  between(low: number, high: number): number {
    return low + this.int(high - low + 1);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Picks by weight; `weights` is parallel to `items`. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let target = this.next() * total;
    for (let i = 0; i < items.length; i++) {
      target -= weights[i] as number;
      if (target < 0) return items[i] as T;
    }
    return items[items.length - 1] as T;
  }
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: no I, L, O, U

/**
 * Reversible index ↔ id coding. A 4-round Feistel network permutes the 32-bit index, so ids look
 * random (as Bookeo's do) yet decode back to the index without any lookup table, which is what
 * keeps 1M entities addressable by id in O(1) memory.
 */
export class IdCodec {
  private readonly prefix: string;
  private readonly key: number;

  constructor(prefix: string, key: number) {
    this.prefix = prefix;
    this.key = key;
  }

  encode(index: number): string {
    let left = index >>> 16;
    let right = index & 0xffff;
    for (let round = 0; round < 4; round++) {
      const next = left ^ (mix32(right ^ this.key ^ (round << 20)) & 0xffff);
      left = right;
      right = next;
    }
    let value = ((left << 16) | right) >>> 0;
    let code = '';
    for (let i = 0; i < 7; i++) {
      code = ALPHABET[value & 31] + code;
      value = Math.floor(value / 32);
    }
    return this.prefix + code;
  }

  /** The index, or -1 when the text is not an id of this codec. */
  decode(id: string): number {
    if (id.length !== this.prefix.length + 7 || !id.startsWith(this.prefix)) return -1;
    let value = 0;
    for (let i = this.prefix.length; i < id.length; i++) {
      const digit = ALPHABET.indexOf(id[i] as string);
      if (digit < 0) return -1;
      value = value * 32 + digit;
    }
    if (value > 0xffffffff) return -1;
    let left = value >>> 16;
    let right = value & 0xffff;
    for (let round = 3; round >= 0; round--) {
      const previous = right ^ (mix32(left ^ this.key ^ (round << 20)) & 0xffff);
      right = left;
      left = previous;
    }
    return ((left << 16) | right) >>> 0;
  }
}

/** A Bookeo-looking 13-character id prefix for one (account, kind), e.g. `285KX7H3M146B`. */
export function idPrefix(seed: number, kind: string): string {
  const rng = new Rng(hash(seed, hashString(kind)));
  let text = '28';
  while (text.length < 13) text += ALPHABET[rng.int(32)];
  return text;
}
