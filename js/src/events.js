// @ts-check
// Model change events, one name per `model.on` call. Backbone (Jupyter's widget manager) splits
// "change:a change:b" into two events, marimo's model does not: it would listen for one event of that whole
// name, which never fires. Pure (no DOM).

/**
 * Listen for each of `names` (space-separated, e.g. "change:items change:live") with `fn`, registering one
 * event name per `model.on` call. Returns the function that removes them all again.
 * @param {{on: (name: string, fn: (...args: any[]) => void) => void,
 *          off: (name: string, fn: (...args: any[]) => void) => void}} model
 * @param {string} names @param {(...args: any[]) => void} fn @returns {() => void}
 */
export function listen(model, names, fn) {
  const each = names.split(/\s+/).filter(Boolean);
  for (const name of each) model.on(name, fn);
  return () => {
    for (const name of each) model.off(name, fn);
  };
}

/**
 * Like `listen`, but `fn` runs once, in a microtask, after a burst of these events. One update from the kernel
 * may change several traits read together (`items`, `live`, `revision`): Backbone sets them all before the
 * first change event, marimo sets and announces them one at a time, so a listener run at once would see the new
 * `live` with the old `items` (a finished job drawn from its stale row: "Submitting" again).
 * @param {Parameters<typeof listen>[0]} model @param {string} names @param {() => void} fn
 * @returns {() => void}
 */
export function listenTogether(model, names, fn) {
  let queued = false;
  let removed = false;
  const run = () => {
    queued = false;
    if (!removed) fn();
  };
  const stop = listen(model, names, () => {
    if (queued) return;
    queued = true;
    queueMicrotask(run);
  });
  return () => {
    removed = true;
    stop();
  };
}
