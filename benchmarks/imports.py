"""Import benchmark: ``import sora_widgets`` stays light, with or without the providers extra.

Each figure is the median of fresh interpreters (``--runs``), measured in this run:
- ``import sora_widgets`` as if the extra were not installed (``litellm`` and ``google.genai`` blocked);
- ``import sora_widgets`` with the extra installed: LiteLLM must not be imported yet;
- the first use of a provider (``configure(provider="fal")`` then the transport's first call imports LiteLLM);
- baseline: ``import litellm`` alone (what importing it eagerly would add to every ``import sora_widgets``).

Targets: neither import of sora_widgets imports LiteLLM or google-genai, and each is below 1/5 of the baseline.

    .venv/bin/python benchmarks/imports.py
    .venv/bin/python benchmarks/imports.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

PROBE = r"""
import json, os, sys, time
mode = sys.argv[1]
if mode == "blocked":  # as if the providers extra were not installed
    sys.modules["litellm"] = None
    sys.modules["google.genai"] = None
t = time.perf_counter()
if mode == "litellm":
    import litellm
else:
    import sora_widgets as sw
out = {"s": time.perf_counter() - t}
if mode == "first-use":
    from sora_widgets.providers.litellm_transport import _import_litellm as load_litellm
    t = time.perf_counter()
    load_litellm()
    out["first_use_s"] = time.perf_counter() - t
out["loaded"] = sorted(m for m in ("litellm", "google.genai") if sys.modules.get(m) is not None)
print(json.dumps(out))
"""


def probe(mode: str, runs: int) -> dict[str, float | list[str]]:
    times, first_use, loaded = [], [], set()
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "SORA_WIDGETS_HOME": tempfile.mkdtemp()}
    for _ in range(runs):
        done = subprocess.run([sys.executable, "-c", PROBE, mode], capture_output=True, text=True, env=env,
                              check=True, timeout=300)
        out = json.loads(done.stdout.strip().splitlines()[-1])
        times.append(out["s"])
        first_use.extend([out["first_use_s"]] if "first_use_s" in out else [])
        loaded.update(out["loaded"])
    result: dict[str, float | list[str]] = {"median_s": statistics.median(times), "loaded": sorted(loaded)}
    if first_use:
        result["first_use_s"] = statistics.median(first_use)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    baseline = probe("litellm", args.runs)
    blocked = probe("blocked", args.runs)
    installed = probe("installed", args.runs)
    first = probe("first-use", max(1, args.runs // 2))
    base = float(baseline["median_s"])
    print(f"import litellm (baseline)                 {base:7.3f} s")
    ok = True
    for name, fig in (("import sora_widgets, extra not installed", blocked),
                      ("import sora_widgets, extra installed", installed)):
        s = float(fig["median_s"])
        met = s <= base / 5 and not fig["loaded"]
        ok &= met
        print(f"{name:42s}{s:7.3f} s  ratio {s / base:.3f} (<= 0.2)  loaded: {fig['loaded'] or 'none'}"
              f"  {'met' if met else 'MISSED'}")
    print(f"first provider use (LiteLLM imported then) {float(first['first_use_s']):7.3f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
