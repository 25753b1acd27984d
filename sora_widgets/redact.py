"""The one redaction point: every text that leaves the process or is stored passes through :func:`redact`.

It removes, by value, every secret this process was given (the configured API key whatever its shape, the
user/password and query values of a configured base URL), then anything shaped like a credential: URL
user-info, query strings of URLs, ``sk-...``, ``Bearer ...``, ``key=...`` pairs, JWTs and common vendor token
prefixes. Exception messages, ``JobError`` (so the journal, ``to_dict()`` and widget state), log records and
notebook outputs all go through it.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any
from urllib.parse import parse_qsl, unquote, urlparse

__all__ = ["install_log_filter", "redact", "redact_value", "register", "register_url", "secrets_known"]

MASK = "***"
_MIN_SECRET = 4  # shorter values would mask ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # user:pass@ (or a lone token@) in any URL
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@'\"<>]+@"), r"\1" + MASK + "@"),
    # the query string of a URL (keys, signatures, tokens travel there)
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s?#'\"<>]*)\?[^\s#'\"<>]+"), r"\1?" + MASK),
    (re.compile(r"(?i)\b(bearer|basic)\s+(?!\*\*\*)[A-Za-z0-9_\-.=+/~]{6,}"), r"\1 " + MASK),
    # key=value / "api_key": "value" pairs in free text
    (re.compile(r"(?i)\b((?:api[_-]?key|access[_-]?token|auth[_-]?token|token|secret|password|passwd|key|sig|"
                r"signature|authorization)[\"']?\s*[:=]\s*[\"']?)"
                r"(?!\*\*\*|(?i:bearer|basic)\b)(?=[A-Za-z0-9_\-])[^\s\"'&,;})]{3,}"), r"\1" + MASK),
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"), "sk-" + MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"), MASK),  # JWT
    (re.compile(r"\b(?:AIza[0-9A-Za-z_\-]{20,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{20,}|"
                r"xox[abprs]-[A-Za-z0-9\-]{10,}|hf_[A-Za-z0-9]{20,})"), MASK),
)


def register(*values: str | None) -> None:
    """Remember secrets to mask by value from now on (the configured key, whatever its shape)."""
    with _lock:
        for value in values:
            if isinstance(value, str) and len(value.strip()) >= _MIN_SECRET:
                _secrets.add(value.strip())
                decoded = unquote(value.strip())
                if decoded != value.strip():
                    _secrets.add(decoded)


def register_url(url: str | None) -> None:
    """Remember the user, password and query values of ``url`` (a base URL as the caller gave it)."""
    if not isinstance(url, str) or not url:
        return
    try:
        parsed = urlparse(url)
        values = [parsed.username, parsed.password, parsed.query, parsed.fragment]
        values += [v for _k, v in parse_qsl(parsed.query, keep_blank_values=False)]
    except ValueError:
        return
    if parsed.username and parsed.password:
        values.append(f"{parsed.username}:{parsed.password}")
    register(*values)


def secrets_known() -> int:
    with _lock:
        return len(_secrets)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with every known secret (and ``secrets``) and anything credential-shaped masked."""
    if not isinstance(text, str) or not text:
        return text
    with _lock:
        known = sorted(_secrets | {s for s in secrets if s and len(s) >= _MIN_SECRET}, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any) -> Any:
    """:func:`redact` applied to every string inside dicts, lists and tuples (JSON-like data)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(v) for v in value)
    return value


class _RedactingFilter(logging.Filter):
    """Formats the record's message (and traceback) once, redacted, so no handler sees the raw text."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to logging's own error report
            return True
        record.msg, record.args = redact(message), ()
        if record.exc_info:
            record.exc_text = redact(self._formatter.formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = _RedactingFilter()


def install_log_filter() -> None:
    """Put the redacting filter on every ``sora_widgets`` logger (a logger's filter only sees its own records)."""
    names = [n for n in list(logging.Logger.manager.loggerDict) if n == "sora_widgets" or
             n.startswith("sora_widgets.")]
    for name in ["sora_widgets", *names]:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
