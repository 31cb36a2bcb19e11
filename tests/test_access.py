"""Roles config, scoping per role, capabilities, pages, upload names, CLI principal."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polars as pl
import pytest

from workbench.regler import access
from workbench.lager import users
from workbench.regler.access import Principal
from workbench.data.config import ConfigError
from workbench.data.dataset import open_dataset

ROOT = Path(__file__).resolve().parents[1]
CPR_FULL = re.compile(r"\d{6}-?\d{4}")


def write_dataset(target: Path, n: int = 40) -> Path:
    """A small contract dataset: borgere B001..Bn in kommune 0250 (3/4) and 0101, sagsbehandlere
    SB1..SB4 in teams T1/T2, ydelser at tilbud P1..P4, full CPR numbers."""
    target.mkdir(parents=True, exist_ok=True)
    rows, yd, fe, sb, mg, im, op = [], [], [], [], [], [], []
    for i in range(1, n + 1):
        bid = f"B{i:03d}"
        rows.append(dict(borger_id=bid, cpr=f"{(i % 28) + 1:02d}0{(i % 9) + 1}8{i % 10}{1000 + i:04d}",
                         foedselsdato=f"198{i % 10}-0{(i % 9) + 1}-{(i % 28) + 1:02d}", koen="KM"[i % 2],
                         handlekommune="0250" if i % 4 else "0101", betalingskommune="0250",
                         sagsbehandler=f"SB{(i % 4) + 1}", team="T1" if (i % 4) < 2 else "T2"))
        tilbud = f"P{(i % 4) + 1}" if i % 5 else f"P{((i + 1) % 4) + 1}"
        yd.append(dict(ydelse_id=f"Y{i}a", borger_id=bid, paragraf="SEL §85", ydelse="Støtte til administration",
                       startdato="2022-01-01", slutdato="2023-01-01" if i % 3 == 0 else "", tilbud_id=tilbud,
                       maanedlig_udgift="4800"))
        if i % 2 == 0:
            yd.append(dict(ydelse_id=f"Y{i}b", borger_id=bid, paragraf="SEL §104", ydelse="Støtte til administration",
                           startdato="2022-06-01", slutdato="", tilbud_id=f"P{((i // 2) % 4) + 1}",
                           maanedlig_udgift="2000"))
        fe.append(dict(borger_id=bid, dato="2023-01-01", omraade="Aktivitet og deltagelse", tema="Samfundsliv",
                       undertema="Varetage økonomi", niveau=str(i % 5)))
        sb.append(dict(borger_id=bid, dato="2023-01-01", stoettebehov="Let støttebehov"))
        mg.append(dict(borger_id=bid, maalgruppe="Anden psykisk vanskelighed", primaer="true", dato="2023-01-01"))
        im.append(dict(maal_id=f"M{i}", borger_id=bid, undertema="Varetage økonomi", maaltype="Udvikle funktionsevne",
                       forventet_niveau="1", startdato="2023-01-01", opfoelgningsdato="2023-06-01"))
        op.append(dict(maal_id=f"M{i}", dato="2023-06-01", vurdering="Opnået"))
    tilbud = [dict(tilbud_id=f"P{k}", navn=f"Tilbud {k}", tilbudstype="Mobilt tilbud", kommunekode="0250")
              for k in range(1, 5)]
    bet = [dict(borger_id=r["borger_id"], paragraf="SEL §85", maaned="2023-01", beloeb="4800") for r in rows]
    for name, data in dict(borgere=rows, ydelser=yd, funktionsevne=fe, stoettebehov=sb, maalgrupper=mg,
                           indsatsmaal=im, opfoelgninger=op, tilbud=tilbud, betalinger=bet).items():
        pl.DataFrame(data).write_csv(target / f"{name}.csv")
    return target


@pytest.fixture
def small(tmp_path) -> Path:
    return write_dataset(tmp_path / "small")


def ids(ds, table="borgere") -> set[str]:
    return set(getattr(ds, table).select("borger_id").collect()["borger_id"].to_list())


def all_text(ds) -> str:
    return "\n".join(str(lf.collect().write_csv()) for lf in ds.tables.values())


# -------------------------------------------------------------------------------- roles.yaml


def test_roles_config_loads_with_every_role():
    cfg = access.load_roles()
    assert set(access.ROLE_NAMES) <= set(cfg.roller)
    from workbench.ui.pages import PAGES

    assert {p[0] for p in PAGES} <= set(cfg.sider), "every page must be known to roles.yaml"
    assert cfg.sikkerhed.max_fejlede_logins >= 1


def _broken(tmp_path, edit) -> Path:
    d = tmp_path / "cfg"
    d.mkdir()
    text = (ROOT / "config" / "roles.yaml").read_text(encoding="utf-8")
    (d / "roles.yaml").write_text(edit(text), encoding="utf-8")
    return d


@pytest.mark.parametrize("edit, key", [
    (lambda t: t.replace("scope: tilsyn", "scope: alt"), "roller.tilsyn.scope"),
    (lambda t: t.replace("kapabiliteter: [eksport, tilbudstal]", "kapabiliteter: [eksport, flyve]"),
     "roller.analytiker.kapabiliteter"),
    (lambda t: t.replace("sider: [overblik, udforsk, kort, tilbud, resultater, oekonomi, servicemaal, rapporter]", "sider: [overblik, hemmelig]"),
     "roller.analytiker.sider"),
    (lambda t: t.replace("  max_fejlede_logins: 5", "  max_fejlede_logins: nul"), "sikkerhed.max_fejlede_logins"),
    (lambda t: t.replace("  analytiker:\n", "  analytikerX:\n"), "roller.analytiker"),
    (lambda t: t + "\n  : [\n", "ugyldig YAML"),
])
def test_malformed_roles_yaml_names_file_and_key(tmp_path, edit, key):
    d = _broken(tmp_path, edit)
    with pytest.raises(ConfigError) as err:
        access.load_roles(d)
    assert "roles.yaml" in str(err.value) and key in str(err.value)


def test_malformed_roles_yaml_via_cli_is_exit_2(tmp_path, small, monkeypatch, capsys):
    from workbench.cli import main

    d = _broken(tmp_path, lambda t: t.replace("scope: kommune", "scope: 7"))
    for f in (ROOT / "config").glob("*.yaml"):
        if f.name != "roles.yaml":
            shutil.copy(f, d / f.name)
    monkeypatch.setenv("FFB_WORKBENCH_CONFIG", str(d))
    assert main(["adgangslog", str(small), "vis", "--bruger", "admin"]) == 2
    err = capsys.readouterr().err
    assert "roles.yaml" in err and "roller.leder_myndighed.scope" in err and "Traceback" not in err


# -------------------------------------------------------------------------------- capabilities


def test_capabilities_and_pages():
    analytiker = Principal("a", "analytiker")
    assert not access.can(analytiker, "borgerliste") and not access.can(analytiker, "borgerside")
    assert not access.page_allowed(analytiker, "borger") and access.page_allowed(analytiker, "udforsk")
    assert access.page_allowed(analytiker, "overblik")
    assert access.can(access.ADMIN, "adgangslog") and access.can(access.ADMIN, "cpr")  # old alias
    assert access.can(Principal("s", "sagsbehandler"), "cpr_unmask")
    assert not access.can(Principal("u", "udfoerer"), "cpr_unmask")
    assert not access.can(Principal("u", "udfoerer"), "eksport")
    assert access.can(Principal("t", "tilbudsleder"), "tilbudstal")
    assert not access.can(Principal("t", "tilbudsleder"), "adgangslog")
    assert not access.page_allowed(Principal("l", "leder_myndighed"), "brugere")
    unknown = Principal("x", "hacker")
    assert not access.can(unknown, "borgerliste") and not access.page_allowed(unknown, "overblik")
    assert not access.can(access.ADMIN, "ukendt_kapabilitet")
    assert not access.can(None, "borgerliste")


# -------------------------------------------------------------------------------- scoping


def test_admin_sees_all_with_cpr_masked(small):
    ds = open_dataset(small)
    s = access.scope(ds, access.ADMIN)
    assert ids(s) == ids(ds)
    assert not CPR_FULL.search(all_text(s))
    cprs = s.borgere.select("cpr").collect()["cpr"].to_list()
    assert all(re.fullmatch(r"\d{6}-xxxx", c) for c in cprs)
    full = access.scope(ds, access.ADMIN, unmask_cpr=True).borgere.select("cpr").collect()["cpr"].to_list()
    assert all(re.fullmatch(r"\d{10}", c) for c in full)


def test_leder_sees_own_kommune_only(small):
    ds = open_dataset(small)
    s = access.scope(ds, Principal("l", "leder_myndighed", kommuner=("0101",)))
    got = s.borgere.collect()
    assert got.height == 10 and set(got["handlekommune"]) == {"0101"}
    for table in ("ydelser", "funktionsevne", "indsatsmaal", "betalinger", "maalgrupper", "stoettebehov"):
        assert ids(s, table) <= ids(s)
    assert set(s.opfoelgninger.collect()["maal_id"]) == set(s.indsatsmaal.collect()["maal_id"])
    # no kommune configured: nothing (fail closed)
    assert access.scope(ds, Principal("l", "leder_myndighed")).borgere.collect().height == 0


def test_sagsbehandler_own_cases_and_team(small):
    ds = open_dataset(small)
    b = ds.borgere.collect()
    own = set(b.filter(pl.col("sagsbehandler") == "SB2")["borger_id"])
    s = access.scope(ds, Principal("s", "sagsbehandler", sagsbehandler="SB2"))
    assert ids(s) == own and own
    team = set(b.filter((pl.col("sagsbehandler") == "SB2") | (pl.col("team") == "T2"))["borger_id"])
    s2 = access.scope(ds, Principal("s", "sagsbehandler", sagsbehandler="SB2", team="T2"))
    assert ids(s2) == team and team > own
    assert access.scope(ds, Principal("s", "sagsbehandler")).borgere.collect().height == 0
    # CPR cannot be unmasked by a role without cpr_unmask even when asked
    leder = access.scope(ds, Principal("l", "leder_myndighed", kommuner=("0250",)), unmask_cpr=True)
    assert not CPR_FULL.search(all_text(leder))


@pytest.mark.parametrize("rolle", ["udfoerer", "tilbudsleder"])
def test_tilbud_roles_see_their_tilbud_only(small, rolle):
    ds = open_dataset(small)
    y = ds.ydelser.collect()
    expected = set(y.filter(pl.col("tilbud_id") == "P1")["borger_id"])
    s = access.scope(ds, Principal("u", rolle, tilbud_ids=("P1",)))
    assert ids(s) == expected and expected
    assert set(s.ydelser.collect()["tilbud_id"]) == {"P1"}, "only ydelser at their own tilbud"
    assert set(s.tilbud.collect()["tilbud_id"]) == {"P1"}
    assert s.betalinger.collect().height == 0
    assert ids(s, "funktionsevne") == expected


def test_tilsyn_sees_assigned_samples_only(small):
    ds = open_dataset(small)
    s = access.scope(ds, Principal("t", "tilsyn", borger_ids=("B003", "B007", "NOPE")))
    assert ids(s) == {"B003", "B007"}
    assert access.scope(ds, Principal("t", "tilsyn")).borgere.collect().height == 0


def test_analytiker_gets_pseudonyms_and_no_cpr(small):
    ds = open_dataset(small)
    s = access.scope(ds, Principal("a", "analytiker"))
    assert s.borgere.collect().height == ds.borgere.collect().height  # aggregates over everyone
    text = all_text(s)
    for bid in ids(ds):
        assert not re.search(rf"\b{bid}\b", text)
    assert s.borgere.select(pl.col("cpr").is_null().all()).collect().item()
    assert not CPR_FULL.search(text)
    # pseudonyms are consistent across tables, so joins and unique counts still work
    joined = s.ydelser.join(s.borgere, on="borger_id", how="semi").collect()
    assert joined.height == ds.ydelser.collect().height


def test_unknown_role_sees_nothing(small):
    s = access.scope(open_dataset(small), Principal("x", "superbruger"))
    assert s.borgere.collect().height == 0 and s.ydelser.collect().height == 0


def test_kommuner_narrow_any_role(small):
    s = access.scope(open_dataset(small), Principal("s", "sagsbehandler", sagsbehandler="SB1", kommuner=("0101",)))
    assert set(s.borgere.collect()["handlekommune"]) <= {"0101"}


def test_rejected_rows_are_scoped(tmp_path):
    d = write_dataset(tmp_path / "rej", n=8)
    text = (d / "borgere.csv").read_text()
    (d / "borgere.csv").write_text(text + "B999,0101904321,not-a-date,K,0250,0250,SB9,T9\n")
    ds = open_dataset(d)
    assert ds.rejected["borgere"].collect().height == 1
    admin = access.scope(ds, access.ADMIN)
    rej = admin.rejected["borgere"].collect()
    assert rej.height == 1 and not CPR_FULL.search(rej.write_csv())
    s = access.scope(ds, Principal("s", "sagsbehandler", sagsbehandler="SB1"))
    assert s.rejected["borgere"].collect().height == 0


# -------------------------------------------------------------------------------- uploads


@pytest.mark.parametrize("name", ["../x.csv", "..\\x.csv", "/etc/passwd", "a/b.csv", "..", ".", "", "x\x00.csv",
                                  "....csv", ".hidden", "borgere.csv\n"])
def test_safe_upload_path_rejects_paths(tmp_path, name):
    with pytest.raises(ValueError, match="ugyldigt filnavn"):
        access.safe_upload_path(tmp_path, name)


def test_safe_upload_path_accepts_plain_names(tmp_path):
    p = access.safe_upload_path(tmp_path, "borgere 2024.csv")
    assert p.parent == tmp_path.resolve() and p.name == "borgere 2024.csv"


def test_upload_size_limit():
    access.check_upload_size(1024)
    with pytest.raises(ValueError, match="for stor"):
        access.check_upload_size(100 * 1024 * 1024)  # 100 MB > sikkerhed.max_upload_mb
    assert access.security().max_upload_mb <= access.SERVER_MAX_UPLOAD_MB


# -------------------------------------------------------------------------------- CLI principal


def test_cli_principal_no_user_is_admin():
    assert users.cli_principal(None, None) == access.ADMIN


def test_cli_principal_resolves_db_user(small):
    from data_model.db import engine_for

    eng = engine_for(small)
    users.create_user(eng, "karin", "sagsbehandler", "en-lang-adgangskode", sagsbehandler="SB3", team="T2")
    p = users.cli_principal("karin", str(small))
    assert p.rolle == "sagsbehandler" and p.sagsbehandler == "SB3" and p.team == "T2"
    with pytest.raises(ValueError, match="ukendt bruger"):
        users.cli_principal("findesikke", str(small))
    users.update_user(eng, "karin", aktiv=False)
    with pytest.raises(ValueError, match="ukendt bruger"):
        users.cli_principal("karin", str(small))


def test_cli_unknown_bruger_exit_2(small, capsys):
    from workbench.cli import main

    assert main(["adgangslog", str(small), "vis", "--bruger", "findesikke"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "ukendt bruger" in err


def test_cli_role_without_capability_refused(small, capsys):
    from workbench.cli import main

    users.bootstrap(__import__("data_model.db", fromlist=["x"]).engine_for(small), small)  # dev mode: demo users
    assert main(["adgangslog", str(small), "vis", "--bruger", "sagsbehandler"]) == 2
    assert "adgangslog" in capsys.readouterr().err
    assert main(["brugere", str(small), "list", "--bruger", "analytiker"]) == 2


def test_cli_manual_tilsyn_assignment_is_gone(small, capsys):
    """`brugere tildel` (manual assignment that always failed) is removed: bad input, exit 2, no table left."""
    from workbench.cli import main
    from data_model.db import engine_for
    from sqlalchemy import inspect

    assert main(["brugere", str(small), "tildel", "t1", "--borger", "GOD"]) == 2
    assert "tilsyn_tildeling" not in inspect(engine_for(small)).get_table_names()
