"""The Import page (issue 12): upload, suggested mapping corrected in the page, preview, dry run,
import with quarantine report, saved mappings, version history and rollback.

Session keys (all prefixed imp_): imp_upload (list of (file name, bytes) from the uploader),
imp_dir (this session's staging directory), imp_resultat (last run), imp_mapning (saved mapping in use).
Logic lives in workbench.data.importer / workbench.data.importforslag; this module only lays it out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import tempfile
from pathlib import Path

import polars as pl
import streamlit as st

from data_model.contract import TABLES
from workbench.regler import access
from workbench.data import importer
from workbench.data.dataset import DatasetError
from workbench.data.importforslag import (FilAnalyse, KolonneForslag, analyse_file, build_mapping, code_labels,
                                     save_mapping, saved_mapping, saved_mappings, stage_source, table_mapping,
                                     unpack_uploads)
from workbench.data.paths import home_dir
from workbench.ui import auth, data
from workbench.ui.audit import log_action
from workbench.format.messages import for_browser
from workbench.ui.widgets import vaelg
from workbench.ui.eksport import eksport_knap
from workbench.format.dansk import DATO, DATO_INPUT, DATO_TID

UPLOAD = "imp_upload"
STAGE = "imp_dir"
RESULT = "imp_resultat"
SAVED = "imp_mapning"
SKIP = "(spring filen over)"
EXTRA = "(ekstra kolonne)"
NO_VALUE = "(ingen - rækken afvises)"
MAX_COLUMN_WIDGETS = 200
HEADERS = {"tabel": "Tabel", "fil": "Fil", "laest": "Læst", "accepteret": "Accepteret", "afvist": "Afvist",
           "karantaene": "Karantæne"}
HANDLING_IMPORT = importer.HANDLING_IMPORT
HANDLING_RUL_TILBAGE = importer.HANDLING_RUL_TILBAGE


def _stage_dir() -> Path:
    d = st.session_state.get(STAGE)
    if not d or not Path(d).is_dir():
        root = home_dir() / "import_staging"
        root.mkdir(parents=True, exist_ok=True)
        d = tempfile.mkdtemp(prefix="s-", dir=root)
        st.session_state[STAGE] = d
    return Path(d)


@st.cache_resource(show_spinner=False, max_entries=32)
def _read(path: str, size: int, mtime_ns: int):
    return importer.read_source(Path(path))


def _files(uploads: list[tuple[str, bytes]]) -> tuple[list[Path], list[str]]:
    """The uploads saved under this session's staging dir (re-done only when the uploads change)."""
    stage = _stage_dir()
    digest = hashlib.sha256(b"".join(hashlib.sha256(n.encode() + b"\0" + b).digest() for n, b in uploads)).hexdigest()
    files_dir = stage / f"filer-{digest[:16]}"
    if not files_dir.is_dir():
        for old in stage.glob("filer-*"):
            shutil.rmtree(old, ignore_errors=True)
        tmp = stage / f".filer-{digest[:16]}"
        shutil.rmtree(tmp, ignore_errors=True)
        paths, notes = unpack_uploads(uploads, tmp, access.security().max_upload_mb * 1024 * 1024)
        (tmp / ".noter").write_text("\n".join(notes), encoding="utf-8")
        tmp.rename(files_dir)
    notes = (files_dir / ".noter").read_text(encoding="utf-8").splitlines()
    return sorted(p for p in files_dir.iterdir() if not p.name.startswith(".")), [n for n in notes if n]


