/**
 * A growable little-endian byte buffer: what the Native column writers append to. Values are
 * written byte by byte rather than through Buffer's checked write methods, because the sink's hot
 * path appends a few hundred small values per row.
 */

const TWO_32 = 0x1_0000_0000;

export class ByteWriter {
  buffer: Buffer;
  at = 0;

  constructor(initialSize = 1024) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  /** Makes room for `bytes` more bytes. */
  reserve(bytes: number): void {
    if (this.at + bytes > this.buffer.length) this.grow(bytes);
  }

  private grow(bytes: number): void {
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
  }

  /** The bytes written so far (a view: valid until the next write). */
  view(): Buffer {
    return this.buffer.subarray(0, this.at);
  }

  /** `count` zero bytes: the default of fixed-width values (and the empty string). */
  zeros(count: number): void {
    this.reserve(count);
    // A loop: Buffer#fill's argument checks cost more than the few bytes written here.
    const buffer = this.buffer;
    for (let i = 0; i < count; i++) buffer[this.at + i] = 0;
    this.at += count;
  }

  u8(value: number): void {
    if (this.at >= this.buffer.length) this.grow(1);
    this.buffer[this.at++] = value;
  }

  /** Unsigned LEB128, as ClickHouse writes sizes. */
  varint(value: number): void {
    this.reserve(10);
    const buffer = this.buffer;
    let rest = value;
    while (rest >= 0x80) {
      buffer[this.at++] = (rest & 0x7f) | 0x80;
      rest = Math.floor(rest / 128);
    }
    buffer[this.at++] = rest;
  }

  i32(value: number): void {
    this.reserve(4);
    const buffer = this.buffer;
    const at = this.at;
    buffer[at] = value;
    buffer[at + 1] = value >>> 8;
    buffer[at + 2] = value >>> 16;
    buffer[at + 3] = value >>> 24;
    this.at = at + 4;
  }

  /** A safe integer as 64-bit two's complement; exact without a BigInt. */
  i64(value: number): void {
    const low = value % TWO_32;
    this.i32(low < 0 ? low + TWO_32 : low);
    this.i32(Math.floor(value / TWO_32));
  }

  /** A two's-complement integer of `bytes` bytes (16 or 32: Int128, Int256). */
  wide(value: bigint, bytes: number): void {
    let rest = value;
    for (let written = 0; written < bytes; written += 4) {
      this.i32(Number(BigInt.asUintN(32, rest)));
      rest >>= 32n;
    }
  }

  f32(value: number): void {
    this.reserve(4);
    this.buffer.writeFloatLE(value, this.at);
    this.at += 4;
  }

  f64(value: number): void {
    this.reserve(8);
    this.buffer.writeDoubleLE(value, this.at);
    this.at += 8;
  }

  /** A ClickHouse String: LEB128 byte length, then UTF-8. */
  string(value: string): void {
    const length = value.length;
    // Short ASCII text (most values) is copied char by char, which beats a native call per string.
    if (length < 0x80) {
      this.reserve(1 + length * 3);
      const buffer = this.buffer;
      const start = this.at + 1;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code >= 0x80) break;
        buffer[start + i] = code;
      }
      const written = i === length ? length : buffer.write(value, start, 'utf8');
      if (written < 0x80) {
        buffer[this.at] = written;
        this.at = start + written;
        return;
      }
    }
    this.longString(value);
  }

  private longString(value: string): void {
    const bytes = Buffer.byteLength(value, 'utf8');
    this.varint(bytes);
    this.reserve(bytes);
    this.at += this.buffer.write(value, this.at, 'utf8');
  }

  /** Raw bytes as a ClickHouse String (length, then the bytes unchanged). */
  stringBytes(source: Uint8Array, start: number, end: number): void {
    const length = end - start;
    this.varint(length);
    this.reserve(length);
    const buffer = this.buffer;
    const at = this.at;
    if (length < 32) for (let i = 0; i < length; i++) buffer[at + i] = source[start + i] as number;
    else buffer.set(source.subarray(start, end), at);
    this.at = at + length;
  }
}
