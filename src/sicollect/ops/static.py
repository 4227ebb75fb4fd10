"""Static files storage: WhiteNoise's compressed copies, gzip only.

Brotli at its highest level took ~50 of the 55 s of `collectstatic` on the project's 2-core VM (the
Swagger and ReDoc bundles and their source maps, 12 MiB); gzip alone takes ~2 s and every browser takes
it. The files are served by WhiteNoise (settings.MIDDLEWARE) whatever ``DEBUG`` says.
"""
from __future__ import annotations

from typing import Any

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedStaticFilesStorage


class GzipStaticFilesStorage(CompressedStaticFilesStorage):
    def create_compressor(self, **kwargs: Any) -> Compressor:
        return Compressor(use_brotli=False, **{k: v for k, v in kwargs.items() if k != "use_brotli"})
