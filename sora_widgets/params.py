"""Validation of a generation request against a backend profile, reference-image fitting, cost, cache keys.

Everything here is pure (no network): it runs before any request so bad input never costs a round trip.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ValidationError
from .media import parse_size
from .profiles import BackendProfile, ModelSpec
from .vocab import FITS, MAX_PROMPT_CHARS, MAX_REFERENCE_BYTES

__all__ = [
    "FITS",
    "MAX_PROMPT_CHARS",
    "MAX_REFERENCE_BYTES",
    "MAX_REFERENCE_PIXELS",
    "REFERENCE_TYPES",
    "Reference",
    "VideoParams",
    "VideoRequest",
    "cache_key",
    "check_prompt",
    "choose_size_seconds",
    "estimate_cost",
    "fit_reference",
    "load_reference",
    "resolve_model",
    "validate",
    "validate_request",
]

REFERENCE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
#: Decoded pixels a reference image may have (checked from its header, before decoding): ~25x the largest
#: video frame; a decompression bomb is refused before it allocates anything.
MAX_REFERENCE_PIXELS = 50_000_000


@dataclass(frozen=True)
class Reference:
    """A reference image ready to upload: exactly the requested size."""

    data: bytes
    mime: str
    sha256: str
    stem: str = "reference"

    @property
    def filename(self) -> str:
        """Upload name: the caller's file stem (backends may report it) with the extension of the type sent."""
        return self.stem + "." + self.mime.split("/")[1].replace("jpeg", "jpg")


@dataclass(frozen=True)
class VideoRequest:
    """What a caller asks for, before validation: the arguments of ``sw.submit`` / ``sw.generate`` in one place."""

    prompt: Any
    model: str | None = None
    size: str | None = None
    seconds: int | str | None = None
    input_reference: Any = None
    fit: str = "cover"
    cache: bool = True
    seed: int | None = None  # another take of the same inputs (sent where the backend takes a seed)
    promoted_from: str | None = None  # local id of the draft this request re-renders (job.promote)


@dataclass(frozen=True)
class VideoParams:
    """A validated request."""

    prompt: str
    model: str
    size: str
    seconds: str
    reference: Reference | None = None
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompt": self.prompt,
            "model": self.model,
            "size": self.size,
            "seconds": self.seconds,
            "reference_sha256": self.reference.sha256 if self.reference else None,
            "seed": self.seed,
        }


def _listing(values: tuple[str, ...]) -> str:
    return ", ".join(values)


def resolve_model(profile: BackendProfile, model: str | None) -> ModelSpec:
    """The spec of ``model`` (default: the profile's first), or a ValidationError naming the allowed models."""
    name = profile.default_model if model is None else model
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(f"model must be a non-empty string; allowed: {_listing(profile.model_names)}", "model")
    spec = profile.find_model(name)
    if spec is None:
        raise ValidationError(
            f"model {name!r} is not offered by backend profile {profile.name!r}; allowed: "
            f"{_listing(profile.model_names)} (or register a profile that lists it)",
            "model",
        )
    return spec


def _normalise_seconds(seconds: Any) -> str:
    if isinstance(seconds, bool):
        raise ValidationError(f"seconds must be a number of seconds, got {seconds!r}", "seconds")
    if isinstance(seconds, float) and seconds.is_integer():
        seconds = int(seconds)
    return str(seconds).strip()


def choose_size_seconds(spec: ModelSpec, size: Any, seconds: Any) -> tuple[str, str]:
    """``size`` and ``seconds`` normalised (``"1280X720 "`` -> ``"1280x720"``, ``8`` -> ``"8"``) and checked
    against ``spec``; None picks the model's default. The one place both are validated."""
    chosen_size = spec.default_size if size is None else str(size).strip().lower()
    if chosen_size not in spec.sizes:
        raise ValidationError(
            f"size {size!r} is not available for model {spec.name!r}; allowed: {_listing(spec.sizes)}", "size"
        )
    chosen_seconds = spec.default_seconds if seconds is None else _normalise_seconds(seconds)
    if chosen_seconds not in spec.seconds:
        raise ValidationError(
            f"seconds {seconds!r} is not available for model {spec.name!r}; allowed: {_listing(spec.seconds)}",
            "seconds",
        )
    return chosen_size, chosen_seconds


