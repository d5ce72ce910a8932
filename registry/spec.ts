/**
 * The one spec grammar of codecs, cache policies and workloads: `NAME` or
 * `NAME:key=value,key=value,...` (whitespace around items ignored, empty items skipped). Items
 * without `=` are kept as `bare` (a trace file name); each registry decides whether it takes
 * them, and words its own errors, so the messages people already know stay the same.
 */
export interface SpecItem {
  /** null for a bare item (no `=`). */
  key: string | null;
  value: string;
  /** The item as written (trimmed), for error messages. */
  text: string;
}

export interface NamedSpec {
  name: string;
  /** Raw text after the first `:` ('' without one). */
  rest: string;
  items: SpecItem[];
  /** The first key given twice, if any. */
  duplicate: string | null;
}

export function parseNamedSpec(spec: string): NamedSpec {
  const text = spec.trim();
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  const items: SpecItem[] = [];
  const seen = new Set<string>();
  let duplicate: string | null = null;
  for (const part of rest.split(',')) {
    const item = part.trim();
    if (item.length === 0) continue;
    const equals = item.indexOf('=');
    if (equals < 0) {
      items.push({ key: null, value: item, text: item });
      continue;
    }
    const key = item.slice(0, equals).trim();
    if (seen.has(key) && duplicate === null) duplicate = key;
    seen.add(key);
    items.push({ key, value: item.slice(equals + 1).trim(), text: item });
  }
  return { name, rest, items, duplicate };
}

/**
 * Splits comma-separated spec lists where specs themselves contain commas:
 * `lru,lirs:hir=1%,nonres=2c,arc` -> `lru`, `lirs:hir=1%,nonres=2c`, `arc` (an item with `=` and
 * no `:` continues the previous spec's parameters).
 */
export function splitSpecList(values: string | readonly string[] | undefined): string[] {
  if (values === undefined) return [];
  const specs: string[] = [];
  for (const value of typeof values === 'string' ? [values] : values) {
    for (const raw of String(value).split(',')) {
      const item = raw.trim();
      if (item.length === 0) continue;
      if (item.includes('=') && !item.includes(':') && specs.length > 0 && specs[specs.length - 1]!.includes(':')) {
        specs[specs.length - 1] += `,${item}`;
      } else {
        specs.push(item);
      }
    }
  }
  return specs;
}