def _target() -> tuple[Path | str, str | None]:
    """The data directory the app reads, and why it cannot be imported into (None: it can)."""
    path = data.data_path()
    if data.using_demo():
        return path, ("Appen viser de indbyggede demodata. Sæt FFB_WORKBENCH_DATA til en data-mappe "
                      "(tom eller skrevet af import) for at importere.")
    if not isinstance(path, Path):  # s3://bucket/prefix (workbench.data.objektlager): always a data directory
        return path, None
    if path.exists() and not path.is_dir():
        return path, f"{path} er ikke en mappe."
    if path.is_dir() and not (path / importer.CURRENT).is_file() and any(
            p.suffix in (".parquet", ".csv", ".xlsx") for p in path.iterdir()):
        return path, (f"{path} er en datasæt-mappe, ikke en data-mappe skrevet af import. Peg FFB_WORKBENCH_DATA "
                      "på en tom mappe eller en data-mappe for at importere.")
    return path, None


def _saved_defaults(engine) -> dict[str, importer.TableMapping]:
    name = st.session_state.get(SAVED)
    if not name:
        return {}
    text = saved_mapping(engine, name)
    if not text:
        return {}
    try:
        return build_mapping_from_text(text, name).tables
    except DatasetError as exc:
        st.error(f"Den gemte mapning '{name}' kan ikke bruges: {for_browser(exc)}")
        return {}


def build_mapping_from_text(text: str, name: str) -> importer.Mapping:
    return importer.mapping_from_yaml(text, Path(f"{name}.yaml"))


def _file_section(i: int, path: Path, saved: dict[str, importer.TableMapping], prefix: str):
    """One file: dialect, table, columns, values, preview. Returns (table, TableMapping, analyse) or None."""
    stat = path.stat()
    try:
        read = _read(str(path), stat.st_size, stat.st_mtime_ns)
    except DatasetError as exc:
        st.error(f"{path.name}: {for_browser(exc)}")
        return None
    first = analyse_file(path, read=read)
    tables = [SKIP, *TABLES]
    default_table = first.tabel if first.tabel else SKIP
    tabel = vaelg(st, f"Tabel for {path.name}", tables, index=tables.index(default_table),
                         key=f"{prefix}tabel_{i}",
                         help="Foreslået ud fra filnavnet eller kolonnerne; ret hvis forkert.")
    d = first.dialekt.describe()
    st.caption(" · ".join(f"{k}: {v}" for k, v in d.items()) + f" · {first.rækker} rækker, {len(first.kolonner)} kolonner")
    if tabel == SKIP:
        return None
    sm = saved.get(tabel)
    base = analyse_file(path, read=read, table=tabel)
    contract = [c.name for c in TABLES[tabel].columns]
    options = [EXTRA, *contract]
    chosen: dict[str, str | None] = {}
    st.markdown("**Kolonner** (kilde → kontrakt)")
    cols = st.columns(3)
    for j, f in enumerate(base.forslag):
        default = f.kontrakt
        if sm is not None and f.kilde in sm.columns:
            default = sm.columns[f.kilde]
        elif sm is not None and f.kilde in contract:
            default = f.kilde
        if j >= MAX_COLUMN_WIDGETS:
            chosen[f.kilde] = default
            continue
        how = {"eksakt": "samme navn", "alias": "kendt alias", "fuzzy": f"ligner ({f.score:.2f})",
               "ingen": "intet forslag", "valgt": "gemt"}.get(f.hvordan, f.hvordan)
        pick = vaelg(cols[j % 3], f"{f.kilde} · {how}", options,
                                     index=options.index(default) if default in options else 0,
                                     key=f"{prefix}kol_{i}_{j}")
        chosen[f.kilde] = None if pick == EXTRA else pick
    if len(base.forslag) > MAX_COLUMN_WIDGETS:
        st.caption(f"Kun de første {MAX_COLUMN_WIDGETS} kolonner kan rettes her; resten følger forslaget.")
    targets = [t for t in chosen.values() if t]
    dup = sorted({t for t in targets if targets.count(t) > 1})
    if dup:
        st.error(f"Flere kolonner er sat til: {', '.join(dup)}. Vælg én.")
        return None
    analyse = analyse_file(path, read=read, table=tabel, columns=chosen)
    if analyse.umatchede:
        st.caption("Umatchede kolonner (beholdes som ekstra kolonner): " + ", ".join(analyse.umatchede))
    if analyse.manglende:
        st.warning("Påkrævede kolonner uden kilde: " + ", ".join(analyse.manglende)
                   + ". Vælg dem ovenfor, ellers afvises importen.")
    values: dict[str, dict[str, str | None]] = {}
    if analyse.vaerdier:
        st.markdown("**Værdier** i kodeliste-kolonner, der ikke står ordret i kodelisten")
        for col, vmap in analyse.vaerdier.items():
            labels = list(code_labels(tabel, col, _codes()))
            vopts = [NO_VALUE, *labels]
            vcols = st.columns(3)
            values[col] = {}
            for k, (src, suggestion) in enumerate(vmap.items()):
                default = suggestion
                if sm is not None and src in sm.values.get(col, {}):
                    default = sm.values[col][src]
                pick = vaelg(vcols[k % 3], f"{col}: '{src}'", vopts,
                                              index=vopts.index(default) if default in vopts else 0,
                                              key=f"{prefix}val_{i}_{col}_{k}")
                values[col][src] = None if pick == NO_VALUE else pick
    tm = table_mapping([KolonneForslag(k, v, "valgt") for k, v in chosen.items()], values)
    _preview(analyse, tabel, tm, read)
    return tabel, tm, analyse


