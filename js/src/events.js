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
