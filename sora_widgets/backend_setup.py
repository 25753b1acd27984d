"""Turning a planned backend into an engine: the SDK client (credentials and query split out of the URL), a
provider's transport, or the embedded emulator. Split from ``api`` so the facade stays small."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlparse

from . import embedded, redact
from .config import EMULATOR, Backend
from .engine import Engine, Settings

if TYPE_CHECKING:
    from .session import Session

__all__ = ["build_engine"]


def build_engine(sess: Session, target: Backend, config: dict[str, Any]) -> Engine:
    redact.install_log_filter()
    settings = Settings(profile=target.profile, home=target.home)
    client = config.get("client")
    if target.provider:
        from .providers import get_provider, make_transport

        settings.transport = make_transport(get_provider(target.provider), config.get("base_url"),
                                            config.get("api_key"))
        settings.base_url = target.base_url
        settings.label = settings.transport.label
        settings.backend_key = target.backend_key
    elif client is not None:
        settings.client = client
    elif not target.is_emulator:
        settings.base_url = config.get("base_url") or os.environ.get("OPENAI_BASE_URL") or None
        settings.api_key = config.get("api_key") or os.environ.get("OPENAI_API_KEY") or "none"
        redact.register_url(settings.base_url)  # the environment's, too: masked by value from now on
        redact.register(settings.api_key if settings.api_key != "none" else None)
        if settings.base_url:
            _split_credentials(settings)
        settings.send_seed = embedded.is_live_emulator(settings.base_url)  # an emulator started here takes seeds
    else:
        emu = embedded.start(target.home, target.profile, forced=config.get("base_url") == EMULATOR)
        settings.base_url = emu.base_url
        settings.api_key = emu.api_key
        settings.label = "local emulator"
        settings.is_emulator = True
        settings.send_seed = True
        settings.backend_key = target.backend_key
    return Engine(settings, sess)


def _split_credentials(settings: Settings) -> None:
    """A base URL's user-info and query never go into the SDK's URL (httpx would turn ``user:pass@`` into Basic
    auth, replacing the Bearer key; a query would be glued into every path). The query rides on each request
    as ``default_query``; a password given in the URL is the key when no ``api_key`` was."""
    parsed = urlparse(str(settings.base_url))
    if not (parsed.username or parsed.password or parsed.query):
        return
    import openai

    if settings.api_key in (None, "none") and (parsed.password or parsed.username):
        settings.api_key = unquote(parsed.password or parsed.username or "")
    clean = parsed._replace(netloc=parsed.netloc.rpartition("@")[2], query="", fragment="").geturl()
    settings.client = openai.AsyncOpenAI(base_url=clean, api_key=settings.api_key, max_retries=0, timeout=60.0,
                                         default_query=dict(parse_qsl(parsed.query)) or None)
    settings.base_url = clean
