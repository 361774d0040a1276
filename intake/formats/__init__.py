"""The format registry: media type -> the module that inspects and cleans it.

Explicit on purpose: a format is supported because it is listed here, never
because some module happened to be imported.
"""

from __future__ import annotations

import importlib
from functools import cache

from intake.formats.base import FormatModule

# Where each listed media type is handled, known without importing every
# module: `intake inspect photo.jpg` loads the JPEG module, not pikepdf. The
# module must list the type in its MEDIA_TYPES too; a type not found here is
# looked up in the full registry (all_format_modules).
_HOMES = {"image/jpeg": "jpeg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
          "image/tiff": "tiff", "image/heif": "isobmff.heif", "image/avif": "isobmff.heif",
          "video/mp4": "isobmff.quicktime", "video/quicktime": "isobmff.quicktime",
          "audio/mp4": "isobmff.quicktime", "video/3gpp": "isobmff.quicktime", "video/3gpp2": "isobmff.quicktime",
          "application/pdf": "pdf", "audio/mpeg": "mp3", "audio/wav": "wav", "audio/flac": "flac",
          "audio/ogg": "ogg", "audio/aiff": "aiff"}
_HOME_PREFIXES = (("application/vnd.openxmlformats-officedocument.", "ooxml"),
                  ("application/vnd.oasis.opendocument.", "odf"),
                  ("image/x-", "raw"))


@cache
def all_format_modules() -> dict[str, FormatModule]:
    """Every media type and its module: the full registry, which imports every format module."""
    from intake.formats import aiff, flac, gif, jpeg, mp3, odf, ogg, ooxml, pdf, png, raw, tiff, wav, webp
    from intake.formats.isobmff import heif, quicktime

    modules: tuple[FormatModule, ...] = (  # type: ignore[assignment]
        jpeg, png, gif, webp, tiff, heif, quicktime, pdf, ooxml, odf, mp3, wav, flac, ogg, aiff, raw)
    return {media_type: module for module in modules for media_type in module.MEDIA_TYPES}


def _home(media_type: str) -> str | None:
    if media_type in _HOMES:
        return _HOMES[media_type]
    return next((home for prefix, home in _HOME_PREFIXES if media_type.startswith(prefix)), None)


def handler_for(media_type: str, keep_hdr: bool = False) -> FormatModule | None:
    """The format module for a media type. `keep_hdr`: a module that can keep HDR gain maps offers
    its verbs in that mode as `KeepingHdr` (HEIF); the others clean as always (a JPEG's Ultra HDR gain map,
    after the end of its image, still goes)."""
    module = _plain_handler(media_type)
    if keep_hdr and module is not None and hasattr(module, "KeepingHdr"):
        return module.KeepingHdr  # type: ignore[attr-defined,no-any-return]
    return module


def _plain_handler(media_type: str) -> FormatModule | None:
    home = _home(media_type)
    if home is not None:
        module: FormatModule = importlib.import_module(f"intake.formats.{home}")  # type: ignore[assignment]
        if media_type in module.MEDIA_TYPES:
            return module
    return all_format_modules().get(media_type)


def supported_media_types() -> list[str]:
    return sorted(all_format_modules())
