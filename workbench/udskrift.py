"""The one print pipeline: an A4 HTML shell and HTML -> PDF (WeasyPrint, with Debian's pango).

Used by the sagsgennemgang print (workbench.reviews), the statusrapport (workbench.rapport) and the
tilsyn report. Everything renders offline: no external resources, no browser. Charts are Altair
specs rendered server-side to SVG with vl-convert (the same specs the pages show).
"""

from __future__ import annotations

import html as _html
from typing import Iterable, Sequence

A4_CSS = """
@page { size: A4; margin: 15mm 15mm 18mm 15mm;
  @bottom-right { content: "Side " counter(page) " af " counter(pages); font-size: 8pt; color: #666; }
  @bottom-left { content: string(fod); font-size: 8pt; color: #666; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #222; max-width: 180mm; margin: 0 auto; }
h1 { font-size: 15pt; margin: 0 0 4px; } h2 { font-size: 12pt; margin: 14px 0 4px; }
h3 { font-size: 10pt; margin: 6px 0 2px; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #bbb; padding: 3px 4px;
 text-align: left; vertical-align: top; font-size: 9pt; } th { background: #eee; }
td.tal { text-align: right; white-space: nowrap; } th.tal { text-align: right; }
table.smal td, table.smal th { font-size: 7.5pt; padding: 2px 3px; }
.meta td { border: none; padding: 1px 6px 1px 0; } .chart { page-break-inside: avoid; }
.kladde { color: #c0392b; font-weight: bold; } .dato { white-space: nowrap; }
.fod { string-set: fod content(); display: none; }
"""


def e(value: object) -> str:
    """HTML-escaped text ('' for None)."""
    return "" if value is None else _html.escape(str(value))


def a4_html(title: str, body: str, css: str = "", fod: str = "") -> str:
    """A self-contained printable A4 page: title, the shared A4 style (page numbers in PDF) and body."""
    footer = f"<div class='fod'>{e(fod)}</div>" if fod else ""
    return (f"<!DOCTYPE html>\n<html lang=\"da\"><head><meta charset=\"utf-8\"><title>{e(title)}</title>\n"
            f"<style>{A4_CSS}{css}</style></head><body>\n{footer}{body}\n</body></html>\n")


def to_pdf(html: str) -> bytes:
    """The HTML rendered to PDF by WeasyPrint (offline: only inline resources are used)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=html, base_url=None).write_pdf()


def altair_svg(chart) -> str:
    """An Altair chart (or Vega-Lite dict) as inline SVG, rendered server-side by vl-convert."""
    import vl_convert as vlc

    spec = chart if isinstance(chart, dict) else chart.to_dict()
    svg = vlc.vegalite_to_svg(spec, format_locale="da-DK")
    return svg[svg.find("<svg"):] if "<svg" in svg else svg


def html_table(columns: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[str] = (),
               mark: dict[int, str] | None = None, css_class: str = "") -> str:
    """A plain HTML table; columns named in `numeric` are right-aligned; mark: row index -> inline style."""
    num = set(numeric)
    head = "".join(f"<th class='{'tal' if c in num else ''}'>{e(c)}</th>" for c in columns)
    body = []
    for i, row in enumerate(rows):
        style = f" style='{mark[i]}'" if mark and i in mark else ""
        cells = "".join(f"<td class='{'tal' if c in num else ''}'>{e(v)}</td>" for c, v in zip(columns, row))
        body.append(f"<tr{style}>{cells}</tr>")
    return f"<table class='{css_class}'><tr>{head}</tr>{''.join(body)}</table>"