def validate_request(profile: BackendProfile, request: VideoRequest) -> VideoParams:
    """:func:`validate` for a :class:`VideoRequest`."""
    return validate(profile, request.prompt, model=request.model, size=request.size, seconds=request.seconds,
                    input_reference=request.input_reference, fit=request.fit, seed=request.seed)


def validate(
    profile: BackendProfile,
    prompt: Any,
    *,
    model: str | None = None,
    size: str | None = None,
    seconds: Any = None,
    input_reference: Any = None,
    fit: str = "cover",
    seed: Any = None,
) -> VideoParams:
    """Check a request against ``profile`` and return it normalised.

    Parameters
    ----------
    profile
        The backend profile that says which models, sizes and seconds exist.
    prompt
        Non-empty text.
    model, size, seconds
        None picks the profile's default; ``seconds`` may be an int or a string.
    input_reference
        Path, bytes or PIL image; fitted to ``size`` according to ``fit``.
    fit
        ``"cover"`` (crop to fill), ``"contain"`` (letterbox) or ``"error"`` (refuse a mismatch).
    seed
        None, or a whole number 0..4294967295: another take of the same inputs.

    Raises
    ------
    ValidationError
        Naming the parameter and what is allowed.
    """
    check_prompt(prompt)
    spec = resolve_model(profile, model)
    chosen_size, chosen_seconds = choose_size_seconds(spec, size, seconds)
    if fit not in FITS:
        raise ValidationError(f"fit {fit!r} is not one of: {_listing(FITS)}", "fit")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**32):
        raise ValidationError(f"seed must be a whole number from 0 to 4294967295, got {seed!r}", "seed")
    reference = None
    if input_reference is not None:
        stem = Path(input_reference).stem if isinstance(input_reference, (str, os.PathLike)) else "reference"
        reference = fit_reference(load_reference(input_reference, parse_size(chosen_size)), chosen_size, fit,
                                  stem=stem)
    return VideoParams(prompt=prompt, model=spec.name, size=chosen_size, seconds=chosen_seconds, reference=reference,
                       seed=seed)


