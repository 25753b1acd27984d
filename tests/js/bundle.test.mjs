// The committed bundle (sora_widgets/static/sora.js, what the wheel ships) must be what js/src builds to,
// and no front-end module may grow past ~400 lines. Needs `npm ci` (./dev test runs it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

test("static/sora.js is fresh against js/src (run `npm run build` after editing js/src)", async () => {
  let bundleText;
  try {
    ({ bundleText } = await import("../../js/build.mjs"));
  } catch (err) {
    assert.fail(`esbuild is not installed (run \`npm ci\`): ${err.message}`);
  }
  const built = await bundleText();
  const committed = readFileSync(join(root, "sora_widgets", "static", "sora.js"), "utf8");
  assert.ok(committed === built, "sora_widgets/static/sora.js differs from what js/src builds: run `npm run build`");
});

test("every front-end module stays small and type-checked", () => {
  const dir = join(root, "js", "src");
  const files = readdirSync(dir).filter((f) => f.endsWith(".js"));
  assert.ok(files.length >= 8, files.join(", "));
  for (const f of files) {
    const text = readFileSync(join(dir, f), "utf8");
    const lines = text.split("\n").length;
    assert.ok(lines <= 400, `${f} has ${lines} lines`);
    assert.ok(text.startsWith("// @ts-check"), `${f} does not start with // @ts-check`);
  }
});
