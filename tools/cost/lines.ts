/** Priced lines and their sums: the building blocks of an estimate. */
import type { PriceTable, Rate, RegionPrices } from './prices';

/** quantity × a rate: `usd` is null when the rate is missing, and `missing` says which. */
export interface Line {
  readonly label: string;
  readonly detail: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number | null;
  readonly missing?: string;
  readonly note?: string;
  /** Set when the price came from `--prices`: that file. */
  readonly priceFile?: string;
}

/** What a section adds up to, and how many of its lines had no price. */
export interface Total {
  readonly usd: number;
  readonly unpriced: number;
}

export interface Section {
  readonly title: string;
  readonly lines: readonly Line[];
  /** Absent where the lines are alternatives (per day, per month), not parts. */
  readonly total?: Total;
}

/** A value from the price table, or why there is none. */
export type Priced<T> = T | { readonly missing: string };

/** Looks a value up in one region's prices; `item` names it in the "no price" message. */
export type Prices = <T>(pick: (p: RegionPrices) => T | undefined, item: string) => Priced<T>;

/** How to supply a price the table lacks. */
export const HOW_TO_PRICE = '--prices <file> (README "Cost")';

/** The lookup for `region`: a supplied price first, then the pinned one, else why there is none. */
export function pricesIn(table: PriceTable, region: string): Prices {
  const layers = [table.supplied?.regions[region], table.regions[region]].filter((r): r is RegionPrices => r !== undefined);
  return (pick, item) => {
    for (const r of layers) {
      const found = pick(r);
      if (found !== undefined) return found;
    }
    return { missing: `no price for ${item} in ${region}: add it with ${HOW_TO_PRICE}` };
  };
}

/** The regions with any price, pinned or supplied. */
export function pricedRegions(table: PriceTable): string[] {
  return [...new Set([...Object.keys(table.regions), ...Object.keys(table.supplied?.regions ?? {})])];
}

export function sumLines(lines: readonly Line[]): Total {
  return {
    usd: lines.reduce((sum, l) => sum + (l.usd ?? 0), 0),
    unpriced: lines.filter((l) => l.usd === null).length,
  };
}

export function line(label: string, detail: string, quantity: number, price: Priced<Rate>, note?: string): Line {
  const base = { label, detail, quantity, ...(note ? { note } : {}) };
  if ('missing' in price) return { ...base, unit: '', usd: null, missing: price.missing };
  return { ...base, unit: price.unit, usd: quantity * price.usd, ...(price.source.file ? { priceFile: price.source.file } : {}) };
}

/** A line that costs nothing, with why. */
export function free(label: string, detail: string, note: string): Line {
  return { label, detail, quantity: 0, unit: '', usd: 0, note };
}

export function section(title: string, lines: readonly Line[], total = true): Section {
  return total ? { title, lines, total: sumLines(lines) } : { title, lines };
}

/** `1460` → `1,460`; two decimals at most. */
export function formatNumber(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 2 });
}
