"""Ledelsestilsyn: sampling by period and exclusion window, the checklist YAML, every prefill rule on
hand-made cases, storage (SQLite and PostgreSQL), the auditor's scope = the sample (principal, pages'
dataset and CLI), and the report through every path (page frame, Excel, A4 HTML)."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import create_engine

from data_model.db import engine_for
from tests import helpers
from tests.test_stikproeve import PAA as S_PAA, write_dataset
from workbench.regler import access, stikproeve
from workbench.sider import tilsyn
from workbench.lager import tilsyn_store, users
from workbench.cli import main
from workbench.data.config import ConfigError
from workbench.data.dataset import open_dataset

ROOT = Path(__file__).resolve().parents[1]
PAA = dt.date(2024, 6, 30)
QIDS = tilsyn.load_checklist().ids


# --- sampling ------------------------------------------------------------------------------------------

@pytest.fixture
def ds_dir(tmp_path) -> Path:
    return write_dataset(tmp_path / "ds")


def test_period_takes_cases_active_in_it_and_leaves_inactive_out(ds_dir):
    ds = open_dataset(ds_dir)
    on_day = set(stikproeve.population(ds, "team", S_PAA).collect()["borger_id"])
    # B000's only ydelse starts 2024-09-01: out on the reference date, in a period that reaches it
    assert "B000" not in on_day
    period = set(stikproeve.population(ds, "team", S_PAA, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
                 .collect()["borger_id"])
    assert "B000" in period and on_day < period
    # a period before every ydelse: nobody is active
    assert stikproeve.population(ds, "team", S_PAA, dt.date(2020, 1, 1), dt.date(2020, 12, 31)).collect().height == 0
    with pytest.raises(ValueError, match="før"):
        stikproeve.population(ds, "team", S_PAA, dt.date(2024, 2, 1), dt.date(2024, 1, 1))


def test_stratum_smaller_than_n_gives_the_whole_stratum(ds_dir):
    ds = open_dataset(ds_dir)
    pop = stikproeve.population(ds, "sagsbehandler", S_PAA).collect()
    sizes = dict(pop.group_by("sagsbehandler").len().iter_rows())
    big = max(sizes.values()) + 5
    s = stikproeve.stikproeve(ds, "sagsbehandler", big, 3, S_PAA)
    assert dict(s.group_by("sagsbehandler").len().iter_rows()) == sizes
    assert s.height == pop.height


def test_exclusion_leaves_out_before_the_draw_and_keeps_n(ds_dir):
    ds = open_dataset(ds_dir)
    first = stikproeve.stikproeve(ds, "team", 3, 11, S_PAA)
    excluded = stikproeve.borger_ids(first)
    second = stikproeve.stikproeve(ds, "team", 3, 11, S_PAA, udeluk=excluded)
    assert not set(second["borger_id"]) & set(excluded)
    assert second.group_by("team").len().sort("team")["len"].to_list() == [3, 3]
    # same seed, same data, same exclusions: same sample in the same order
    assert second.equals(stikproeve.stikproeve(ds, "team", 3, 11, S_PAA, udeluk=list(reversed(excluded))))


def test_tilbud_alias_is_the_tilbud_id_stratum(ds_dir):
    ds = open_dataset(ds_dir)
    assert stikproeve.stikproeve(ds, "tilbud", 2, 5, S_PAA).equals(stikproeve.stikproeve(ds, "tilbud_id", 2, 5, S_PAA))


def _cli(capsys, *argv) -> pl.DataFrame:
    assert main(["stikproeve", *argv]) == 0
    return pl.read_csv(io.StringIO(capsys.readouterr().out), infer_schema=False)


def test_cli_same_seed_identical_sample_with_period_and_tilbud(ds_dir, capsys):
    argv = [str(ds_dir), "--pr", "tilbud", "--antal", "2", "--seed", "42", "--fra", "2024-01-01",
            "--til", "2024-06-01", "--paa", "2024-06-01"]
    a, b = _cli(capsys, *argv), _cli(capsys, *argv)
    assert a.equals(b) and a.height > 0
    assert a.columns[:3] == ["tilbud_id", "nr", "borger_id"]
    expected = stikproeve.stikproeve(open_dataset(ds_dir), "tilbud_id", 2, "42", S_PAA, dt.date(2024, 1, 1),
                                     dt.date(2024, 6, 1))
    assert a["borger_id"].to_list() == expected["borger_id"].to_list()


def test_cli_default_reference_date_is_udtraeksdato(ds_dir, capsys):
    from workbench.data.dataset import udtraeksdato

    on = udtraeksdato(open_dataset(ds_dir))
    out = _cli(capsys, str(ds_dir), "--pr", "team", "--antal", "3", "--seed", "1")
    expected = stikproeve.stikproeve(open_dataset(ds_dir), "team", 3, "1", on)
    assert out["borger_id"].to_list() == expected["borger_id"].to_list()


def test_cli_exclusion_window_reads_stored_audits(ds_dir, capsys):
    argv = [str(ds_dir), "--pr", "team", "--antal", "2", "--seed", "9", "--paa", "2024-06-01"]
    first = _cli(capsys, *argv)
    eng = engine_for(ds_dir)
    sample = stikproeve.stikproeve(open_dataset(ds_dir), "team", 2, "9", S_PAA)
    tilsyn_store.create(eng, sample, pr="team", antal=2, seed="9", paa=S_PAA, auditor="t1", leder="l1", af="l1")
    excl = _cli(capsys, *argv, "--udeluk-seneste-dage", "30")
    assert not set(excl["borger_id"]) & set(first["borger_id"])
    assert excl.height == first.height
    # an audit older than the window does not exclude: today + 40 days sees nothing within 30 days
    from workbench.commands.stikproeve import excluded

    assert excluded(str(ds_dir), 30, dt.date.today() + dt.timedelta(days=40)) == ()
    assert set(excluded(str(ds_dir), 30)) == set(first["borger_id"])


# --- checklist --------------------------------------------------------------------------------------------

def test_checklist_loads_with_known_rules():
    cl = tilsyn.load_checklist()
    assert len(cl.questions) >= 9
    assert {q.regel for q in cl.questions if q.regel} <= set(tilsyn.RULES)
    assert any(q.regel is None for q in cl.questions)  # answered by hand
    assert all(q.svar == tilsyn.ANSWERS for q in cl.questions)


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace("regel: stoettebehov_vurderet", "regel: findes_ikke"), "ukendt regel 'findes_ikke'"),
    (lambda t: t.replace("    svartype: ja_nej_delvist", "    svartype: fritekst", 1), "ukendt svartype"),
    (lambda t: t.replace("id: maal_komplette", "id: funktionsevne_aktuel"), "står to gange"),
    (lambda t: t.replace("spoergsmaal:", "spørgsmål:"), "'spoergsmaal' mangler"),
    (lambda t: t.replace("    tekst: Er støttebehovet vurderet?\n", ""), "tekst' mangler"),
    (lambda t: t.replace("    regel: opfoelgning_overholdt", "    regel: opfoelgning_overholdt\n    vaegt: 2"),
     "ukendt nøgle 'vaegt'"),
])
def test_checklist_validation_names_file_and_key(tmp_path, change, message):
    text = (ROOT / "config" / tilsyn.CHECKLIST_FILE).read_text(encoding="utf-8")
    (tmp_path / tilsyn.CHECKLIST_FILE).write_text(change(text), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        tilsyn.load_checklist(tmp_path)
    assert message in str(err.value) and tilsyn.CHECKLIST_FILE in str(err.value)


# --- prefill rules on hand-made cases -----------------------------------------------------------------------

def write_cases(out: Path) -> Path:
    """GOD: everything in order. DAARLIG: every rule finds a problem. TOM: the data cannot answer."""
    shutil.copytree(ROOT / "tests" / "fixtures" / "borger_x", out)
    for f in out.glob("*.csv"):
        f.unlink()
    (out / "expected_forloeb.json").unlink()
    fe_cols = "borger_id,dato,omraade,tema,undertema,niveau,sagsafgoerelse_id\n"
    ad = "Aktivitet og deltagelse,Samfundsliv,Varetage økonomi"
    files = {
        "borgere": "borger_id,foedselsdato,handlekommune,sagsbehandler,team\n"
                   "GOD,1980-01-01,0250,SB1,T1\nDAARLIG,1980-01-01,0250,SB2,T1\nTOM,1980-01-01,0250,SB2,T2\n",
        "funktionsevne": fe_cols + f"GOD,2023-08-01,{ad},3,\nGOD,2024-02-15,{ad},1,\n"
                                   f"DAARLIG,2021-05-01,{ad},2,\nDAARLIG,2022-01-01,{ad},3,\n",
        "indsatsmaal": "maal_id,borger_id,undertema,maaltype,forventet_niveau,startdato,opfoelgningsdato\n"
                       "MG,GOD,Varetage økonomi,Udvikle funktionsevne,1,2023-09-01,2024-03-01\n"
                       "MD1,DAARLIG,Varetage økonomi,Udvikle funktionsevne,,2022-02-01,2023-01-01\n"
                       "MD2,DAARLIG,Varetage økonomi,Udvikle funktionsevne,0,2021-06-01,2021-12-01\n",
        "opfoelgninger": "maal_id,dato,vurdering\nMG,2024-03-01,Opnået\nMD2,2022-01-02,Opnået\n",
        "maalgrupper": "borger_id,maalgruppe,primaer,dato\nGOD,Anden psykisk vanskelighed,true,2023-08-01\n"
                       "DAARLIG,Anden psykisk vanskelighed,false,2021-05-01\n",
        "stoettebehov": "borger_id,dato,stoettebehov,tema\nGOD,2024-03-01,Let støttebehov,\n"
                        "DAARLIG,2021-05-01,Let støttebehov,\nDAARLIG,2022-01-01,Ikke vurderet,\n",
        "ydelser": "ydelse_id,borger_id,paragraf,ydelse,startdato,slutdato,bevillingsdato,tilbud_id\n"
                   "YG,GOD,SEL §85,Støtte til administration,2023-09-01,,2023-08-25,1000000001\n"
                   "YD1,DAARLIG,SEL §85,Fantasiydelse,2023-01-01,,2023-02-01,1000000001\n"
                   "YD2,DAARLIG,SEL §108,Længerevarende ophold,2023-03-01,,2023-03-01,1000000001\n"
                   "YT,TOM,SEL §85,Støtte til administration,2024-01-01,,,1000000001\n",
        "tilbud": "tilbud_id,navn,tilbudstype\n1000000001,Bostøtten,Mobilt tilbud\n",
    }
    for name, text in files.items():
        (out / f"{name}.csv").write_text(text, encoding="utf-8")
    return out


@pytest.fixture
def cases(tmp_path):
    ds = open_dataset(write_cases(tmp_path / "cases"))
    assert not ds.rejected_counts(), ds.rejected_counts()
    return ds


def _rule(ds, rule: str) -> dict[str, tuple]:
    df = tilsyn.RULES[rule](ds, PAA).collect()
    return {r["borger_id"]: (r["forslag"], r["grundlag"]) for r in df.to_dicts()}


@pytest.mark.parametrize("rule, god, daarlig, tom, fragment", [
    ("funktionsevnevurdering_12_mdr", "Ja", "Nej", "Nej", "01-01-2022"),
    ("maal_maaltype_forventet_niveau", "Ja", "Delvist", None, "MD1"),
    ("opfoelgning_overholdt", "Ja", "Nej", None, "fulgt op 31 dage for sent (01-01-2022)"),  # issue 20 item 6
    ("vurdering_stemmer_med_maaling", "Ja", "Nej", None, "registreret Opnået, målt Ikke opnået"),
    ("primaer_maalgruppe", "Ja", "Nej", "Nej", "DAARLIG"),
    ("ydelse_matcher_paragraf", "Ja", "Nej", "Ja", "Fantasiydelse"),
    ("ingen_aabne_fund", "Ja", "Nej", "Nej", "SEL85_SEL108"),  # TOM: no primary målgruppe is a finding
    ("stoettebehov_vurderet", "Ja", "Nej", "Nej", "Ikke vurderet"),
    ("bevilling_foer_start", "Ja", "Nej", None, "bevilget 01-02-2023, start 01-01-2023"),
])
def test_prefill_rule_on_hand_made_cases(cases, rule, god, daarlig, tom, fragment):
    got = _rule(cases, rule)
    assert (got["GOD"][0], got["DAARLIG"][0], got["TOM"][0]) == (god, daarlig, tom), got
    assert fragment in got["DAARLIG"][1]
    assert all(text for _, text in got.values())  # every suggestion (or none) says why


def test_prefill_issue_20_item_6_hand_checked(tmp_path):
    """Issue 20 item 6, hand-checked: funktionsevne counts the undertemaer scored on the latest date
    (not every one ever: 'B149' had 7 ever, 5 on the latest date -> 5); an info-level finding (a late
    registration) is no open finding; a borger with only § 109/§ 110 gets Ikke relevant on the
    bevilling and VUM questions."""
    out = write_cases(tmp_path / "c")
    uts = ["Varetage økonomi", "Drikke", "Spise", "Vaske sig", "Klæde sig af og på", "Gå på toilettet", "Pleje sin krop"]
    from workbench.data.config import load_config

    codes = load_config().codes
    rows = []
    for i, u in enumerate(uts):  # seven undertemaer ever, five of them on the latest date
        tema = codes.undertema_tema[u]
        rows.append(f"B149,2023-03-01,Aktivitet og deltagelse,{tema},{u},2,")
        if i < 5:
            rows.append(f"B149,2024-01-10,Aktivitet og deltagelse,{tema},{u},1,")
    with (out / "funktionsevne.csv").open("a", encoding="utf-8") as fh:
        fh.write("\n".join(rows) + "\n")
    with (out / "borgere.csv").open("a", encoding="utf-8") as fh:
        fh.write("B149,1980-01-01,0250,SB1,T1\nAKUT,1980-01-01,0250,SB1,T1\n")
    with (out / "ydelser.csv").open("a", encoding="utf-8") as fh:
        # registered 60 days after start: sen_registrering (info) -- no open finding
        fh.write("Y149,B149,SEL §85,Støtte til administration,2023-03-01,,2023-02-20,1000000001,2023-04-30\n")
        fh.write("YA,AKUT,SEL §110,Ophold,2024-01-01,,,1000000001,\n")
    text = (out / "ydelser.csv").read_text(encoding="utf-8").splitlines()
    text[0] += ",registreringsdato"
    text[1:-2] = [r + "," for r in text[1:-2]]
    (out / "ydelser.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    with (out / "maalgrupper.csv").open("a", encoding="utf-8") as fh:
        fh.write("B149,Anden psykisk vanskelighed,true,2023-03-01\nAKUT,Anden psykisk vanskelighed,true,2024-01-01\n")
    with (out / "stoettebehov.csv").open("a", encoding="utf-8") as fh:
        fh.write("B149,2024-01-10,Let støttebehov,\n")
    ds = open_dataset(out)
    assert not ds.rejected_counts(), ds.rejected_counts()
    fe = _rule(ds, "funktionsevnevurdering_12_mdr")["B149"]
    assert fe[0] == "Ja" and "(5 undertemaer vurderet den dag)" in fe[1] and "10-01-2024" in fe[1]
    from workbench.regler import kvalitet

    assert kvalitet.findings(ds, PAA, rules=["sen_registrering"]).filter(
        pl.col("borger_id") == "B149").collect().height == 1  # the info finding exists ...
    assert _rule(ds, "ingen_aabne_fund")["B149"][0] == "Ja"  # ... but is no open finding
    for rule in ("bevilling_foer_start", "funktionsevnevurdering_12_mdr", "maal_maaltype_forventet_niveau",
                 "stoettebehov_vurderet"):
        forslag, grundlag = _rule(ds, rule)["AKUT"]
        assert forslag == "Ikke relevant" and "SEL §110" in grundlag, rule


def test_prefill_covers_every_case_and_question_in_checklist_order(cases):
    pre = tilsyn.prefill(cases, ["TOM", "GOD", "DAARLIG", "UKENDT"], PAA)
    assert pre.columns == list(tilsyn.PREFILL_COLUMNS)
    assert pre.height == 4 * len(QIDS)
    assert pre.filter(pl.col("borger_id") == "GOD")["spoergsmaal_id"].to_list() == list(QIDS)
    # the question without a rule is never suggested; GOD gets Ja on every rule
    assert pre.filter(pl.col("spoergsmaal_id") == "afgoerelse_begrundet")["forslag"].null_count() == 4
    god = pre.filter((pl.col("borger_id") == "GOD") & pl.col("forslag").is_not_null())
    assert set(god["forslag"]) == {"Ja"} and god.height == len(QIDS) - 1, god.to_dicts()
    ukendt = pre.filter(pl.col("borger_id") == "UKENDT")  # not in the data: no suggestion, and it says so
    assert ukendt["forslag"].null_count() == len(QIDS)
    assert ukendt.filter(pl.col("grundlag") == "Borgeren findes ikke i datasættet.").height == len(QIDS) - 1
    assert tilsyn.prefilled_count(pre) == pre["forslag"].is_not_null().sum()


def test_prefill_on_a_sample_equals_prefill_on_the_whole_dataset(cases):
    """Restricting to the sample changes nothing for the sampled cases (no rule reads other borgere)."""
    one = tilsyn.prefill(cases, ["DAARLIG"], PAA)
    both = tilsyn.prefill(cases, ["DAARLIG", "GOD"], PAA).filter(pl.col("borger_id") == "DAARLIG")
    assert one.equals(both)


def test_months_before_clamps():
    assert tilsyn.months_before(dt.date(2024, 3, 31), 1) == dt.date(2024, 2, 29)
    assert tilsyn.months_before(dt.date(2024, 6, 30), 12) == dt.date(2023, 6, 30)


# --- storage --------------------------------------------------------------------------------------------------

def _sample() -> pl.DataFrame:
    return pl.DataFrame({"sagsbehandler": ["SB1", "SB2", "SB2"], "nr": [1, 1, 2], "borger_id": ["GOD", "DAARLIG", "TOM"],
                         "team": ["T1", "T1", "T2"]})


def _all(svar: str = "Ja") -> dict:
    return {q: tilsyn_store.Svar(svar, "") for q in QIDS}


def check_storage(eng) -> None:
    tilsyn_store.ensure_tables(eng)
    with pytest.raises(tilsyn_store.TilsynError, match="to forskellige"):
        tilsyn_store.create(eng, _sample(), pr="sagsbehandler", antal=2, seed=1, paa=PAA, auditor="t1", leder="t1",
                            af="l1")
    a = tilsyn_store.create(eng, _sample(), pr="sagsbehandler", antal=2, seed=1, paa=PAA, auditor="t1",
                            leder="l1", af="l1", titel="Q2")
    assert (a.version, tilsyn_store.status(a)) == (1, tilsyn_store.I_GANG)
    assert tilsyn_store.items(eng, a.audit_id)["borger_id"].to_list() == ["GOD", "DAARLIG", "TOM"]
    assert tilsyn_store.scope_ids(eng, "t1") == ("DAARLIG", "GOD", "TOM")
    assert tilsyn_store.scope_ids(eng, "l1") == ()
    with pytest.raises(tilsyn_store.TilsynError, match="kun den tilsynsførende"):
        tilsyn_store.save_answers(eng, a.audit_id, "GOD", _all(), username="l1", question_ids=QIDS)
    with pytest.raises(tilsyn_store.TilsynError, match="ikke med i stikprøven"):
        tilsyn_store.save_answers(eng, a.audit_id, "X", _all(), username="t1", question_ids=QIDS)
    with pytest.raises(tilsyn_store.TilsynError, match="ugyldigt svar"):
        tilsyn_store.save_answers(eng, a.audit_id, "GOD", {QIDS[0]: tilsyn_store.Svar("Måske")}, username="t1",
                                  question_ids=QIDS)
    assert tilsyn_store.save_answers(eng, a.audit_id, "GOD", _all(), username="t1", question_ids=QIDS) == len(QIDS)
    assert tilsyn_store.save_answers(eng, a.audit_id, "GOD", _all(), username="t1", question_ids=QIDS) == 0
    changed = {QIDS[0]: tilsyn_store.Svar("Nej", "mangler ny vurdering", "Ja", "data")}
    assert tilsyn_store.save_answers(eng, a.audit_id, "GOD", changed, username="t1", question_ids=QIDS) == 1
    cur = tilsyn_store.answers(eng, a.audit_id).filter(pl.col("spoergsmaal_id") == QIDS[0]).row(0, named=True)
    assert (cur["svar"], cur["version"], cur["kommentar"], cur["forslag"]) == ("Nej", 2, "mangler ny vurdering", "Ja")
    hist = [r for r in tilsyn_store.answer_history(eng, a.audit_id, "GOD") if r.spoergsmaal_id == QIDS[0]]
    assert [h.svar for h in hist] == ["Ja", "Nej"]  # nothing overwritten
    assert tilsyn_store.progress(eng, a.audit_id, QIDS) == (1, 3)
    with pytest.raises(tilsyn_store.TilsynError, match="2 af 3 sager mangler svar"):
        tilsyn_store.close(eng, a.audit_id, username="t1", question_ids=QIDS)
    with pytest.raises(tilsyn_store.TilsynError, match="lukkes"):
        tilsyn_store.sign(eng, a.audit_id, tilsyn_store.AUDITOR, username="t1")
    for b in ("DAARLIG", "TOM"):
        tilsyn_store.save_answers(eng, a.audit_id, b, _all("Delvist"), username="t1", question_ids=QIDS)
    closed = tilsyn_store.close(eng, a.audit_id, username="t1", question_ids=QIDS)
    assert (closed.version, tilsyn_store.status(closed)) == (2, tilsyn_store.LUKKET)
    with pytest.raises(tilsyn_store.TilsynError, match="lukket"):
        tilsyn_store.save_answers(eng, a.audit_id, "GOD", _all("Nej"), username="t1", question_ids=QIDS)
    with pytest.raises(tilsyn_store.TilsynError, match="kun l1"):
        tilsyn_store.sign(eng, a.audit_id, tilsyn_store.LEDER, username="t1")
    stale = tilsyn_store.get(eng, a.audit_id)
    tilsyn_store.sign(eng, a.audit_id, tilsyn_store.AUDITOR, username="t1")
    # a save made on a version someone else has moved on from is refused, never a lost update
    with pytest.raises(tilsyn_store.TilsynError, match="genindlæs"):
        tilsyn_store._insert(eng, tilsyn_store._next(stale, handling="lukket", aendret_af="t1",
                                                     aendret=tilsyn_store.utcnow()))
    assert tilsyn_store.scope_ids(eng, "t1") == ("DAARLIG", "GOD", "TOM")  # open until both have signed
    with pytest.raises(tilsyn_store.TilsynError, match="allerede"):
        tilsyn_store.sign(eng, a.audit_id, tilsyn_store.AUDITOR, username="t1")
    done = tilsyn_store.sign(eng, a.audit_id, tilsyn_store.LEDER, username="l1")
    assert (done.version, tilsyn_store.status(done)) == (4, tilsyn_store.AFSLUTTET)
    assert tilsyn_store.scope_ids(eng, "t1") == ()
    assert [h.handling for h in tilsyn_store.history(eng, a.audit_id)] == [
        "oprettet", "lukket", "underskrevet_auditor", "underskrevet_leder"]
    assert set(tilsyn_store.audited_since(eng, dt.date.today())) == {"GOD", "DAARLIG", "TOM"}
    assert tilsyn_store.audited_since(eng, dt.date.today() + dt.timedelta(days=1)) == ()
    # append-only: the database refuses UPDATE and DELETE
    for stmt in ("UPDATE tilsyn SET titel = 'x'", "DELETE FROM tilsyn_svar", "UPDATE tilsyn_sag SET team = 'x'"):
        with pytest.raises((IntegrityError, DBAPIError)), eng.begin() as conn:
            conn.exec_driver_sql(stmt)
    frame = tilsyn_store.report_frame(eng)
    r = tilsyn.rapport(frame)
    sb1 = r.pr_sagsbehandler.filter((pl.col("sagsbehandler") == "SB1") & (pl.col("spoergsmaal_id") == QIDS[0]))
    assert sb1.select("besvaret", "ja", "andel_ja").row(0) == (1, 0, 0.0)
    assert r.pr_sagsbehandler.filter((pl.col("sagsbehandler") == "SB1") & (pl.col("spoergsmaal_id") == QIDS[1]))[
        "andel_ja"].item() == 1.0
    assert r.fund.height == 1 + 2 * len(QIDS)


def test_storage_sqlite(tmp_path):
    check_storage(create_engine(f"sqlite:///{tmp_path / 'tilsyn.sqlite'}"))


def test_storage_postgresql():
    with helpers.postgres_schema("tilsyn") as url:
        eng = create_engine(url)
        try:
            check_storage(eng)
        finally:
            eng.dispose()


# --- the auditor's scope is the sample ----------------------------------------------------------------------

def test_auditor_scope_is_exactly_the_sample_for_principal_and_cli(cases, tmp_path, capsys, monkeypatch):
    data = cases.path
    eng = engine_for(data)
    users.create_user(eng, "t1", "tilsyn", "en-lang-adgangskode")
    users.create_user(eng, "l1", "leder_myndighed", "en-lang-adgangskode", kommuner="0250")
    assert users.principal_for(eng, "t1").borger_ids == ()
    assert not hasattr(users, "assign_tilsyn")  # manual assignment is gone; the sample is the scope
    sample = stikproeve.stikproeve(access.scope(cases, users.principal_for(eng, "l1")), "sagsbehandler", 1, 3, PAA)
    audit = tilsyn_store.create(eng, sample, pr="sagsbehandler", antal=1, seed=3, paa=PAA, auditor="t1", leder="l1",
                                af="l1")
    want = set(stikproeve.borger_ids(sample))
    assert len(want) == 2
    who = users.principal_for(eng, "t1")
    assert set(who.borger_ids) == want
    # every page reads access.scope(dataset, principal): every table follows the sample
    scoped = access.scope(cases, who)
    for name in ("borgere", "ydelser", "funktionsevne", "indsatsmaal", "maalgrupper", "stoettebehov"):
        got = set(scoped.tables[name].select(pl.col("borger_id").cast(pl.String)).collect()["borger_id"])
        assert got <= want and (name != "borgere" or got == want), name
    # the CLI with --bruger: forloeb of a case outside the sample is refused, inside works
    outside = ({"GOD", "DAARLIG", "TOM"} - want).pop()
    assert main(["forloeb", str(data), outside, "--bruger", "t1", "--paa", "2024-06-30"]) == 2
    capsys.readouterr()
    inside = sorted(want)[0]
    assert main(["forloeb", str(data), inside, "--bruger", "t1", "--paa", "2024-06-30", "--format", "json"]) == 0
    assert inside in capsys.readouterr().out
    assert main(["kvalitet", str(data), "--bruger", "t1", "--paa", "2024-06-30"]) == 0
    found = pl.read_csv(io.StringIO(capsys.readouterr().out), infer_schema=False)
    assert not any(outside in str(v) for v in found.rows())
    # after both have signed, the scope is empty again
    for b in want:
        tilsyn_store.save_answers(eng, audit.audit_id, b, _all(), username="t1", question_ids=QIDS)
    tilsyn_store.close(eng, audit.audit_id, username="t1", question_ids=QIDS)
    tilsyn_store.sign(eng, audit.audit_id, tilsyn_store.AUDITOR, username="t1")
    tilsyn_store.sign(eng, audit.audit_id, tilsyn_store.LEDER, username="l1")
    assert users.principal_for(eng, "t1").borger_ids == ()
    assert access.scope(cases, users.principal_for(eng, "t1")).borgere.collect().height == 0


# --- the report through every path ----------------------------------------------------------------------------

def test_report_numbers_agree_in_page_frame_excel_and_html(tmp_path):
    eng = create_engine(f"sqlite:///{tmp_path / 'r.sqlite'}")
    tilsyn_store.ensure_tables(eng)
    a = tilsyn_store.create(eng, _sample(), pr="sagsbehandler", antal=2, seed=1, paa=PAA, auditor="t1",
                            leder="l1", af="l1", titel="Q")
    answers = {"GOD": "Ja", "DAARLIG": "Nej", "TOM": "Ja"}
    for b, svar in answers.items():
        given = _all(svar)
        given[QIDS[1]] = tilsyn_store.Svar("Ikke relevant")
        tilsyn_store.save_answers(eng, a.audit_id, b, given, username="t1", question_ids=QIDS)
    r = tilsyn.rapport(tilsyn_store.report_frame(eng))
    team = r.pr_team.filter(pl.col("spoergsmaal_id") == QIDS[0]).sort("team")
    assert team.select("team", "besvaret", "ja").rows() == [("T1", 2, 1), ("T2", 1, 1)]
    assert r.pr_team.filter(pl.col("spoergsmaal_id") == QIDS[1]).height == 0  # Ikke relevant is not counted
    q = tilsyn.kvartal("d")
    assert pl.DataFrame({"d": [dt.date(2026, 11, 25)]}).select(q).item() == "2026-K4"
    assert r.tendens.filter(pl.col("spoergsmaal_id") == QIDS[0]).select("tilsyn", "besvaret", "ja").row(0) == (1, 3, 2)
    # Excel: the same numbers
    from openpyxl import load_workbook

    from workbench.format.export import to_xlsx_bytes

    wb = load_workbook(io.BytesIO(to_xlsx_bytes(tilsyn.rapport_sheets(r))))
    ws = wb["Pr. team"]
    header = [c.value for c in ws[1]]
    rows = [dict(zip(header, [c.value for c in row])) for row in ws.iter_rows(min_row=2)]
    t1 = next(x for x in rows if x["Team"] == "T1" and x["Spørgsmål-id"] == QIDS[0])
    assert (t1["Besvaret"], t1["Ja"], t1["Andel ja (%)"]) == (2, 1, 50.0)
    # A4 HTML: the shared print shell, same share
    page = tilsyn.rapport_html(r, "Ledelsestilsyn – rapport")
    assert "@page { size: A4" in page and "<td class='tal'>50,0</td>" in page
    from workbench.format import udskrift

    assert udskrift.CSS in page


def test_kommune_demo_five_per_sagsbehandler_mostly_prefilled(demo_kommune):
    """The issue's 'done when': 5 cases per sagsbehandler on the kommune demo, most answers prefilled
    (measured: 866 of 1 000 with seed 1; the note in README.md quotes it)."""
    from workbench.data.dataset import udtraeksdato

    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    sample = stikproeve.stikproeve(ds, "sagsbehandler", 5, 1, paa)
    pop = stikproeve.population(ds, "sagsbehandler", paa).collect()
    sizes = dict(pop.group_by("sagsbehandler").len().iter_rows())
    assert dict(sample.group_by("sagsbehandler").len().iter_rows()) == {k: min(5, n) for k, n in sizes.items()}
    pre = tilsyn.prefill(ds, stikproeve.borger_ids(sample), paa)
    assert pre.height == sample.height * len(QIDS)
    assert tilsyn.prefilled_count(pre) > pre.height // 2


def test_prefill_agrees_with_the_kvalitet_owners_on_the_demo(demo_kommune):
    """Overdue follow-up and recorded-vs-measured come from kvalitet's rules (one owner): the borgere
    the checklist marks Nej/Delvist are exactly those kvalitet reports."""
    from workbench.regler import kvalitet
    from workbench.data.dataset import udtraeksdato

    ds = open_dataset(demo_kommune)
    paa = udtraeksdato(ds)
    ids = stikproeve.borger_ids(stikproeve.stikproeve(ds, "sagsbehandler", 10, 4, paa))
    pre = tilsyn.prefill(ds, ids, paa)
    found = kvalitet.findings(tilsyn.restrict(ds, ids), paa,
                              rules=["opfoelgning_overskredet", "vurdering_afviger_maaling"]).collect()
    # a follow-up made after its date is not kept either (issue 20 item 6): goal status judged it late
    from workbench.regler import maalstatus

    sub = tilsyn.restrict(ds, ids)
    late = set(maalstatus.goal_status(sub.indsatsmaal, sub.funktionsevne, paa).filter(
        (pl.col("opfoelgningsdato") < paa) & (pl.col("maalt_dato") > pl.col("opfoelgningsdato"))
    ).collect()["borger_id"].cast(pl.String))
    for qid, rule, extra in (("opfoelgning_overholdt", "opfoelgning_overskredet", late),
                             ("vurdering_stemmer", "vurdering_afviger_maaling", set())):
        flagged = set(pre.filter((pl.col("spoergsmaal_id") == qid) & pl.col("forslag").is_in(["Nej", "Delvist"]))
                      ["borger_id"])
        assert flagged == set(found.filter(pl.col("regel") == rule)["borger_id"]) | extra, qid
    assert found.height > 0
