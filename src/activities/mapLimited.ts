/**
 * `fn` over `items` with at most `limit` calls in flight, results in the items' order; the first
 * failure rejects once every lane has stopped (no call is left running unobserved). Hand-written: a
 * score of lines, where p-map would be a dependency for one loop.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const lanes = await Promise.allSettled(
    Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
      while (!failed && next < items.length) {
        const index = next++;
        try {
          results[index] = await fn(items[index] as T);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    }),
  );
  const failure = lanes.find((lane) => lane.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
  return results;
}
