"""Structured logs: one JSON object a line (``SICOLLECT_LOG_FORMAT=json``, the default with ``SICOLLECT_DEBUG=0``).

Every line is masked as a whole (national IDs and phone numbers, ``core.privacy``) after it is
serialised, so no field, whatever put it there (a message, an exception, a request path in gunicorn's
access log), leaves with a full identifier.
"""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from sicollect.core.privacy import mask_personal_numbers

#: gunicorn's access-log atoms (``record.args``) → field names of the JSON line
_ACCESS = {"h": "remote", "m": "method", "U": "path", "q": "query", "s": "status", "B": "bytes",
           "f": "referer", "a": "user_agent"}
#: attributes every LogRecord has: the rest were passed with ``extra=`` and go into the line
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonLines(logging.Formatter):
    """``{"ts", "level", "logger", "msg", …}``; gunicorn's access records get their fields one by one
    (method, path, status, bytes, duration_ms, remote …); ``extra=`` fields are kept; exceptions as text."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            atoms = record.args
            line["msg"] = "request"
            for atom, name in _ACCESS.items():
                if atoms.get(atom) not in (None, "-", ""):
                    line[name] = atoms[atom]
            if str(line.get("status", "")).isdigit():
                line["status"] = int(line["status"])
            if "D" in atoms:
                line["duration_ms"] = round(int(atoms["D"]) / 1000, 1)
        else:
            line["msg"] = record.getMessage()
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            line["exc"] = record.exc_text or self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        return mask_personal_numbers(json.dumps(line, ensure_ascii=False, default=str))
