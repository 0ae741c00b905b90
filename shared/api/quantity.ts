/**
 * resource.Quantity arithmetic for the scheduler and controllers: "100m", "1.5", "128Mi", "1G", "1e3".
 * Parsed exactly (BigInt over the decimal digits) so that "0.1" CPU is 100 millicores, not 100.00000000000001.
 * Values are rounded up like Quantity.MilliValue()/Value() do.
 */

const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL_EXP: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[numkMGTPE])?$/;

/** A quantity as an exact fraction `num / 10^scale`. */
interface Exact {
  num: bigint;
  scale: number;
}

function parseExact(q: string | number): Exact | undefined {
  const text = typeof q === 'number' ? String(q) : q;
  const m = QUANTITY.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const [, sign, whole, frac = '', suffix = ''] = m;
  let num = BigInt(`${whole || '0'}${frac}`);
  let scale = frac.length;
  if (sign === '-') num = -num;
  if (suffix in BINARY) num *= BINARY[suffix];
  else {
    const exp = /^[eE]/.test(suffix) ? Number(suffix.slice(1)) : DECIMAL_EXP[suffix];
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else scale += -exp;
  }
  return { num, scale };
}

/** Divides rounding toward +infinity, as Quantity's Value/MilliValue do. */
function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n ? q + 1n : q;
}

/** The quantity in thousandths (CPU millicores), rounded up; undefined when it does not parse. */
export function milliValue(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  const e = parseExact(q);
  if (!e) return undefined;
  return Number(ceilDiv(e.num * 1000n, 10n ** BigInt(e.scale)));
}

/** The quantity in whole units (bytes, pods), rounded up; undefined when it does not parse. */
export function integerValue(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  const e = parseExact(q);
  if (!e) return undefined;
  return Number(ceilDiv(e.num, 10n ** BigInt(e.scale)));
}
