"""Base URLs made safe to show and store: host, host:port, and the URL without credentials or query."""

from __future__ import annotations

from urllib.parse import urlparse

__all__ = ["host_of", "label_of", "port_of", "public_url"]


def host_of(base_url: str) -> str:
    return urlparse(base_url).hostname or base_url


def label_of(base_url: str) -> str:
    """``host`` or ``host:port`` when the URL names a port: never credentials, path or query."""
    parsed = urlparse(base_url)
    host = parsed.hostname
    if not host:
        return base_url.split("?", 1)[0].split("@")[-1]
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = port_of(base_url)
    return f"{host}:{port}" if port is not None else host


def port_of(base_url: str) -> int | None:
    try:
        return urlparse(base_url).port
    except ValueError:
        return None


def public_url(base_url: str) -> str:
    """``base_url`` without credentials, query, fragment or trailing slash (safe to show, log and store)."""
    parsed = urlparse(base_url)
    if not parsed.hostname:
        return base_url.split("?", 1)[0].split("#", 1)[0]
    return parsed._replace(netloc=label_of(base_url), path=parsed.path.rstrip("/"), query="", fragment="").geturl()
