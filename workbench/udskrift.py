"""The print pipeline: one self-contained A4 HTML shell (no external resources) for every printable
document — the fælles sagsgennemgang (workbench.reviews.print_html) and the ledelsestilsyn report
(workbench.tilsyn.rapport_html). Pure text; the UI offers the result as a download / print view.

    page(title, body_html, extra_css="") -> str
"""

from __future__ import annotations

import html
from typing import Any

CSS = """@page { size: A4; margin: 15mm; }
body { font-family: sans-serif; font-size: 10pt; color: #222; max-width: 180mm; margin: 0 auto; }
h1 { font-size: 15pt; margin: 0 0 4px; } h2 { font-size: 12pt; margin: 14px 0 4px; }
h3 { font-size: 10pt; margin: 6px 0 2px; }
table { border-collapse: collapse; width: 100%; } td, th { border: 1px solid #bbb; padding: 3px 4px;
 text-align: left; vertical-align: top; font-size: 9pt; } th { background: #eee; }
.meta td { border: none; padding: 1px 6px 1px 0; } .chart { page-break-inside: avoid; }
.kladde { color: #c0392b; font-weight: bold; } .dato { white-space: nowrap; }
.tal { text-align: right; white-space: nowrap; } .fodnote { color: #777; font-size: 8pt; }
"""


def e(value: Any) -> str:
    """HTML-escaped text ('' for None)."""
    return html.escape("" if value is None else str(value))


def page(title: str, body: str, extra_css: str = "") -> str:
    """A complete printable A4 HTML document (Danish) with the shared style sheet."""
    return f"""<!DOCTYPE html>
<html lang="da"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>
{CSS}{extra_css}</style></head><body>
{body}
</body></html>
"""
