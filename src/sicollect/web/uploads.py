"""An uploaded file handed to an importer that reads a path (plans, the tax list): saved under its own
name in a temporary folder, so the importer's errors name it (``plan.csv:4: value: …``), and removed after."""
from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

MAX_UPLOAD = 20 * 1024 * 1024
SUFFIXES = (".csv", ".xlsx")


class UploadError(ValueError):
    """An upload refused before any import: no file, a wrong kind of file, too large."""


@contextmanager
def saved_upload(upload: Any) -> Iterator[Path]:
    if upload is None:
        raise UploadError(_("file: choose a file to upload"))
    name = Path(upload.name or "upload.csv").name
    if Path(name).suffix.lower() not in SUFFIXES:
        raise UploadError(_("%(name)s: file: must be a .csv or .xlsx file") % {"name": name})
    if upload.size > MAX_UPLOAD:
        raise UploadError(_("%(name)s: file: larger than 20 MB") % {"name": name})
    with tempfile.TemporaryDirectory(prefix="sicollect-upload-") as tmp:
        path = Path(tmp) / name
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        yield path
