"""Configured users (issue 7 replaces this with the database-backed user store)."""

from __future__ import annotations

from workbench import access


def cli_principal(username: str | None, data_dir: str | None = None) -> access.Principal:
    if username in (None, "admin"):
        return access.ADMIN
    raise ValueError(f"ukendt bruger: {username}")
