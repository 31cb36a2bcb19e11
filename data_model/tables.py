"""SQLModel tables for persistent state. Each concern keeps its tables in its own module; import them here."""

from __future__ import annotations

# Issue 7 (users, access log) and issue 8 (reviews) add their modules to this list.
import data_model.access_tables  # noqa: E402,F401  (users, access log)
import data_model.review_tables  # noqa: F401
import data_model.import_tables  # noqa: F401  (issue 12: saved import mappings, import history)
import data_model.tilsyn_tables  # noqa: F401  (ledelsestilsyn, issue 14)
import data_model.rapport_tables  # noqa: F401  (statusrapporter made, issue 15)
