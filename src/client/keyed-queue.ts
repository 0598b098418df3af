/**
 * Runs tasks one at a time per name, in the order they came, within this
 * process: a later task with the same name starts once every earlier one has
 * settled (failed ones included). Names with nothing queued are forgotten.
 */
export function keyedQueue(): <T>(name: string, task: () => Promise<T>) => Promise<T> {
  /** The last task queued for each name: settled once it and every one before it are done. */
  const queued = new Map<string, Promise<void>>();
  return async (name, task) => {
    const before = queued.get(name);
    let done = () => {};
    const mine = new Promise<void>((resolve) => (done = resolve));
    queued.set(name, mine);
    await before;
    try {
      return await task();
    } finally {
      done();
      if (queued.get(name) === mine) queued.delete(name);
    }
  };
}
