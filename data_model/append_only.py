"""Append-only tables: the database itself refuses UPDATE and DELETE (and, on PostgreSQL, TRUNCATE).

    append_only(Sagsgennemgang.__table__)
    append_only(Adgangslog.__table__,
                delete_allowed_if="EXISTS (SELECT 1 FROM adgangslog_sletning s WHERE OLD.tidspunkt < s.foer)")

SQLite: triggers `<table>_ingen_opdatering` and `<table>_ingen_sletning` (RAISE(ABORT)).
PostgreSQL: the trigger function `<table>_append_only()` on UPDATE OR DELETE (per row) and on TRUNCATE
(`<table>_ingen_truncate`). Both raise '<table> er append-only'. `delete_allowed_if` is an SQL condition
on OLD under which a DELETE is let through (the access log's retention purge); without it no row can
ever be deleted. The DDL runs after the table is created (SQLModel.metadata.create_all).
"""

from __future__ import annotations

from sqlalchemy import DDL, Table, event


def append_only(table: Table, delete_allowed_if: str | None = None) -> None:
    name = table.name
    msg = f"{name} er append-only"
    when = f"WHEN NOT {delete_allowed_if} " if delete_allowed_if else ""
    sqlite = (
        f"CREATE TRIGGER IF NOT EXISTS {name}_ingen_opdatering BEFORE UPDATE ON {name} "
        f"BEGIN SELECT RAISE(ABORT, '{msg}'); END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_ingen_sletning BEFORE DELETE ON {name} "
        f"{when}BEGIN SELECT RAISE(ABORT, '{msg}'); END",
    )
    permit = (f"""
  IF TG_OP = 'DELETE' THEN
    IF {delete_allowed_if} THEN
      RETURN OLD;
    END IF;
  END IF;""" if delete_allowed_if else "")
    postgresql = (
        f"""CREATE OR REPLACE FUNCTION {name}_append_only() RETURNS trigger AS $fn$
BEGIN{permit}
  RAISE EXCEPTION '{msg}';
END
$fn$ LANGUAGE plpgsql""",
        f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
        f"FOR EACH ROW EXECUTE FUNCTION {name}_append_only()",
        f"CREATE TRIGGER {name}_ingen_truncate BEFORE TRUNCATE ON {name} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_append_only()",
    )
    for dialect, statements in (("sqlite", sqlite), ("postgresql", postgresql)):
        for stmt in statements:
            event.listen(table, "after_create", DDL(stmt).execute_if(dialect=dialect))