def _codes():
    from workbench.data.config import codes

    return codes()


def _preview(analyse: FilAnalyse, tabel: str, tm: importer.TableMapping, read) -> None:
    df, dialect = read
    try:
        acc, rej, _, _ = importer.check_table(tabel, df.head(20), tm, analyse.sti.name, _codes(), dialect)
    except DatasetError as exc:
        st.warning(f"Forhåndsvisning: {for_browser(exc)}")
        return
    st.markdown("**De første rækker, som de lander**")
    st.dataframe(acc.head(10), hide_index=True, width="stretch")
    if rej.height:
        st.caption(f"{rej.height} af de første {min(df.height, 20)} rækker afvises, fx: {rej[importer.ERR][0]}")


def _report(result: importer.ImportResult, principal: access.Principal) -> None:
    frame = result.frame()
    if result.toerkoersel:
        st.info("Tørkørsel: intet er skrevet.")
    else:
        st.success(f"Version {result.version} er importeret og er nu den aktuelle version.")
    st.dataframe(frame.drop("karantaene").rename({k: v for k, v in HEADERS.items() if k != "karantaene"}), hide_index=True, width="stretch")
    total = frame.select("laest", "accepteret", "afvist").sum().row(0)
    st.write(f"Læst {total[0]} rækker = {total[1]} accepteret + {total[2]} afvist.")
    if result.over_graense:
        grænse = f"{importer.import_settings().afvisningsgraense_pct:g} %"
        if result.toerkoersel:
            st.warning(f"For mange afviste rækker i {', '.join(result.over_graense)} (grænse {grænse}). "
                       "Importen kræver bekræftelse.")
        else:
            st.caption(f"Importeret med bekræftelse trods mange afviste rækker i {', '.join(result.over_graense)} "
                       f"(grænse {grænse}).")
    rejected = getattr(result, "afviste", {})
    if rejected:
        files = {t.tabel: t.fil for t in result.tabeller}
        # the quarantine is served with CPR masked for every role (issue 23: a full CPR needs a reason,
        # which only the borger page's 'Vis fuldt CPR' asks for), and its download is logged with the
        # borger ids it holds
        mask = True
        q_ids = quarantine_borger_ids(rejected)
        q = importer.quarantine_frame(rejected, files, mask_cpr=True)
        st.markdown(f"**Karantæne** ({q.height} rækker)")
        st.dataframe(q.head(500), hide_index=True, width="stretch")
        c1, c2 = st.columns(2)
        eksport_knap(c1, "Hent karantæne (CSV)", importer.quarantine_csv(rejected, files, mask), "karantaene.csv",
                     key="imp_q_csv", borger_ids=q_ids, detalje="karantæne CSV")
        eksport_knap(c2, "Hent karantæne (Excel)", importer.quarantine_xlsx(rejected, files, mask), "karantaene.xlsx",
                     key="imp_q_xlsx", borger_ids=q_ids, detalje="karantæne Excel")


