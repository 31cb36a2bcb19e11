"""Fælles sagsgennemgang (workbench.lager.reviews): versions, sign-off rules, append-only storage and the
print view, on SQLite and (with TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from workbench.lager import reviews
from workbench.data.dataset import open_dataset
from workbench.sider.forloeb import review_snapshot
from workbench.lager.reviews import MYNDIGHED, UDFOERER, ReviewError

from tests.helpers import postgres_schema

PAA = dt.date(2023, 6, 2)
FORTSAET = "Træf afgørelse om fortsættelse af indsats"
AFSLUT = "Træf afgørelse om afslutning af indsats"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    if request.param == "sqlite":
        eng = create_engine(f"sqlite:///{tmp_path / 'reviews.sqlite'}")
        reviews.ensure_tables(eng)
        yield eng
        eng.dispose()
        return
    with postgres_schema("test_reviews") as url:
        eng = create_engine(url)
        try:
            reviews.ensure_tables(eng)
            yield eng
        finally:
            eng.dispose()


@pytest.fixture
def snapshot(borger_x_dir):
    return review_snapshot(open_dataset(borger_x_dir), "X", PAA)


def _new(engine, snapshot, username="sb1", rolle="sagsbehandler"):
    return reviews.create(engine, borger_id="X", paa=PAA, username=username, rolle=rolle, snapshot=snapshot)


def _count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM sagsgennemgang")).scalar_one()


def test_create(engine, snapshot):
    r = _new(engine, snapshot)
    assert r.version == 1 and r.handling == "oprettet" and r.aendret_af == "sb1"
    assert reviews.status(r) == reviews.KLADDE
    assert r.vurderinger == {"M1": {"vurdering": None, "note": ""}}
    assert r.snapshot["indsatsmaal"][0]["status"] == "Opnået"
    assert "cpr" not in r.snapshot["header"]
    assert reviews.get(engine, r.review_id).version == 1


def test_edit_inserts_new_version_and_keeps_old(engine, snapshot):
    r1 = _new(engine, snapshot)
    r2 = reviews.edit(engine, r1.review_id, username="u1", rolle="udfoerer", myndighed_navn="Z",
                      udfoerer_navn="Bostøtten", borger_til_stede=True, paaroerende_til_stede=False,
                      vurderinger={"M1": {"vurdering": "Opnået", "note": "Klarer økonomien selv"}},
                      status_paa_indsats=AFSLUT, base_version=1)
    assert r2.version == 2 and r2.handling == "redigeret" and r2.aendret_af == "u1"
    old = reviews.get(engine, r1.review_id, version=1)
    assert old.myndighed_navn == "" and old.vurderinger["M1"]["vurdering"] is None
    assert reviews.get(engine, r1.review_id).vurderinger["M1"] == {"vurdering": "Opnået", "note": "Klarer økonomien selv"}
    assert [h.version for h in reviews.history(engine, r1.review_id)] == [1, 2]
    # No change: no new version.
    same = reviews.edit(engine, r1.review_id, username="u1", rolle="udfoerer", myndighed_navn="Z")
    assert same.version == 2 and _count(engine) == 2
    r3 = reviews.edit(engine, r1.review_id, username="sb1", rolle="sagsbehandler",
                      naeste_opfoelgning=dt.date(2023, 12, 1))
    assert r3.version == 3 and r3.naeste_opfoelgning == dt.date(2023, 12, 1) and r3.myndighed_navn == "Z"


def test_edit_validates(engine, snapshot):
    r = _new(engine, snapshot)
    with pytest.raises(ReviewError, match="vurdering"):
        reviews.edit(engine, r.review_id, username="a", rolle="admin", vurderinger={"M1": {"vurdering": "Godt"}})
    with pytest.raises(ReviewError, match="M9"):
        reviews.edit(engine, r.review_id, username="a", rolle="admin", vurderinger={"M9": {"vurdering": "Opnået"}})
    with pytest.raises(ReviewError, match="status"):
        reviews.edit(engine, r.review_id, username="a", rolle="admin", status_paa_indsats="Fortsæt")
    with pytest.raises(ReviewError, match="ændres"):
        reviews.edit(engine, r.review_id, username="a", rolle="admin", borger_id="Y")
    with pytest.raises(ReviewError, match="rollen"):
        reviews.edit(engine, r.review_id, username="t", rolle="tilsyn", myndighed_navn="x")
    with pytest.raises(ReviewError, match="rollen"):
        _new(engine, snapshot, username="an", rolle="analytiker")
    assert _count(engine) == 1


def test_stale_base_version_is_refused(engine, snapshot):
    r = _new(engine, snapshot)
    reviews.edit(engine, r.review_id, username="a", rolle="admin", myndighed_navn="Z", base_version=1)
    with pytest.raises(ReviewError, match="genindlæs"):
        reviews.edit(engine, r.review_id, username="b", rolle="udfoerer", udfoerer_navn="U", base_version=1)
    assert reviews.get(engine, r.review_id).version == 2


def test_cannot_sign_empty_decision(engine, snapshot):
    r = _new(engine, snapshot)
    with pytest.raises(ReviewError, match="afgørelse"):
        reviews.sign(engine, r.review_id, MYNDIGHED, username="sb1", rolle="sagsbehandler")
    assert _count(engine) == 1


def test_sign_roles(engine, snapshot):
    r = _new(engine, snapshot)
    reviews.edit(engine, r.review_id, username="sb1", rolle="sagsbehandler", status_paa_indsats=AFSLUT,
                 borger_til_stede=True, naeste_opfoelgning=dt.date(2024, 6, 1))
    for rolle in ("udfoerer", "tilbudsleder", "tilsyn", "analytiker"):
        with pytest.raises(ReviewError, match="rollen"):
            reviews.sign(engine, r.review_id, MYNDIGHED, username="x", rolle=rolle)
    for rolle in ("sagsbehandler", "leder_myndighed", "tilsyn", "analytiker"):
        with pytest.raises(ReviewError, match="rollen"):
            reviews.sign(engine, r.review_id, UDFOERER, username="x", rolle=rolle)
    assert reviews.sign_sides("admin") == [MYNDIGHED, UDFOERER]
    assert reviews.sign_sides("leder_myndighed") == [MYNDIGHED]
    assert reviews.sign_sides("tilbudsleder") == [UDFOERER]
    assert reviews.sign_sides("tilsyn") == []


def test_sign_off_by_both_finishes_and_locks(engine, snapshot):
    r = _new(engine, snapshot)
    reviews.edit(engine, r.review_id, username="sb1", rolle="sagsbehandler", status_paa_indsats=AFSLUT,
                 borger_til_stede=True, naeste_opfoelgning=dt.date(2024, 6, 1))
    m = reviews.sign(engine, r.review_id, MYNDIGHED, username="sb1", rolle="sagsbehandler", base_version=2)
    assert m.version == 3 and m.myndighed_underskrevet_af == "sb1" and m.myndighed_underskrevet is not None
    assert reviews.status(m) == reviews.DELVIS
    with pytest.raises(ReviewError, match="allerede"):
        reviews.sign(engine, r.review_id, MYNDIGHED, username="leder", rolle="leder_myndighed")
    with pytest.raises(ReviewError, match="samme person"):
        reviews.sign(engine, r.review_id, UDFOERER, username="sb1", rolle="admin")
    u = reviews.sign(engine, r.review_id, UDFOERER, username="u1", rolle="tilbudsleder")
    assert u.version == 4 and reviews.is_finished(u) and u.myndighed_underskrevet_af == "sb1"
    with pytest.raises(ReviewError, match="afsluttet"):
        reviews.edit(engine, r.review_id, username="sb1", rolle="sagsbehandler", myndighed_navn="ny")
    with pytest.raises(ReviewError, match="afsluttet"):
        reviews.sign(engine, r.review_id, MYNDIGHED, username="sb2", rolle="sagsbehandler")
    assert _count(engine) == 4


def test_edit_after_signature_invalidates_in_new_version(engine, snapshot):
    r = _new(engine, snapshot)
    reviews.edit(engine, r.review_id, username="sb1", rolle="sagsbehandler", status_paa_indsats=FORTSAET,
                 borger_til_stede=True, naeste_opfoelgning=dt.date(2024, 6, 1))
    signed = reviews.sign(engine, r.review_id, MYNDIGHED, username="sb1", rolle="sagsbehandler")
    edited = reviews.edit(engine, r.review_id, username="u1", rolle="udfoerer", status_paa_indsats=AFSLUT)
    assert edited.version == signed.version + 1
    assert edited.myndighed_underskrevet_af is None and edited.myndighed_underskrevet is None
    assert reviews.status(edited) == reviews.KLADDE
    # The signed version is kept as it was.
    kept = reviews.get(engine, r.review_id, version=signed.version)
    assert kept.myndighed_underskrevet_af == "sb1" and kept.status_paa_indsats == FORTSAET


def test_rows_are_append_only(engine, snapshot):
    r = _new(engine, snapshot)
    with pytest.raises(DBAPIError):
        with engine.begin() as conn:
            conn.execute(text("UPDATE sagsgennemgang SET myndighed_navn = 'x'"))
    with pytest.raises(DBAPIError):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM sagsgennemgang"))
    assert reviews.get(engine, r.review_id).myndighed_navn == ""
    assert _count(engine) == 1


def test_list_reviews(engine, snapshot):
    a = _new(engine, snapshot, username="sb1")
    b = _new(engine, snapshot, username="u1", rolle="udfoerer")
    reviews.edit(engine, a.review_id, username="sb2", rolle="sagsbehandler", myndighed_navn="Z")
    listed = reviews.list_reviews(engine, "X")
    assert {d["review_id"] for d in listed} == {a.review_id, b.review_id}
    by_id = {d["review_id"]: d for d in listed}
    assert (by_id[a.review_id]["oprettet_af"], by_id[a.review_id]["aendret_af"], by_id[a.review_id]["version"]) == (
        "sb1", "sb2", 2)
    assert by_id[b.review_id]["oprettet_af"] == "u1" and by_id[b.review_id]["status"] == reviews.KLADDE
    assert reviews.list_reviews(engine, "NOPE") == []
    with pytest.raises(ReviewError, match="ukendt"):
        reviews.get(engine, "nope")


def test_print_view_self_contained_and_unchanged(engine, snapshot, borger_x_dir):
    r = _new(engine, snapshot)
    reviews.edit(engine, r.review_id, username="sb1", rolle="sagsbehandler", myndighed_navn="Z",
                 udfoerer_navn="Bostøtten", borger_til_stede=True,
                 vurderinger={"M1": {"vurdering": "Opnået", "note": "<b>ok</b>"}}, status_paa_indsats=AFSLUT)
    reviews.sign(engine, r.review_id, MYNDIGHED, username="sb1", rolle="sagsbehandler")
    done = reviews.sign(engine, r.review_id, UDFOERER, username="u1", rolle="udfoerer")
    page = reviews.print_html(done)
    assert "size: A4" in page and page.count("<svg") == 1
    assert "Varetage økonomi" in page and "Opnået" in page and "02-06-2023" in page
    assert "2 Moderat nedsat funktionsevne → 0 Ingen nedsat funktionsevne" in page
    # measured status and the recorded vurdering (opfoelgninger) side by side in the print
    assert "<th>Status (målt)</th><th>Registreret vurdering</th>" in page
    assert "<td>Opnået (01-06-2023)</td>" in page
    assert snapshot["indsatsmaal"][0]["vurdering"] == "Opnået"
    assert "&lt;b&gt;ok&lt;/b&gt;" in page and "<b>ok</b>" not in page  # escaped
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in page
    assert "0101901234" not in page and "010190" not in page
    # The case data change afterwards; the stored review renders exactly as before.
    (borger_x_dir / "funktionsevne.csv").write_text(
        "borger_id,dato,omraade,tema,undertema,niveau\nX,2023-01-21,Aktivitet og deltagelse,Samfundsliv,"
        "Varetage økonomi,4\n", encoding="utf-8")
    assert review_snapshot(open_dataset(borger_x_dir), "X", PAA)["indsatsmaal"][0]["udgangsniveau"] == 4
    assert reviews.print_html(reviews.get(engine, r.review_id)) == page
