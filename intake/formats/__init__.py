"""The format registry: media type -> the module that inspects and cleans it.

Explicit on purpose: a format is supported because it is listed here, never
because some module happened to be imported.
"""

from __future__ import annotations

from functools import cache

from intake.formats.base import FormatModule


@cache
def _build() -> dict[str, FormatModule]:
    from intake.formats import aiff, flac, gif, jpeg, mp3, odf, ogg, ooxml, pdf, png, raw, tiff, wav, webp
    from intake.formats.isobmff import heif, quicktime

    modules: tuple[FormatModule, ...] = (  # type: ignore[assignment]
        jpeg, png, gif, webp, tiff, heif, quicktime, pdf, ooxml, odf, mp3, wav, flac, ogg, aiff, raw)
    return {media_type: module for module in modules for media_type in module.MEDIA_TYPES}


def handler_for(media_type: str) -> FormatModule | None:
    return _build().get(media_type)


def supported_media_types() -> list[str]:
    return sorted(_build())
