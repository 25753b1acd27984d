"""The widgets: :class:`VideoCard` (one job), :class:`GeneratorPanel` (prompt -> cards), :class:`Gallery`."""

from __future__ import annotations

from .card import VideoCard
from .gallery import Gallery
from .generator import GeneratorPanel

__all__ = ["Gallery", "GeneratorPanel", "VideoCard"]
