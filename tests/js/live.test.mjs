// The parts of the bundle that make the UI feel live and fit its space (pure, no DOM): progress between
// the kernel's updates, the shared ticker, gallery columns, download replies, remix labels, coach hints.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  canCancel,
  coachHint,
  createProgressModel,
  createTicker,
  easeRemaining,
  gridLayout,
  PROGRESS_CEILING,
  quotePrompt,
  readDownloadReply,
  remixLabel,
  tileRect,
} from "../../sora_widgets/static/sora.js";

const running = (progress, eta_s, elapsed_s) => ({ status: "in_progress", progress, eta_s, elapsed_s });

test("progress rises every second between reports and the ETA counts down", () => {
  const m = createProgressModel();
  m.report(running(4, 38, 2.8), 0);
  let last = m.at(0);
  assert.equal(last.value, 4);
  assert.equal(last.eta, 38);
  for (let t = 1000; t <= 30000; t += 1000) {
    const f = m.at(t);
    assert.ok(f.value > last.value, `no rise at ${t} ms: ${last.value} -> ${f.value}`);
    assert.ok(f.eta < last.eta, `the ETA did not count down at ${t} ms`);
    assert.ok(Math.abs(f.elapsed - (2.8 + t / 1000)) < 1e-9);
    last = f;
  }
  // linear at first: 1 s of a 38 s ETA covers 1/38 of the remaining 96 %
  assert.ok(Math.abs(m.at(31000).value - last.value) < 4);
});

test("progress never goes backwards, never reaches 100 before completion, slows near the end", () => {
  const m = createProgressModel();
  m.report(running(50, 10, 10), 0);
  const at9 = m.at(9000).value;
  // the backend reports less than what is shown: keep the shown value
  m.report(running(40, 20, 19), 9000);
  assert.ok(m.at(9000).value >= at9);
  // long past the ETA: still below the ceiling, still creeping, slower than at the start
  const late = [m.at(60_000).value, m.at(61_000).value];
  assert.ok(late[1] < PROGRESS_CEILING && late[1] >= late[0]);
  const early = m.at(10_000).value - at9;
  assert.ok(late[1] - late[0] < early, "the bar did not slow down near the end");
  // a new report above what is shown jumps up to it
  const j = createProgressModel();
  j.report(running(10, 40, 1), 0);
  j.report(running(60, 10, 2), 1000);
  assert.equal(j.at(1000).value, 60);
});

test("progress without an ETA uses the pace so far; without progress the bar is indeterminate", () => {
  const m = createProgressModel();
  m.report(running(20, null, 10), 0); // 2 %/s so far -> 40 s left
  const f = m.at(1000);
  assert.ok(Math.abs(f.eta - 39) < 1e-9);
  assert.ok(f.value > 20);
  const n = createProgressModel();
  n.report(running(null, null, 3), 0);
  assert.deepEqual(n.at(2000), { value: null, eta: null, elapsed: 5 });
});

test("the same report again does not restart the extrapolation", () => {
  const m = createProgressModel();
  m.report(running(10, 30, 1), 0);
  const v = m.at(5000).value;
  m.report(running(10, 30, 1), 5000); // another field changed (e.g. a thumbnail)
  assert.ok(m.at(6000).value > v);
});

test("easeRemaining is monotonic, continuous at the joint and stays below 1", () => {
  let prev = 0;
  for (let x = 0; x <= 4; x += 0.01) {
    const y = easeRemaining(x);
    assert.ok(y >= prev && y < 1, `${x} -> ${y}`);
    prev = y;
  }
  assert.ok(Math.abs(easeRemaining(0.8 + 1e-6) - easeRemaining(0.8)) < 1e-5);
});

test("one ticker per view: a timer only while someone listens", async () => {
  const ticker = createTicker({ intervalMs: 5 });
  assert.equal(ticker.running, false);
  const seen = [];
  const off1 = ticker.add((t) => seen.push(["a", t]));
  const off2 = ticker.add((t) => seen.push(["b", t]));
  assert.equal(ticker.running, true);
  await new Promise((resolve) => {
    const check = () => (seen.length >= 4 ? resolve() : setTimeout(check, 2));
    check();
  });
  off1();
  assert.equal(ticker.running, true);
  off2();
  assert.equal(ticker.running, false);
  ticker.add(() => {});
  ticker.dispose();
  assert.equal(ticker.running, false);
  assert.equal(ticker.size, 0);
});

