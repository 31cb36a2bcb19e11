"""Issue 23 item 8: the Rapporter archive lists only one's own reports or those within one's scope."""

from __future__ import annotations

import datetime as dt

from workbench.lager import rapportarkiv
from workbench.regler.access import ADMIN, Principal


def _gem(eng, bruger, kommune):
    return rapportarkiv.gem(eng, bruger=bruger, niveau="kommune", periode="2025", kommune=kommune,
                            paa=dt.date(2025, 12, 31), datasaet_version="v1", datasaet_sti="/d", fmt="pdf",
                            indhold=b"x")


def test_archive_scoped_to_owner_and_kommune(engine):
    a = _gem(engine, "leder_a", "0250")
    b = _gem(engine, "leder_b", "0101")
    c = _gem(engine, "analytiker", None)
    leder_a = Principal("leder_a", "leder_myndighed", kommuner=("0250",))
    other_0250 = Principal("leder_c", "leder_myndighed", kommuner=("0250",))
    ana = Principal("analytiker", "analytiker")
    assert set(rapportarkiv.liste(engine, principal=leder_a)["id"]) == {a.id}
    assert set(rapportarkiv.liste(engine, principal=other_0250)["id"]) == {a.id}
    assert set(rapportarkiv.liste(engine, principal=ana)["id"]) == {c.id}
    assert set(rapportarkiv.liste(engine, principal=ADMIN)["id"]) == {a.id, b.id, c.id}
    assert rapportarkiv.hent(engine, b.id, leder_a) is None
    assert rapportarkiv.hent(engine, a.id, leder_a).id == a.id
