/** Small concurrency helpers for activities that walk an export. */

/** Runs `fn` over a stream of items, at most `concurrency` at once, without reading ahead further. */
export async function forEachConcurrently<T>(
  items: AsyncIterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<void>,
) {
  const running = new Set<Promise<void>>();
  for await (const item of items) {
    const task = fn(item).finally(() => running.delete(task));
    running.add(task);
    if (running.size >= concurrency) await Promise.race(running);
  }
  await Promise.all(running);
}
