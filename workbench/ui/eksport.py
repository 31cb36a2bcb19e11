"""The one export button (issue 21): Streamlit's download button that writes an access-log entry when
it is clicked (workbench.ui.audit.log_action: who, when, which borgere, what). Every page's download goes
through `eksport_knap`; tests/test_architecture.py allows `download_button` nowhere else.

`data` may be a callable: the file is then built when clicked, not on every rerun of the page."""

from __future__ import annotations

from typing import Callable, Iterable

from workbench.lager import accesslog
from workbench.ui.audit import log_action

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
MIME = {".xlsx": XLSX, ".csv": CSV, ".pdf": "application/pdf", ".html": "text/html", ".yaml": "application/x-yaml"}
IKON = {".xlsx": ":material/download:", ".csv": ":material/download:", ".pdf": ":material/picture_as_pdf:",
        ".html": ":material/html:", ".yaml": ":material/download:"}


def _klik(handling: str, borger_ids: tuple[str, ...], detalje: str, efter: Callable[[], None] | None,
          behold: tuple[str, ...] = ()) -> None:
    log_action(handling, borger_ids, detalje, behold=behold)
    if efter is not None:
        efter()


def eksport_knap(container, label: str, data, file_name: str, *, key: str, detalje: str,
                 borger_ids: Iterable[str] = (), handling: str = accesslog.EKSPORT, mime: str | None = None,
                 icon: str | None = None, efter: Callable[[], None] | None = None, behold: Iterable[str] = (),
                 **kwargs):
    """A download button in `container` (st, a column, a container) that logs `handling` (default
    eksport) with `borger_ids` and `detalje` when clicked; `efter` runs after the log entry (e.g. archive
    the report); `behold`: ids in `detalje` that are not CPR numbers (a tilbud's P-nummer). The MIME type and icon follow the file's extension unless given."""
    ext = file_name[file_name.rfind("."):].lower() if "." in file_name else ""
    return container.download_button(
        label, data, file_name=file_name, mime=mime or MIME.get(ext, "application/octet-stream"), key=key,
        icon=icon or IKON.get(ext, ":material/download:"), on_click=_klik,
        args=(handling, tuple(str(b) for b in borger_ids if b is not None), detalje[:400], efter, tuple(behold)),
        **kwargs)