test("gridLayout: columns that divide the page, or whole rows", () => {
  // ~2000 px fits 7 columns of 260: 24 a page -> 6 columns of 4 full rows
  assert.deepEqual(gridLayout(2000, 24), { columns: 6, pageSize: 24 });
  // 6 a page on 5 columns' worth: 3 columns, 2 full rows (not 5 + 1)
  assert.deepEqual(gridLayout(1400, 6), { columns: 3, pageSize: 6 });
  // a prime page size: whole rows instead
  assert.deepEqual(gridLayout(1100, 7), { columns: 4, pageSize: 8 });
  // narrow output (~130 px): one column, the page as asked
  assert.deepEqual(gridLayout(130, 24), { columns: 1, pageSize: 24 });
  // a page that fits in one row: no card wider than 560 px
  assert.deepEqual(gridLayout(2000, 2), { columns: 4, pageSize: 2 });
  for (const width of [130, 300, 560, 800, 1100, 1500, 2000, 2600]) {
    for (const size of [1, 2, 3, 6, 7, 12, 24, 25, 48, 100, 200]) {
      const { columns, pageSize } = gridLayout(width, size);
      assert.ok(columns >= 1 && (pageSize % columns === 0 || pageSize < columns), `${width}/${size}: ${columns} x ${pageSize}`);
      assert.ok(Math.abs(pageSize - size) <= columns / 2 + 1e-9, `${width}/${size}: page ${pageSize}`);
    }
  }
});

test("readDownloadReply: the new contract, and the old one with a kept copy", () => {
  const bytes = new DataView(new ArrayBuffer(12));
  const item = { job_id: "job_1", video_id: "video_9" };
  assert.deepEqual(readDownloadReply({ filename: "video_9.mp4", mime: "video/mp4", size: 12 }, [bytes], item), {
    filename: "video_9.mp4", mime: "video/mp4", bytes, size: 12, keptAt: null,
  });
  const old = readDownloadReply({ path: "video_9.mp4", filename: "video_9.mp4", mime: "video/mp4" }, [bytes], item);
  assert.equal(old.keptAt, "video_9.mp4");
  assert.equal(old.size, 12);
  // a path as a file name is cut to its name; nothing at all falls back to the id
  assert.equal(readDownloadReply({ filename: "../../etc/x.mp4" }, [bytes], item).filename, "x.mp4");
  assert.equal(readDownloadReply(null, [], item).filename, "video_9.mp4");
  assert.equal(readDownloadReply(null, [], item).bytes, null);
});

test("a remix names its source by prompt, never by job id", () => {
  assert.equal(remixLabel({ prompt: "A paper boat drifting across a calm pond at sunrise, wide shot" }), "Remix of “A paper boat drifting across a calm pond at…”");
  assert.equal(remixLabel({ prompt: "A kite" }), "Remix of “A kite”");
  assert.equal(remixLabel(undefined), "Remix of an earlier video");
  assert.equal(quotePrompt("  "), "");
});

test("coachHint spells out the first missing aspect", () => {
  const checks = [
    { key: "shot", label: "Shot type", hint: "wide, close-up…", present: false },
    { key: "subject", label: "Subject", hint: "who or what", present: true },
    { key: "light", label: "Lighting", hint: "golden hour…", present: false },
  ];
  assert.equal(coachHint({ checks }), "Add shot type: wide, close-up… (1 more: lighting)");
  assert.equal(coachHint({ checks: checks.map((c) => ({ ...c, present: true })) }), "");
});

test("Cancel is offered on running jobs only, unless the kernel says no", () => {
  assert.equal(canCancel({ status: "in_progress" }), true);
  assert.equal(canCancel({ status: "queued" }), true);
  assert.equal(canCancel({ status: "in_progress", can_cancel: false }), false);
  assert.equal(canCancel({ status: "pending" }), false);
  assert.equal(canCancel({ status: "completed" }), false);
});

test("tileRect finds each tile of a sheet in pixels", () => {
  const geom = { columns: 8, rows: 2, frames: 16 };
  assert.deepEqual(tileRect(geom, 0, 1536, 216), { sx: 0, sy: 0, sw: 192, sh: 108 });
  assert.deepEqual(tileRect(geom, 9, 1536, 216), { sx: 192, sy: 108, sw: 192, sh: 108 });
  assert.deepEqual(tileRect(geom, 99, 1536, 216), { sx: 7 * 192, sy: 108, sw: 192, sh: 108 });
});
