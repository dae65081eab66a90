/**
 * Avro binary encoding of primitives into a growing scratch buffer, byte for byte as avsc writes
 * them (its Tap): zigzag varints, little-endian doubles, length-prefixed bytes and UTF-8 strings.
 * The source writes Bookeo's JSON straight into Avro with it (convert.ts), without building the
 * intermediate value avsc would encode.
 *
 * Writes past the end of the buffer are not made; `pos` still advances, so after a value the
 * caller sees `overflowed()` and writes the value again into a buffer grown to at least `pos`.
 */
import { smallIntegerLength, writeSmallInteger } from './logical.js';

export class BinaryOutput {
  buf: Buffer;
  pos = 0;

  constructor(initialSize = 4096) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  overflowed(): boolean {
    return this.pos > this.buf.length;
  }

  /** A buffer of at least `size` bytes (contents not kept), and `pos` back to 0. */
  grow(size: number): void {
    this.buf = Buffer.allocUnsafe(Math.max(this.buf.length * 2, size));
    this.pos = 0;
  }

  byte(value: number): void {
    this.buf[this.pos++] = value;
  }

  boolean(value: boolean): void {
    this.buf[this.pos++] = value ? 1 : 0;
  }

  /**
   * Zigzag varint, as avsc's writeLong (also its writeInt), except below -2^52, where avsc's
   * `-2n - 1` rounds away the sign bit: here the zigzag's first byte is made from the low bits and
   * the sign, and the rest from the magnitude, exact for every safe integer.
   */
  long(n: number): void {
    const buf = this.buf;
    if (n >= -1073741824 && n < 1073741824) {
      let m = n >= 0 ? n << 1 : (~n << 1) | 1;
      while (m > 0x7f) {
        buf[this.pos++] = (m & 0x7f) | 0x80;
        m >>= 7;
      }
      buf[this.pos++] = m;
      return;
    }
    // The zigzag is 2 * magnitude + sign: its low 7 bits are the magnitude's low 6 and the sign.
    const magnitude = n >= 0 ? n : -n - 1;
    buf[this.pos++] = ((magnitude % 64) * 2 + (n < 0 ? 1 : 0)) | 0x80;
    let f = Math.floor(magnitude / 64);
    while (f >= 128) {
      buf[this.pos++] = (f % 128) | 0x80;
      f = Math.floor(f / 128);
    }
    buf[this.pos++] = f;
  }

  double(value: number): void {
    const at = this.pos;
    this.pos += 8;
    if (this.pos <= this.buf.length) this.buf.writeDoubleLE(value, at);
  }

  float(value: number): void {
    const at = this.pos;
    this.pos += 4;
    if (this.pos <= this.buf.length) this.buf.writeFloatLE(value, at);
  }

  bytes(value: Uint8Array): void {
    this.long(value.length);
    const at = this.pos;
    this.pos += value.length;
    if (this.pos <= this.buf.length) this.buf.set(value, at);
  }

  /** An integer below 2^47 in magnitude as Avro decimal bytes (length, then minimal two's complement). */
  smallInteger(value: number): void {
    const length = smallIntegerLength(value);
    this.buf[this.pos++] = length << 1; // at most 6: one byte
    const at = this.pos;
    this.pos += length;
    if (this.pos <= this.buf.length) writeSmallInteger(value, length, this.buf, at);
  }

  /**
   * Length then UTF-8, as avsc writes strings: its own encoder up to 64 bytes (a lone surrogate
   * becomes its three-byte form there, not U+FFFD), Buffer's beyond.
   */
  string(s: string): void {
    const length = s.length;
    let ascii = length < 64;
    for (let i = 0; ascii && i < length; i++) if (s.charCodeAt(i) >= 0x80) ascii = false;
    if (ascii) {
      this.buf[this.pos++] = length << 1; // the zigzag of a length below 64 is one byte
      const buf = this.buf;
      for (let i = 0; i < length; i++) buf[this.pos++] = s.charCodeAt(i);
      return;
    }
    const byteLength = Buffer.byteLength(s);
    this.long(byteLength);
    const at = this.pos;
    this.pos += byteLength;
    if (this.pos > this.buf.length) return;
    if (byteLength > 64) this.buf.write(s, at, byteLength, 'utf8');
    else writeUtf8Like(this.buf, s, at);
  }
}

/** avsc's hand-written UTF-8 encoder, for the short strings it writes with it. */
function writeUtf8Like(buf: Buffer, s: string, start: number): void {
  let pos = start;
  for (let i = 0; i < s.length; i++) {
    let c1 = s.charCodeAt(i);
    let c2: number;
    if (c1 < 0x80) {
      buf[pos++] = c1;
    } else if (c1 < 0x800) {
      buf[pos++] = (c1 >> 6) | 0xc0;
      buf[pos++] = (c1 & 0x3f) | 0x80;
    } else if ((c1 & 0xfc00) === 0xd800 && ((c2 = s.charCodeAt(i + 1)) & 0xfc00) === 0xdc00) {
      c1 = 0x10000 + ((c1 & 0x03ff) << 10) + (c2 & 0x03ff);
      i++;
      buf[pos++] = (c1 >> 18) | 0xf0;
      buf[pos++] = ((c1 >> 12) & 0x3f) | 0x80;
      buf[pos++] = ((c1 >> 6) & 0x3f) | 0x80;
      buf[pos++] = (c1 & 0x3f) | 0x80;
    } else {
      buf[pos++] = (c1 >> 12) | 0xe0;
      buf[pos++] = ((c1 >> 6) & 0x3f) | 0x80;
      buf[pos++] = (c1 & 0x3f) | 0x80;
    }
  }
}
