"""pydeck for the browser: the Deck JSON sent compact.

pydeck's Deck.to_json() pretty-prints with indent=2, so every polygon coordinate gets its own
indented line: the Kort page's spec was ~5 MB on the wire for ~0.6 MB of data, and the browser
parses all of it on every visit. CompactDeck serialises the same object (same keys, same
values, sorted keys as pydeck does) without the whitespace.
"""

from __future__ import annotations

import json

import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize


class CompactDeck(pdk.Deck):
    """pdk.Deck whose JSON (what st.pydeck_chart sends) has no indentation or spaces."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"))
