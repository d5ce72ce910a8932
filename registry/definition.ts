/**
 * The shape every registry entry shares: codecs, cache policies and workloads are each defined
 * by one object `{ name, description, params, create, ... }` in one file and listed in their
 * registry (or added at run time with registerCodec / registerCachePolicy / registerWorkload).
 */
export interface Definition<Params> {
  /** Registry name, as written in specs and flags. */
  readonly name: string;
  /** One line: what it is (tables, `list` commands, `--help`). */
  readonly description: string;
  /** Parameters the spec may set, documented (`NAME:key=value,...`). */
  readonly params: Readonly<Record<string, Params>>;
}

/** Adds `definition` to `list`, refusing an empty or taken name (one line). */
export function addDefinition<T extends { readonly name: string }>(list: T[], definition: T, what: string): void {
  if (typeof definition.name !== 'string' || !/^[a-z0-9][a-z0-9._-]*$/.test(definition.name)) {
    throw new Error(`${what} name "${definition.name}" must be lower-case letters, digits, '.', '_' or '-'`);
  }
  if (list.some((existing) => existing.name === definition.name)) throw new Error(`${what} "${definition.name}" is already registered`);
  list.push(definition);
}
