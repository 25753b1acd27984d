// One event name per `model.on` call (js/src/events.js): marimo's model does not split "change:a change:b".
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { listen } from "../../js/src/events.js";

const SRC = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "js", "src");

/** A model like marimo's: one listener set per exact event name, no splitting. */
function marimoLikeModel() {
  /** @type {Map<string, Set<Function>>} */
  const listeners = new Map();
  return {
    listeners,
    on(name, fn) {
      if (!listeners.has(name)) listeners.set(name, new Set());
      listeners.get(name).add(fn);
    },
    off(name, fn) {
      listeners.get(name)?.delete(fn);
    },
    emit(name) {
      for (const fn of listeners.get(name) || []) fn();
    },
  };
}

test("listen registers each name on its own, and its result removes them all", () => {
  const model = marimoLikeModel();
  let calls = 0;
  const off = listen(model, " change:items  change:live ", () => (calls += 1));
  assert.deepEqual([...model.listeners.keys()].sort(), ["change:items", "change:live"]);
  model.emit("change:items");
  model.emit("change:live");
  model.emit("change:items change:live"); // no such event name: nothing listens to it
  assert.equal(calls, 2);
  off();
  model.emit("change:items");
  model.emit("change:live");
  assert.equal(calls, 2);
});

// protocol.js hands model.on/off to connection.js, which listens for the single name "comm_live_update".
const FORWARDED = /\bo(n|ff): \(names, fn\) => model\.o(n|ff)\(names, fn\)/;

test("every model.on/off in js/src names one event, given as a literal (or goes through listen)", () => {
  const bad = [];
  for (const file of readdirSync(SRC).filter((f) => f.endsWith(".js") && f !== "events.js")) {
    const lines = readFileSync(join(SRC, file), "utf8").split("\n");
    lines.forEach((line, i) => {
      if (FORWARDED.test(line)) return;
      for (const m of line.matchAll(/model\.(on|off)\(([^,)]*)/g)) {
        const arg = m[2].trim();
        const single = /^"[^"\s]+"$/.test(arg);
        if (!single) bad.push(`${file}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(bad, [], "use listen(model, names, fn) from events.js for several names");
});
