"""A running server sees a restored SQLite database at its next request.

A restore swaps the live SQLite file in one ``rename`` (``core.backup``). A web or API worker that was
already connected keeps the old file open (its inode) and would go on serving the data the restore threw
away until it restarts. So each connection remembers the file it opened, and at the start of every request a
connection whose file has been replaced since is closed: the next query
opens the restored file. One ``stat`` a request; PostgreSQL needs nothing (``pg_restore`` writes into the
same database).
"""
from __future__ import annotations

import os
from typing import Any

from django.db import connections

from .backup import sqlite_file

_INODE = "_sicollect_inode"


def remember_file(sender: Any = None, connection: Any = None, **_: Any) -> None:
    """``connection_created``: note which file (inode) the new SQLite connection opened."""
    path = sqlite_file(connection)
    if path is not None:
        try:
            setattr(connection, _INODE, os.stat(path).st_ino)
        except OSError:
            pass


def reopen_if_replaced(**_: Any) -> list[str]:
    """``request_started``: close every SQLite connection whose file was replaced since it was opened (not
    one inside a transaction); returns the aliases closed."""
    closed = []
    for conn in connections.all(initialized_only=True):
        path = sqlite_file(conn)
        opened = getattr(conn, _INODE, None)
        if path is None or opened is None or conn.connection is None or conn.in_atomic_block:
            continue
        try:
            now = os.stat(path).st_ino
        except OSError:
            continue
        if now != opened:
            conn.close()
            closed.append(conn.alias)
    return closed
