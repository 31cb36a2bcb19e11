"""The print pipeline: one self-contained A4 HTML shell (no external resources) for every printable
document — the fælles sagsgennemgang (workbench.lager.reviews.print_html), the ledelsestilsyn report
(workbench.sider.tilsyn.rapport_html) and the statusrapport (workbench.sider.rapport) — and one HTML -> PDF path
(WeasyPrint with Debian's pango; offline, no browser). Charts are Altair specs rendered server-side
to SVG with vl-convert (the same specs the pages show).

    page(title, body_html, extra_css="", fod="") -> str
    to_pdf(html) -> bytes
    altair_svg(chart) -> str
    html_table(columns, rows, numeric=(), mark=None, css_class="") -> str
"""

from __future__ import annotations

import html
from typing import Any, Iterable, Sequence

CSS = """@page { size: A4; margin: 15mm 15mm 18mm 15mm;
  @bottom-right { content: "Side " counter(page) " af " counter(pages); font-size: 8pt; color: #666; }
  @bottom-left { content: string(fod); font-size: 8pt; color: #666; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #222; max-width: 180mm; margin: 0 auto; }
h1 { font-size: 15pt; margin: 0 0 4px; } h2 { font-size: 12pt; margin: 14px 0 4px; }
h3 { font-size: 10pt; margin: 6px 0 2px; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #bbb; padding: 3px 4px;
 text-align: left; vertical-align: top; font-size: 9pt; } th { background: #eee; }
.meta td { border: none; padding: 1px 6px 1px 0; } .chart { page-break-inside: avoid; }
.kladde { color: #c0392b; font-weight: bold; } .dato { white-space: nowrap; }
.tal { text-align: right; white-space: nowrap; } th.tal { white-space: normal; } .fodnote { color: #777; font-size: 8pt; }
table.smal td, table.smal th { font-size: 7.5pt; padding: 2px 3px; }
.fod { string-set: fod content(); display: none; }
"""


def e(value: Any) -> str:
    """HTML-escaped text ('' for None)."""
    return html.escape("" if value is None else str(value))


def page(title: str, body: str, extra_css: str = "", fod: str = "") -> str:
    """A complete printable A4 HTML document (Danish) with the shared style sheet; in PDF every page
    carries 'Side n af m' and the footer text `fod`."""
    footer = f"<div class='fod'>{e(fod)}</div>\n" if fod else ""
    return f"""<!DOCTYPE html>
<html lang="da"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
{CSS}{extra_css}</style></head><body>
{footer}{body}
</body></html>
"""


def to_pdf(document: str) -> bytes:
    """The HTML rendered to PDF by WeasyPrint (offline: only inline resources are used)."""
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    return HTML(string=document, base_url=None).write_pdf()


def varm() -> None:
    """Start vl-convert's JavaScript runtime (about 1 s on its first chart, 0,05 s after): called once in
    the app's background after the first page (workbench.ui.forvarmning.start_proces), so the first
    report does not wait for it."""
    import vl_convert as vlc

    vlc.vegalite_to_svg({"data": {"values": [{"x": 1}]}, "mark": "bar", "encoding": {"x": {"field": "x", "type": "quantitative"}}},
                        format_locale="da-DK")


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