def quarantine_borger_ids(rejected: dict) -> list[str]:
    """The borger ids named in rejected rows (for the export's log entry)."""
    ids: list[str] = []
    for df in rejected.values():
        if "borger_id" in df.columns:
            ids += [str(b) for b in df["borger_id"].drop_nulls().unique().sort().to_list() if str(b).strip()]
    return list(dict.fromkeys(ids))


def _history(target: Path, principal: access.Principal) -> None:
    st.subheader("Versioner")
    if importer.current_version(target) is None:
        st.caption("Ingen versioner endnu.")
        return
    df = importer.versions_frame(target)
    shown = df.with_columns(
        pl.col("oprettet").str.to_datetime("%Y-%m-%dT%H:%M:%S", strict=False).dt.strftime(DATO_TID),
        pl.col("udtraeksdato").str.to_date("%Y-%m-%d", strict=False).dt.strftime(DATO),
        pl.when(pl.col("aktuel")).then(pl.lit("aktuel")).otherwise(pl.lit("")).alias("aktuel"),
    ).rename({"version": "Version", "oprettet": "Importeret", "aktuel": "Aktuel", "bruger": "Bruger",
              "udtraeksdato": "Udtræksdato", "laest": "Læst", "accepteret": "Accepteret", "afvist": "Afvist",
              "kilde": "Kilde", "filer": "Filer (sha256)"})
    st.dataframe(shown, hide_index=True, width="stretch")
    others = [v for v in df["version"].to_list() if v != importer.current_version(target)]
    if not others:
        return
    c1, c2 = st.columns([3, 1])
    v = vaelg(c1, "Gør en tidligere version aktuel", others, key="imp_rul_version")
    if c2.button("Rul tilbage", key="imp_rul"):
        try:
            record = importer.rul_tilbage(target, v, bruger=principal.username)
        except DatasetError as exc:
            st.error(for_browser(exc))
            return
        importer.record_history(auth.engine(), target, record)
        log_action(HANDLING_RUL_TILBAGE, detalje=f"aktuel version {v} (før: {record['forrige_version']})")
        st.session_state.pop(RESULT, None)
        st.rerun()


def render(principal: access.Principal) -> None:
    st.title("Import")
    target, why_not = _target()
    st.caption(f"Data-mappe: {target}. En import bliver en ny version; den forrige kan altid gøres aktuel igen.")
    if why_not:
        st.info(why_not)
    engine = auth.engine()
    kind = st.radio("Upload", ["Filer eller .zip", "En hel mappe"], horizontal=True, key="imp_upload_type")
    if kind == "En hel mappe":
        ups = st.file_uploader("Mappe med eksportfiler (CSV, XLSX, Parquet)", accept_multiple_files="directory",
                               type=["csv", "xlsx", "parquet"], key="imp_uploader_mappe")
    else:
        ups = st.file_uploader("Filer (CSV, XLSX, Parquet) eller en .zip", accept_multiple_files=True,
                               type=["csv", "xlsx", "parquet", "zip"], key="imp_uploader")
    if ups:
        try:
            for u in ups:
                access.check_upload_size(u.size)
        except ValueError as exc:
            st.error(for_browser(exc))
            return
        st.session_state[UPLOAD] = [(u.name, u.getvalue()) for u in ups]
    uploads = st.session_state.get(UPLOAD) or []

    names = saved_mappings(engine)
    if names:
        vaelg(st, "Brug gemt mapning", [None, *names], key=SAVED,
                     format_func=lambda n: "(forslag)" if n is None else n)
    saved = _saved_defaults(engine)
    prefix = f"imp_{hashlib.sha1(str(st.session_state.get(SAVED)).encode()).hexdigest()[:6]}_"

    chosen: dict[str, tuple[Path, importer.TableMapping]] = {}
    if uploads:
        try:
            paths, notes = _files(uploads)
        except DatasetError as exc:
            st.error(for_browser(exc))
            paths, notes = [], []
        for n in notes:
            st.caption(n)
        for i, path in enumerate(paths):
            with st.expander(path.name, expanded=True):
                got = _file_section(i, path, saved, prefix)
            if got:
                tabel, tm, _ = got
                if tabel in chosen:
                    st.error(f"To filer er valgt til tabellen {tabel}: {chosen[tabel][0].name} og {path.name}.")
                    return
                chosen[tabel] = (path, tm)
    if chosen:
        _run_section(chosen, target, why_not, principal, engine)
    elif not uploads:
        st.caption("Upload en måneds eksport for at se forslag til mapning.")
    if RESULT in st.session_state:
        _report(st.session_state[RESULT], principal)
    _history(target, principal)


