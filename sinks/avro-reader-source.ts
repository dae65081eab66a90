/**
 * The source text of an Avro reader being generated (the sinks' transcoders: sinks/columnar's into
 * column writers, sinks/postgres's into binary COPY fields): the reading steps every generated
 * reader shares, each appending JavaScript to the function being written. Constants from the schema
 * are `k<n>`, temporaries `t<n>`; code reads `buf` at `pos`, checks runs against `end`, and calls
 * the run-time helpers as `h` (sinks/columnar/avro-transcoder-runtime.ts) through the cursor `c`.
 * Only names of our own making and numbers reach the text: anything from a schema is a constant.
 */
import type avsc from 'avsc';

/** The non-null branch of a two-branch union with null, and the null branch's index. */
export function nullableBranch(type: avsc.Type): { inner: avsc.Type; nullIndex: number } | undefined {
  const branches = (type as avsc.types.UnwrappedUnionType).types;
  if (!type.typeName.startsWith('union') || branches.length !== 2) return undefined;
  const nullIndex = branches.findIndex((branch) => branch.typeName === 'null');
  return nullIndex < 0 ? undefined : { inner: branches[1 - nullIndex] as avsc.Type, nullIndex };
}

/** Appends the code of one reading step to the reader being generated. */
export type Emit = (src: AvroReaderSource) => void;

export class AvroReaderSource {
  body: string[] = [];
  /** Functions of one top-level field each (`f<n>(buf, pos, end) → pos`). */
  readonly functions: string[] = [];
  readonly constants: unknown[] = [];
  protected names = 0;

  /** A fresh local name. */
  temp(): string {
    return `t${this.names++}`;
  }

  constant(value: unknown): string {
    this.constants.push(value);
    return `k[${this.constants.length - 1}]`;
  }

  emit(line: string): void {
    this.body.push(line);
  }

  /** Generates into a function of its own, `(buf, pos, end) → pos`, and emits the call to it here. */
  call(generate: () => void): void {
    const outer = this.body;
    this.body = [];
    generate();
    const name = `f${this.names++}`;
    this.functions.push(`function ${name}(buf, pos, end) {\n${this.body.join('\n')}\nreturn pos;\n}`);
    this.body = outer;
    this.emit(`pos = ${name}(buf, pos, end);`);
  }

  /** Reads a zig-zag varint into the new local it returns (one byte inline, longer ones by the helper). */
  long(): string {
    const value = this.temp();
    this.emit(`let ${value} = buf[pos++];`);
    this.emit(
      `if (${value} < 0x80) ${value} = (${value} >>> 1) ^ -(${value} & 1); else { c.pos = pos - 1; ${value} = h.readLong(c); pos = c.pos; }`,
    );
    return value;
  }

  /** Reads a length-prefixed run; returns the local holding its start (it ends at `pos`). */
  span(): string {
    const length = this.long();
    const start = this.temp();
    this.emit(`if (${length} < 0 || pos + ${length} > end) throw h.spanError(${length}, pos);`);
    this.emit(`const ${start} = pos; pos += ${length};`);
    return start;
  }

  /** Skips `size` fixed bytes; returns the local holding their start. */
  fixed(size: number): string {
    const start = this.temp();
    this.emit(`if (pos + ${size} > end) throw h.fixedError(${size}, pos);`);
    this.emit(`const ${start} = pos; pos += ${size};`);
    return start;
  }

  /** Reads a two-branch union index (0 or 1) into the local it returns. */
  branch(): string {
    const index = this.long();
    this.emit(`if (${index} !== 0 && ${index} !== 1) throw h.branchError(${index});`);
    return index;
  }

  /** Lets avsc decode one value of `type` in place; returns the local holding it. */
  decoded(type: avsc.Type): string {
    const value = this.temp();
    this.emit(`c.pos = pos; const ${value} = h.decodeInPlace(${this.constant(type)}, c); pos = c.pos;`);
    return value;
  }

  /** Runs `item` for every element of Avro blocks (count, items…; a negative count is followed by a byte size; 0 ends). */
  blocks(item: () => void): string {
    const total = this.temp();
    const count = this.temp();
    this.emit(`let ${total} = 0;`);
    this.emit(`for (;;) {`);
    this.emit(`let ${count} = ${this.long()};`);
    this.emit(`if (${count} === 0) break;`);
    this.emit(`if (${count} < 0) { ${count} = -${count};`);
    this.long(); // the block's byte size, not needed
    this.emit(`}`);
    // A count read from a body cut short must not spin: stop once the body is overrun.
    this.emit(`for (let i = 0; i < ${count}; i++) { if (pos > end) throw h.endError(pos, end);`);
    item();
    this.emit(`}`);
    this.emit(`${total} += ${count};`);
    this.emit(`}`);
    return total;
  }
}
