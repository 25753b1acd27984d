"""``python -m sora_widgets generate "prompt" --seconds 4 -o out.mp4`` (and ``jobs``, ``resume``)."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Sequence

from .errors import SoraWidgetsError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sora_widgets", description="Generate videos from the shell.")
    parser.add_argument("--base-url", help="Videos API base URL (default: OPENAI_BASE_URL, else a local emulator)")
    parser.add_argument("--provider", help="a provider with its own API: gemini, fal, runwayml, minimax, dashscope "
                        "(key from its usual variable, e.g. GEMINI_API_KEY; --base-url then names its endpoint)")
    parser.add_argument("--profile", help="backend profile name (models, sizes, seconds, prices)")
    parser.add_argument("--home", help="journal and media directory (default: SORA_WIDGETS_HOME or per-user dir)")
    parser.add_argument("--budget", type=float, dest="budget_usd", help="refuse jobs past this spend (USD)")
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="generate one video and save it")
    gen.add_argument("prompt")
    gen.add_argument("--model")
    gen.add_argument("--size", help="WIDTHxHEIGHT, e.g. 1280x720")
    gen.add_argument("--seconds")
    gen.add_argument("--image", dest="input_reference", help="reference image (first frame)")
    gen.add_argument("--fit", choices=("cover", "contain", "error"), default="cover")
    gen.add_argument("--no-cache", action="store_true", help="generate again even if an identical video exists")
    gen.add_argument("-o", "--output", help="copy the MP4 here")
    gen.add_argument("--no-progress", action="store_true")

    sub.add_parser("jobs", help="list journaled jobs as JSON lines")
    sub.add_parser("resume", help="finish in-flight jobs of earlier processes")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from . import api

    # `is not None`: `--budget 0` is a budget of zero, not "no budget"
    names = ("provider", "base_url", "profile", "home", "budget_usd")
    config = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    try:
        if config:
            api.configure(**config)
        if args.command == "generate":
            job = api.generate(
                args.prompt, model=args.model, size=args.size, seconds=args.seconds,
                input_reference=args.input_reference, fit=args.fit, cache=not args.no_cache,
                progress=not args.no_progress,
            )
            assert job.video_path is not None
            target = job.video_path
            if args.output:
                shutil.copyfile(job.video_path, args.output)
                target = args.output
            cost = f", ~${job.cost_usd:.2f}" if job.cost_usd is not None else ""
            print(f"{target}  ({job.id}, {job.model} {job.size} {job.seconds}s{cost})")
        elif args.command == "jobs":
            for job in api.jobs():
                print(json.dumps(job.to_dict()))
        elif args.command == "resume":
            resumed = api.resume()
            for job in resumed:
                job.wait()
                print(f"{job.id} {job.status} {job.video_path or job.error}")
    except SoraWidgetsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the job stays journaled; `python -m sora_widgets resume` picks it up", file=sys.stderr)
        return 130
    return 0
