"""Adgangslog's view: the access log's entries as the page shows them (Danish headers, labels and time).

The entries themselves come from workbench.lager.accesslog; this module only lays them out for a reader."""

from __future__ import annotations

import polars as pl

from workbench.format.dansk import DATO_TID
from workbench.format.output import map_values
from workbench.lager import accesslog
from workbench.regler import access

HANDLINGER = {
    accesslog.VIS_BORGER: "Vist borger", accesslog.SOEG: "Søgning", accesslog.EKSPORT: "Eksport",
    accesslog.VIS_CPR: "Vist fuldt CPR", accesslog.STIKPROEVE: "Stikprøve", accesslog.LOGIN: "Log ind",
    accesslog.LOGIN_FEJL: "Fejlet log ind", accesslog.LOGIN_SPAERRET: "Log ind spærret", accesslog.LOGOUT: "Log ud",
    accesslog.ADGANG_NAEGTET: "Adgang nægtet", accesslog.BRUGER_AENDRET: "Bruger ændret",
    accesslog.TILDEL_TILSYN: "Tildelt tilsyn", accesslog.PURGE: "Sletning efter opbevaringsperiode",
    accesslog.UDTRAEK: "Udtræk af adgangslog", accesslog.VIS_LISTE: "Vist liste over borgere",
    accesslog.LOGIN_BEGRAENSET: "Log ind begrænset (for mange forsøg fra klienten)",
}
# the actions offered in the page's filter, in this order
FILTER_HANDLINGER = (accesslog.VIS_BORGER, accesslog.SOEG, accesslog.EKSPORT, accesslog.VIS_CPR,
                     accesslog.STIKPROEVE, accesslog.LOGIN, accesslog.LOGIN_FEJL, accesslog.LOGIN_SPAERRET,
                     accesslog.LOGOUT, accesslog.ADGANG_NAEGTET, accesslog.BRUGER_AENDRET, accesslog.TILDEL_TILSYN,
                     accesslog.PURGE, accesslog.UDTRAEK)
KILDER = {"app": "App", "cli": "Kommandolinje"}
TZ = "Europe/Copenhagen"


def handling_tekst(handling: str) -> str:
    return HANDLINGER.get(handling, handling)


def vis(df: pl.DataFrame) -> pl.DataFrame:
    """Log entries for the screen: Danish headers and labels, Danish time dd-mm-åååå tt:mm:ss."""
    tid = pl.col("tidspunkt")
    if df.schema.get("tidspunkt") == pl.String:
        tid = tid.str.to_datetime("%Y-%m-%d %H:%M:%S", time_zone="UTC")
    return df.select(
        tid.dt.convert_time_zone(TZ).dt.strftime(DATO_TID + ":%S").alias("Tidspunkt (dansk tid)"),
        pl.col("bruger").alias("Bruger"),
        pl.lit(map_values(df["rolle"], access.role_title)).alias("Rolle"),
        pl.col("handling").replace_strict(HANDLINGER, default=pl.col("handling")).alias("Handling"),
        pl.col("borger_ids").str.replace_all(",", ", ").alias("Borger-id'er"),
        pl.col("detalje").alias("Detalje"),
        pl.col("kilde").replace_strict(KILDER, default=pl.col("kilde")).alias("Kilde"),
    )


def vis_borger_rapport(report: pl.DataFrame) -> pl.DataFrame:
    """The per-borger report (accesslog.borger_report) laid out like the log."""
    return vis(report.rename({"tidspunkt_utc": "tidspunkt", "borger_id": "borger_ids"}))
