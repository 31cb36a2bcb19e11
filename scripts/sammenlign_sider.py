"""Snapshot what the Resultater, Tilbud and Tilsyn pages show (AppTest) on the kommune demo, per role
and a few widget states, to compare before/after a refactoring that must not change what users see.

    .venv/bin/python scripts/sammenlign_sider.py DEMO_DIR OUT.json          # snapshot
    .venv/bin/python scripts/sammenlign_sider.py --diff BEFORE.json AFTER.json

DEMO_DIR is created (synth kommune, seed 1) when missing. Every rendered element is recorded as its
type and its text (dataframes as CSV, charts/other elements as their protobuf text).
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
from pathlib import Path

# SAMMENLIGN_ROOT: another checkout's tree (e.g. `git archive main | tar -x -C DIR`) to snapshot its pages
ROOT = Path(os.environ.get("SAMMENLIGN_ROOT") or Path(__file__).resolve().parents[1]).resolve()
sys.path.insert(0, str(ROOT))


MEDIA: list = []  # the AppTest media storages (to read what a download button serves)
STAMP = re.compile(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}(:\d{2})?|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?")
DECK_ID = re.compile(r'\\"id\\": \\"[0-9a-f-]{36}\\"')


def _download(proto) -> str:
    """A download button's label and served content (xlsx as its cells), timestamps masked."""
    content = MEDIA[-1].get_file(proto.url.rsplit("/", 1)[-1]).content
    if proto.url.endswith(".xlsx"):
        wb = openpyxl.load_workbook(io.BytesIO(content))
        text = "\n".join(f"{ws.title}: {row}" for ws in wb for row in ws.iter_rows(values_only=True))
    else:
        text = content.decode("utf-8", "replace")
    return proto.label + "\n" + STAMP.sub("<tid>", text)


def _elements(node, path: str, out: list) -> None:
    value = getattr(node, "value", None)
    typ = type(node).__name__
    proto = getattr(node, "proto", None)
    if value is not None and hasattr(value, "to_csv"):
        out.append((path, typ, value.to_csv()))
    elif typ == "DownloadButton":
        out.append((path, typ, _download(proto)))
    elif proto is not None:
        out.append((path, typ, DECK_ID.sub("<id>", str(proto))))
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for k, child in children.items():
            _elements(child, f"{path}/{k}", out)


def snapshot(demo: Path) -> dict[str, list]:
    import openpyxl  # noqa: F401 (used by _download)
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.testing.v1 import AppTest
    from streamlit.testing.v1 import app_test as app_test_module

    class Recording(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            MEDIA.append(self)

    app_test_module.MemoryMediaFileStorage = Recording
    globals()["openpyxl"] = openpyxl

    from data_model.db import engine_for
    from workbench.data.dataset import open_dataset, udtraeksdato
    from workbench.lager import users
    from workbench.sider import tilbud

    if not demo.exists():
        from workbench.vaerktoej import synth

        synth.write_demo(demo, skala="kommune", seed=1)
    os.environ["FFB_WORKBENCH_DATA"] = str(demo)
    os.environ["FFB_WORKBENCH_DEV"] = "1"
    os.environ.setdefault("FFB_WORKBENCH_HOME", str(demo.parent / "home"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{demo.parent / 'workbench.sqlite'}")
    from workbench.ui import data

    data.BACKGROUND = False
    users.bootstrap(engine_for(demo), demo)
    ds = open_dataset(demo)
    liste = tilbud.liste(ds, udtraeksdato(ds)).sort(["borgere", "tilbud_id"], descending=[True, False]).collect()
    busiest = liste["tilbud_id"][0]
    smallest = liste.filter(liste["borgere"] > 0)["tilbud_id"][-1]  # months of 1..g-1 borgere

    def page(name):
        return str(ROOT / "sidefiler" / f"{name}.py")

    states = []  # (label, page, params, actions)
    for rolle in ("admin", "analytiker", "tilbudsleder"):
        states.append((f"{rolle}/tilbud/liste", "tilbud", {}, []))
        states.append((f"{rolle}/tilbud/busiest", "tilbud", {"tilbud": busiest}, []))
        states.append((f"{rolle}/tilbud/busiest/undertema", "tilbud", {"tilbud": busiest},
                       [("segmented_control", "tilbud_udv_niveau", "Undertema")]))
        states.append((f"{rolle}/tilbud/smallest", "tilbud", {"tilbud": smallest}, []))
        states.append((f"{rolle}/tilbud/smallest/undertema", "tilbud", {"tilbud": smallest},
                       [("segmented_control", "tilbud_udv_niveau", "Undertema")]))
        states.append((f"{rolle}/resultater/paragraf/tema", "resultater", {},
                       [("selectbox", "res_pr", "paragraf"), ("multiselect", "res_tema", None)]))
        for pr in ("paragraf", "tilbud", "team", "maalgruppe"):
            states.append((f"{rolle}/resultater/{pr}", "resultater", {}, [("selectbox", "res_pr", pr)]))
    states.append(("admin/resultater/gruppe", "resultater", {}, [("selectbox", "res_pr", "paragraf"),
                                                                  ("selectbox", "res_gruppe", None)]))
    for rolle in ("admin", "leder_myndighed", "tilsyn"):
        states.append((f"{rolle}/tilsyn", "tilsyn", {}, []))

    import workbench

    print(f"pages from {ROOT}, workbench from {Path(workbench.__file__).parent}", file=sys.stderr)
    out: dict[str, list] = {}
    for label, name, params, actions in states:
        rolle = label.split("/")[0]
        os.environ["FFB_WORKBENCH_USER"] = rolle
        at = AppTest.from_file(page(name), default_timeout=300)
        for k, v in params.items():
            at.query_params[k] = v
        at.run()
        for kind, key, v in actions:
            try:
                w = getattr(at, kind)(key=key)
            except KeyError:  # not on the page for this role/state
                continue
            first = [w.options[0]] if kind == "multiselect" else w.options[0]
            w.set_value(first if v is None else v)
            at.run()
        els: list = []
        _elements(at._tree, "", els)
        if at.exception:
            els.append(("exception", "exception", str([e.message for e in at.exception])))
        out[label] = els
        print(label, len(els), file=sys.stderr)
    return out


WIDGET_ID = re.compile(r"\$\$ID-[0-9a-f]+-")  # a widget id hashes the page's path: another checkout differs


def diff(a: dict, b: dict) -> int:
    """Print every element that differs (widget ids' path hash ignored); return how many."""
    n = same = 0
    for label in sorted(set(a) | set(b)):
        ea, eb = a.get(label, []), b.get(label, [])
        if len(ea) != len(eb):
            print(f"{label}: {len(ea)} elements before, {len(eb)} after")
        for x, y in zip(ea, eb):
            n += 1
            if x[:2] == y[:2] and WIDGET_ID.sub("$$ID-", x[2]) == WIDGET_ID.sub("$$ID-", y[2]):
                same += 1
            else:
                print(f"{label} {x[0]} {x[1]} differs:\n  before: {x[2][:300]!r}\n  after:  {y[2][:300]!r}")
    print(f"{n} elements compared, {same} equal, {n - same} different")
    return n - same


if __name__ == "__main__":
    if sys.argv[1] == "--diff":
        a, b = (json.loads(Path(p).read_text(encoding="utf-8")) for p in sys.argv[2:4])
        sys.exit(1 if diff(a, b) else 0)
    Path(sys.argv[2]).write_text(json.dumps(snapshot(Path(sys.argv[1])), ensure_ascii=False), encoding="utf-8")
