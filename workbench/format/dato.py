"""Reading a date a user typed (command line, UI, datasaet.yaml): the one parser, below every layer that
takes dates (workbench.regler.periods re-exports it; workbench.data reads datasaet.yaml with it)."""

from __future__ import annotations

import datetime as dt


def parse_date(text: str | None) -> dt.date:
    """A date from the command line or the UI: YYYY-MM-DD, DD-MM-YYYY or DD.MM.YYYY; None = today."""
    if text is None or text == "":
        return dt.date.today()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"ugyldig dato '{text}' (brug ÅÅÅÅ-MM-DD eller DD-MM-ÅÅÅÅ)")
