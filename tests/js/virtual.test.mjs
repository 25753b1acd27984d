// The gallery's virtual grid: visible ranges, keyboard moves across the whole list, and the window cache.
import assert from "node:assert/strict";
import { test } from "node:test";

import { columnsFor, createWindowCache, navigate, visibleRange } from "../../js/src/virtual.js";

test("columnsFor fits cards of a minimum width", () => {
  assert.equal(columnsFor(1400, 260, 12), 5);
  assert.equal(columnsFor(100, 260, 12), 1);
});

test("visibleRange covers the viewport plus a margin, clamped to the list", () => {
  const r = visibleRange({ scrollTop: 0, viewport: 800, rowHeight: 400, columns: 4, total: 10000, margin: 1 });
  assert.deepEqual([r.firstRow, r.lastRow, r.from, r.to, r.rows], [0, 3, 0, 12, 2500]);
  const end = visibleRange({ scrollTop: 2500 * 400 - 800, viewport: 800, rowHeight: 400, columns: 4, total: 10000 });
  assert.equal(end.to, 10000);
  assert.equal(end.from, (2498 - 1) * 4);
  assert.equal(visibleRange({ scrollTop: 0, viewport: 800, rowHeight: 400, columns: 4, total: 0 }).to, 0);
});

test("navigate moves by card, row, screen and to the ends", () => {
  const g = { columns: 4, total: 10, perPage: 8 };
  assert.equal(navigate("ArrowRight", 0, g), 1);
  assert.equal(navigate("ArrowLeft", 0, g), 0);
  assert.equal(navigate("ArrowDown", 1, g), 5);
  assert.equal(navigate("ArrowDown", 8, g), 9);
  assert.equal(navigate("ArrowUp", 5, g), 1);
  assert.equal(navigate("End", -1, g), 9);
  assert.equal(navigate("Home", 7, g), 0);
  assert.equal(navigate("PageDown", 0, g), 8);
  assert.equal(navigate("ArrowDown", -1, g), 0);
  assert.equal(navigate("a", 3, g), null);
  assert.equal(navigate("End", 0, { columns: 4, total: 0, perPage: 8 }), null);
});

test("the window cache fetches missing blocks once, ignores stale replies and forgets far blocks", async () => {
  const asked = [];
  let revision = 1;
  const item = (i) => ({ job_id: `job_${i}` });
  const fetch = async (offset, limit) => {
    asked.push(offset);
    const rev = revision;
    await Promise.resolve();
    return { revision: rev, total: 1000, offset, items: Array.from({ length: limit }, (_, k) => item(offset + k)) };
  };
  let loads = 0;
  const cache = createWindowCache({ fetch, onLoad: () => (loads += 1), block: 10, keepBlocks: 3 });
  cache.reset(1, 1000, [item(0), item(1), item(2)]);
  assert.equal(cache.get(2).job_id, "job_2");
  assert.equal(cache.get(3), undefined);
  cache.ensure(0, 25);
  cache.ensure(0, 25); // in flight: not asked again
  assert.deepEqual(asked, [0, 10, 20]);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(loads, 3);
  assert.equal(cache.get(24).job_id, "job_24");
  assert.equal(cache.indexOf("job_13"), 13);
  cache.ensure(500, 505);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(cache.get(503).job_id, "job_503");
  assert.ok(cache.size <= 3 * 10, `kept ${cache.size}`);
  // a reply of an older result set is dropped
  cache.ensure(900, 905);
  revision = 2;
  cache.reset(2, 5, []);
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(cache.get(900), undefined);
  cache.dispose();
});

test("the toolbar's status filter offers every status filter of the kernel, cancelled included", async () => {
  const { STATUS_LABELS } = await import("../../js/src/gallery-toolbar.js");
  const { readFileSync } = await import("node:fs");
  const catalog = readFileSync(new URL("../../sora_widgets/catalog.py", import.meta.url), "utf8");
  const kernel = [...catalog.match(/^STATUS_FILTERS = \(([^)]*)\)/m)[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  assert.ok(kernel.includes("cancelled"), kernel.join());
  assert.deepEqual(STATUS_LABELS.map(([value]) => value), kernel);
  assert.equal(STATUS_LABELS.find(([v]) => v === "cancelled")[1], "Cancelled");
});

test("the window cache asks for at most maxLoading blocks at a time, then for what is wanted by then", async () => {
  const asked = [];
  /** @type {Array<() => void>} */
  const pending = [];
  const fetch = (offset, limit) => {
    asked.push(offset);
    return new Promise((resolve) => pending.push(() => resolve({ revision: 1, total: 1000, offset, items: Array.from({ length: limit }, (_, k) => ({ job_id: `job_${offset + k}` })) })));
  };
  let wanted = [0, 40];
  const cache = createWindowCache({ fetch, onLoad: () => cache.ensure(...wanted), block: 10, maxLoading: 2 });
  cache.reset(1, 1000, []);
  cache.ensure(...wanted);
  assert.deepEqual(asked, [0, 10]); // 20 and 30 wait
  wanted = [500, 520]; // scrolled on meanwhile: 20 and 30 are no longer wanted
  pending.shift()();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(asked, [0, 10, 500]);
  pending.shift()();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(asked, [0, 10, 500, 510]);
  cache.dispose();
});
