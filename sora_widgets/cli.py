"""``python -m sora_widgets generate "prompt" --seconds 4 -o out.mp4`` (and ``jobs``, ``resume``)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import SoraWidgetsError, StorageError, ValidationError

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


def check_output(output: str) -> None:
    """``-o`` must name a file in an existing, writable directory (checked before anything is sent)."""
    if "\0" in output or not output.strip():
        raise ValidationError(f"-o {output!r} is not a file name", "output")
    path = Path(output).expanduser()
    if path.is_dir():
        raise ValidationError(f"-o {path} is a directory; give a file name such as {path / 'video.mp4'}", "output")
    parent = path.parent
    if not parent.is_dir():
        raise ValidationError(f"-o {path}: the directory {parent} does not exist; create it first", "output")
    if not os.access(parent, os.W_OK):
        raise ValidationError(f"-o {path}: the directory {parent} is not writable", "output")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from . import api

    # `is not None`: `--budget 0` is a budget of zero, not "no budget"
    names = ("provider", "base_url", "profile", "home", "budget_usd")
    config = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    try:
        if config:
            api.configure(**config)
        if args.command == "generate" and args.output:
            check_output(args.output)  # before the video is paid for
        if args.command == "generate":
            job = api.generate(
                args.prompt, model=args.model, size=args.size, seconds=args.seconds,
                input_reference=args.input_reference, fit=args.fit, cache=not args.no_cache,
                progress=not args.no_progress,
            )
            assert job.video_path is not None
            target = job.video_path
            if args.output:
                try:
                    shutil.copyfile(job.video_path, args.output)
                except OSError as exc:
                    raise StorageError(f"could not copy the video to {args.output} ({exc.strerror}); it is kept "
                                       f"at {job.video_path}", args.output) from None
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
