/**
 * Look-ups the real Chatwoot answers from an index (contacts' and conversations' primary keys,
 * `display_id`, the unique index on contact_inboxes (inbox_id, source_id)), so that a rehearsal of a
 * large migration does not slow down as the sandbox's tables grow: a scan per request made the
 * sandbox's contact creates and message posts quadratic in the account's size (a 100,000-conversation
 * scale run spent 40% of the sandbox's time in contact uniqueness checks alone).
 *
 * Written here rather than taken from a library: the records stay in the plain arrays every module
 * reads and writes (and the state dump serializes), and what is needed is a search over them that
 * stays right whatever a module does to an array, not a second store to keep in step.
 */

/**
 * The record whose numeric key is `wanted`, in an array whose records were appended in ascending key
 * order (ids and display ids come from sequences). Binary search first; a miss falls back to a scan,
 * so an array someone reordered still answers correctly, only slower, and a found record always has
 * the key.
 */
export function findByAscendingKey<T>(
  records: readonly T[],
  key: (record: T) => number,
  wanted: number | null,
): T | undefined {
  if (wanted === null || !Number.isFinite(wanted)) return undefined;
  let low = 0;
  let high = records.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const record = records[middle] as T;
    const value = key(record);
    if (value === wanted) return record;
    if (value < wanted) low = middle + 1;
    else high = middle - 1;
  }
  return records.find((record) => key(record) === wanted);
}

/**
 * Whether `records` still starts with the records an index holds, only appended to since: a removal
 * from the indexed part moves a later record (or none) to the last indexed position.
 */
function prefixKept<T>(index: { indexed: number; last: T | undefined }, records: readonly T[]): boolean {
  return (
    index.indexed <= records.length && (index.indexed === 0 || records[index.indexed - 1] === index.last)
  );
}

interface TextIndex<T> {
  byKey: Map<string, T[]>;
  /** How many records of the array are indexed, and the last of them (to see a removal). */
  indexed: number;
  last: T | undefined;
}

/**
 * An index by a text key that is never changed once a record exists (a contact inbox's inbox and
 * source id), kept per array and brought up to date at each look-up: records appended since are added;
 * a removal (splice) rebuilds it, and so does a replaced array. Answers as
 * `records.find((r) => keyOf(r) === wanted)` does for arrays changed only in those ways, which is how
 * the sandbox changes its tables (a removal from the indexed part always moves another record to the
 * last indexed position, which is checked). An array sorted or reversed in place may go unseen: the
 * sandbox never does that, and anything that did would have to replace the array instead.
 */
export class AppendIndex<T> {
  private readonly indexes = new WeakMap<readonly T[], TextIndex<T>>();

  constructor(private readonly keyOf: (record: T) => string) {}

  find(records: readonly T[], wanted: string): T | undefined {
    const index = this.current(records);
    return index.byKey.get(wanted)?.[0];
  }

  private current(records: readonly T[]): TextIndex<T> {
    let index = this.indexes.get(records);
    if (!index || !prefixKept(index, records)) {
      index = { byKey: new Map(), indexed: 0, last: undefined };
      this.indexes.set(records, index);
    }
    for (let i = index.indexed; i < records.length; i++) {
      const record = records[i] as T;
      const key = this.keyOf(record);
      const bucket = index.byKey.get(key);
      if (bucket) bucket.push(record);
      else index.byKey.set(key, [record]);
    }
    index.indexed = records.length;
    index.last = records.at(-1);
    return index;
  }
}

interface ChangingIndex<T> {
  byKey: Map<string, Set<T>>;
  /** The keys each record was indexed under, to take it out when they change. */
  keysAt: Map<T, readonly string[]>;
  indexed: number;
  last: T | undefined;
}

/**
 * An index by text keys a record may change in place: a contact's e-mail, identifier and phone
 * number (a PUT, a merge, the widget's identify call), which Chatwoot checks for uniqueness on every
 * contact write. Records appended since the last look-up are added and a removal rebuilds it, under
 * the same terms as AppendIndex (no sorting in place); a key changed in place must be told with
 * `changed` by the code that changes it. A record is returned only while its key is still the one
 * asked, so one changed without telling is never reported under its old key (though missed under its
 * new one until told).
 */
export class ChangingKeyIndex<T> {
  private readonly indexes = new WeakMap<readonly T[], ChangingIndex<T>>();

  constructor(private readonly keysOf: (record: T) => readonly string[]) {}

  /** The records holding `key` now, in no particular order. */
  holders(records: readonly T[], key: string): T[] {
    const bucket = this.current(records).byKey.get(key);
    if (!bucket) return [];
    return [...bucket].filter((record) => this.keysOf(record).includes(key));
  }

  /** `record`'s keys may have changed (a record not in `records` is ignored). */
  changed(records: readonly T[], record: T): void {
    const index = this.current(records);
    if (!index.keysAt.has(record)) return;
    this.remove(index, record);
    this.add(index, record);
  }

  private current(records: readonly T[]): ChangingIndex<T> {
    let index = this.indexes.get(records);
    if (!index || !prefixKept(index, records)) {
      index = { byKey: new Map(), keysAt: new Map(), indexed: 0, last: undefined };
      this.indexes.set(records, index);
    }
    for (let i = index.indexed; i < records.length; i++) this.add(index, records[i] as T);
    index.indexed = records.length;
    index.last = records.at(-1);
    return index;
  }

  private add(index: ChangingIndex<T>, record: T): void {
    const keys = [...this.keysOf(record)];
    index.keysAt.set(record, keys);
    for (const key of keys) {
      const bucket = index.byKey.get(key);
      if (bucket) bucket.add(record);
      else index.byKey.set(key, new Set([record]));
    }
  }

  private remove(index: ChangingIndex<T>, record: T): void {
    for (const key of index.keysAt.get(record) ?? []) {
      const bucket = index.byKey.get(key);
      bucket?.delete(record);
      if (bucket?.size === 0) index.byKey.delete(key);
    }
    index.keysAt.delete(record);
  }
}