def check_prompt(prompt: Any, what: str = "the video") -> str:
    """Non-empty, storable, printable text: no lone surrogates (they cannot be encoded, so not journaled or
    sent), no NUL or terminal escape codes (they corrupt logs, terminals and the backend's view)."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValidationError(f"prompt must be non-empty text describing {what}", "prompt")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValidationError(f"prompt is {len(prompt)} characters; at most {MAX_PROMPT_CHARS} allowed", "prompt")
    try:
        prompt.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"prompt has a lone surrogate (U+{ord(prompt[exc.start]):04X} at position {exc.start}), which is not "
            "valid text; it usually comes from a broken decode: fix the string (e.g. .encode('utf-8', "
            "'replace').decode())", "prompt") from None
    for i, char in enumerate(prompt):
        if char not in "\n\t\r" and unicodedata.category(char) == "Cc":
            raise ValidationError(
                f"prompt contains the control character U+{ord(char):04X} at position {i} (NUL, ANSI escape codes "
                "and other control characters are not allowed; line breaks and tabs are)", "prompt")
    return prompt


def load_reference(source: Any, target: tuple[int, int] | None = None) -> Image.Image:
    """Open a reference image from a path, bytes or a PIL image, checking type and byte size."""
    if isinstance(source, Image.Image):
        _check_pixels(*source.size)
        return source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ValidationError(f"input_reference file not found: {path}", "input_reference")
        if path.stat().st_size > MAX_REFERENCE_BYTES:
            raise ValidationError(
                f"input_reference is {path.stat().st_size} bytes; at most 20 MiB allowed", "input_reference"
            )
        data = path.read_bytes()
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > MAX_REFERENCE_BYTES:
            raise ValidationError(f"input_reference is {len(data)} bytes; at most 20 MiB allowed", "input_reference")
    else:
        raise ValidationError(
            f"input_reference must be a file path, bytes or a PIL image, got {type(source).__name__}",
            "input_reference",
        )
    try:
        with warnings.catch_warnings():
            # our own cap (below) names the size; PIL's warning would only be noise, and its error is caught
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))  # reads the header only: the size is known before decoding
            _check_pixels(*image.size)
            if target is not None and image.format == "JPEG":
                image.draft("RGB", (target[0] * 2, target[1] * 2))  # decode at a reduced scale when it can
            image.load()
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise ValidationError(
            f"input_reference has too many pixels to decode safely; at most {MAX_REFERENCE_PIXELS // 1_000_000} "
            "megapixels allowed: scale it down first", "input_reference") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise ValidationError(
            "input_reference is not a readable image; allowed types: JPEG, PNG, WebP", "input_reference"
        ) from None
    if image.format not in REFERENCE_TYPES:
        raise ValidationError(
            f"input_reference is {image.format or 'an unknown format'}; allowed types: JPEG, PNG, WebP",
            "input_reference",
        )
    return image


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_REFERENCE_PIXELS:
        raise ValidationError(
            f"input_reference is {width}x{height} ({width * height / 1e6:.0f} megapixels); at most "
            f"{MAX_REFERENCE_PIXELS // 1_000_000} megapixels allowed (videos are at most ~2 megapixels): scale "
            "it down first", "input_reference")


def fit_reference(image: Image.Image, size: str, fit: str = "cover", *, stem: str = "reference") -> Reference:
    """Make ``image`` exactly ``size`` (the API rejects any mismatch) and encode it for upload.

    ``cover`` scales to fill and crops the overflow (centred), ``contain`` scales to fit and letterboxes with
    black, ``error`` refuses an image of any other size.
    """
    width, height = parse_size(size)
    fmt = image.format if image.format in REFERENCE_TYPES else "PNG"
    if image.size != (width, height):
        if fit == "error":
            raise ValidationError(
                f"input_reference is {image.size[0]}x{image.size[1]} but size is {size}; the API requires an exact "
                "match (use fit='cover' to crop or fit='contain' to letterbox)",
                "input_reference",
            )
        rgb = image.convert("RGB")
        if fit == "contain":
            image = ImageOps.pad(rgb, (width, height), Image.Resampling.LANCZOS, color=(0, 0, 0))
        else:
            image = ImageOps.fit(rgb, (width, height), Image.Resampling.LANCZOS)
    elif fmt == "JPEG" or image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGB")
    out = io.BytesIO()
    save_kwargs: dict[str, Any] = {"quality": 92} if fmt in ("JPEG", "WEBP") else {}
    image.save(out, format=fmt, **save_kwargs)
    data = out.getvalue()
    return Reference(data=data, mime=REFERENCE_TYPES[fmt], sha256=hashlib.sha256(data).hexdigest(),
                     stem=stem or "reference")


def estimate_cost(profile: BackendProfile, model: str | None = None, size: str | None = None,
                  seconds: Any = None) -> float | None:
    """USD for one video, or None when the profile has no price for it. Validates like :func:`validate`."""
    spec = resolve_model(profile, model)
    chosen_size, chosen_seconds = choose_size_seconds(spec, size, seconds)
    price = spec.price(chosen_size)
    if price is None:
        return None
    return round(price * float(chosen_seconds), 6)


def cache_key(backend_key: str, params: VideoParams) -> str:
    """A stable key for "this exact video on this backend": backend, model, size, seconds, prompt, image hash,
    and the seed when there is one (takes with different seeds are different videos, even where the backend
    takes no seed)."""
    fields: list[Any] = [backend_key, params.model, params.size, params.seconds, params.prompt,
                         params.reference.sha256 if params.reference else None]
    if params.seed is not None:
        fields.append(params.seed)  # appended only when set: keys of unseeded requests stay as they were
    payload = json.dumps(fields, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()
