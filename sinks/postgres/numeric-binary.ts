/**
 * Decimal text (`-12.3400`, `0`, `18446744073709551615`) → PostgreSQL's binary `numeric`: a sign,
 * a weight and base-10000 digit groups aligned on the decimal point, plus the display scale. The
 * server still applies the column's precision and scale to what it receives (numeric_recv), so a
 * value too wide fails there exactly as its text would; only text that is no number at all is
 * refused here, as the text input would refuse it.
 */

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?$/;
const POSITIVE = 0x0000;
const NEGATIVE = 0x4000;

/** The fields of a binary numeric: what follows its length in a COPY field. */
export interface NumericWire {
  readonly weight: number;
  readonly sign: number;
  readonly scale: number;
  readonly groups: readonly number[];
}

/** Undefined when `text` is not a plain decimal number (no exponent, no NaN: the Avro decimals never have them). */
export function numericWire(text: string): NumericWire | undefined {
  const match = DECIMAL_TEXT.exec(text);
  if (match === null) return undefined;
  const whole = match[2] as string;
  const fraction = match[3] ?? '';
  if (whole.length === 0 && fraction.length === 0) return undefined;
  // Digits padded to whole groups of four on both sides of the point.
  const left = whole.padStart(Math.ceil(whole.length / 4) * 4, '0');
  const right = fraction.padEnd(Math.ceil(fraction.length / 4) * 4, '0');
  const digits = left + right;
  const groups: number[] = [];
  for (let at = 0; at < digits.length; at += 4) groups.push(Number(digits.slice(at, at + 4)));
  let weight = left.length / 4 - 1;
  let first = 0;
  while (first < groups.length && groups[first] === 0) {
    first++;
    weight--;
  }
  let end = groups.length;
  while (end > first && groups[end - 1] === 0) end--;
  const kept = groups.slice(first, end);
  if (kept.length === 0) return { weight: 0, sign: POSITIVE, scale: fraction.length, groups: kept };
  return { weight, sign: match[1] === '-' ? NEGATIVE : POSITIVE, scale: fraction.length, groups: kept };
}