def _run_section(chosen, target: Path, why_not: str | None, principal: access.Principal, engine) -> None:
    st.subheader("Mapning og import")
    tables = {t: tm for t, (_, tm) in chosen.items()}
    try:
        mapping = build_mapping(tables, "side")
    except DatasetError as exc:
        st.error(for_browser(exc))
        return
    text = importer.mapping_yaml(tables)
    c1, c2, c3 = st.columns([2, 1, 1])
    name = c1.text_input("Gem mapningen som", value=st.session_state.get(SAVED) or "", key="imp_navn")
    if c2.button("Gem mapning", key="imp_gem"):
        try:
            save_mapping(engine, name, text, principal.username)
            st.success(f"Mapningen '{name.strip()}' er gemt.")
        except DatasetError as exc:
            st.error(for_browser(exc))
    eksport_knap(c3, "Hent som YAML", text.encode("utf-8"), f"{(name.strip() or 'mapning')}.yaml", mime="text/yaml",
                 key="imp_yaml", detalje=f"importmapning {name.strip() or 'mapning'}.yaml (ingen borgerdata)")
    use_date = st.checkbox("Angiv udtræksdato", key="imp_brug_dato")
    udtraek = st.date_input("Udtræksdato", value=dt.date.today(), key="imp_dato", format=DATO_INPUT) \
        if use_date else None
    accept = st.checkbox("Acceptér afvisninger over grænsen", key="imp_accepter",
                         help=f"En tabel med mere end {importer.import_settings().afvisningsgraense_pct:g} % "
                              "afviste rækker afviser hele importen, medmindre du bekræfter her.")
    b1, b2 = st.columns(2)
    dry = b1.button("Tørkørsel (skriver intet)", key="imp_toer")
    real = b2.button("Importér", key="imp_koer", type="primary", disabled=why_not is not None)
    if not (dry or real):
        return
    src = stage_source({t: p for t, (p, _) in chosen.items()}, _stage_dir() / "kilde")
    try:
        result = importer.import_dataset(src, target, mapping=mapping, bruger=principal.username,
                                         udtraeksdato=udtraek, accepter_afvisninger=accept, toerkoersel=dry)
    except DatasetError as exc:
        st.error(f"Importen er afvist, intet er ændret: {for_browser(exc)}")
        return
    if not dry:
        importer.record_history(engine, target, {**result.as_dict(), "handling": "import",
                                                 "bruger": principal.username})
        log_action(HANDLING_IMPORT, detalje=f"version {result.version}: "
                                            f"{sum(t.laest for t in result.tabeller)} læst, {result.afvist} afvist")
        from workbench.sider import forudberegning

        with st.spinner("Forudberegner Resultater for den nye version …"):
            note = forudberegning.efter_import(result.version_dir)
        if note:
            result.noter.append(note)
    st.session_state[RESULT] = result
