/**
 * Decimal text (`-12.3400`, `0`, `18446744073709551615`) → PostgreSQL's binary `numeric`: a sign,
 * a weight and base-10000 digit groups aligned on the decimal point, plus the display scale. The
 * server still applies the column's precision and scale to what it receives (numeric_recv), so a
 * value too wide fails there exactly as its text would; only text that is no number at all is
 * refused here, as the text input would refuse it. A decimal read from Avro as a scaled integer
 * that fits a double exactly goes to the same fields without its text (`scaledNumericWire`).
 */

const POSITIVE = 0x0000;
const NEGATIVE = 0x4000;
const ZERO = 48;
const POINT = 46;

/** The fields of a binary numeric: what follows its length in a COPY field. */
export interface NumericWire {
  readonly weight: number;
  readonly sign: number;
  readonly scale: number;
  readonly groups: readonly number[];
}

const isDigit = (code: number): boolean => code >= ZERO && code <= ZERO + 9;

/**
 * Undefined when `text` is not a plain decimal number (an optional sign, digits, an optional point
 * and digits; no exponent, no NaN: the Avro decimals never have them). One pass over the
 * characters, no intermediate strings: it runs for every decimal cell of a batch.
 */
export function numericWire(text: string): NumericWire | undefined {
  const signed = text.charCodeAt(0) === 45 || text.charCodeAt(0) === 43;
  const start = signed ? 1 : 0;
  let point = -1;
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === POINT && point < 0) point = i;
    else if (!isDigit(code)) return undefined;
  }
  const wholeEnd = point < 0 ? text.length : point;
  const whole = wholeEnd - start;
  const scale = point < 0 ? 0 : text.length - point - 1;
  if (whole === 0 && scale === 0) return undefined;
  // Digits are read as if padded with zeros to whole groups of four on both sides of the point.
  const lead = (4 - (whole % 4)) % 4;
  const wholeGroups = (whole + lead) / 4;
  const totalGroups = wholeGroups + Math.ceil(scale / 4);
  const digitAt = (n: number): number => {
    // n counts the padded digits from the first group's first digit.
    if (n < lead) return 0;
    if (n < lead + whole) return text.charCodeAt(start + n - lead) - ZERO;
    const fraction = n - lead - whole;
    return fraction < scale ? text.charCodeAt(wholeEnd + 1 + fraction) - ZERO : 0;
  };
  const groups: number[] = [];
  let weight = wholeGroups - 1;
  for (let g = 0; g < totalGroups; g++) {
    const at = g * 4;
    const group = digitAt(at) * 1000 + digitAt(at + 1) * 100 + digitAt(at + 2) * 10 + digitAt(at + 3);
    if (groups.length === 0 && group === 0) weight--;
    else groups.push(group);
  }
  while (groups.length > 0 && groups[groups.length - 1] === 0) groups.pop();
  if (groups.length === 0) return { weight: 0, sign: POSITIVE, scale, groups };
  return { weight, sign: signed && text.charCodeAt(0) === 45 ? NEGATIVE : POSITIVE, scale, groups };
}

/** Decimal places up to which the fraction, padded to whole groups, still fits a double exactly. */
export const MAX_EXACT_SCALE = 12;

/**
 * The fields of `unscaled` × 10^-scale, as `numericWire` gives them for its text: a safe integer
 * and a scale of at most MAX_EXACT_SCALE, so every step is exact.
 */
export function scaledNumericWire(unscaled: number, scale: number): NumericWire {
  if (unscaled === 0) return { weight: 0, sign: POSITIVE, scale, groups: [] };
  const magnitude = Math.abs(unscaled);
  const unit = 10 ** scale;
  const fraction = magnitude % unit;
  let whole = (magnitude - fraction) / unit;
  const fractionGroups = Math.ceil(scale / 4);
  const groups: number[] = [];
  for (; whole > 0; whole = Math.floor(whole / 10_000)) groups.unshift(whole % 10_000);
  let weight = groups.length - 1;
  // The fraction's digits padded on the right to whole groups, then cut into them from the last.
  let padded = fraction * 10 ** (fractionGroups * 4 - scale);
  const tail: number[] = new Array(fractionGroups);
  for (let g = fractionGroups - 1; g >= 0; g--, padded = Math.floor(padded / 10_000)) tail[g] = padded % 10_000;
  for (const group of tail) {
    if (groups.length === 0 && group === 0) weight--;
    else groups.push(group);
  }
  while (groups[groups.length - 1] === 0) groups.pop();
  return { weight, sign: unscaled < 0 ? NEGATIVE : POSITIVE, scale, groups };
}
