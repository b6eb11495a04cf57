/** Helpers for the `as const` name -> number tables of the ABI. */

/** The reverse of a name -> number table, for turning wire numbers back into names. */
export function namesByValue<N extends string>(table: Readonly<Record<N, number>>): ReadonlyMap<number, N> {
  return new Map((Object.entries(table) as [N, number][]).map(([name, value]) => [value, name]));
}
