"""The canonical dataset of spec/DATA_CONTRACT.md as typed table specs.

Each column has a *kind* that decides how raw text is parsed and which Polars dtype it gets.
Code-list kinds ('code:<list>') become Polars Enums built from config/ (by the caller's CodeLists, e.g.
workbench.data.config's; data_model never imports workbench).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from typing import Protocol


class CodeLists(Protocol):
    """What the contract needs of the code lists (workbench.data.config.CodeLists satisfies it; data_model
    never imports workbench)."""

    def enum(self, name: str) -> pl.DataType: ...


@dataclass(frozen=True)
class Col:
    name: str
    kind: str  # str | date | int | float | bool | kommune | cpr | maaned | paragraf | code:<CodeLists attr>
    required: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Col, ...]
    optional: bool = False
    key: tuple[str, ...] = ()

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def col(self, name: str) -> Col | None:
        return next((c for c in self.columns if c.name == name), None)


def _t(name: str, cols: list[Col], optional: bool = False, key: tuple[str, ...] = ()) -> Table:
    return Table(name, tuple(cols), optional, key)


TABLES: dict[str, Table] = {t.name: t for t in [
    _t("borgere", [
        Col("borger_id", "str", True), Col("cpr", "cpr"), Col("foedselsdato", "date", True),
        Col("koen", "code:koen"), Col("handlekommune", "kommune", True), Col("betalingskommune", "kommune"),
        Col("sagsbehandler", "str"), Col("team", "str"),
    ], key=("borger_id",)),
    _t("maalgrupper", [
        Col("borger_id", "str", True), Col("maalgruppe", "code:maalgrupper", True), Col("primaer", "bool", True),
        Col("dato", "date", True), Col("sagsafgoerelse_id", "str"),
    ]),
    _t("funktionsevne", [
        Col("borger_id", "str", True), Col("dato", "date", True), Col("omraade", "code:omraader", True),
        Col("tema", "code:temaer", True), Col("undertema", "code:undertemaer", True), Col("niveau", "int"),
        Col("sagsafgoerelse_id", "str"),
    ]),
    _t("stoettebehov", [
        Col("borger_id", "str", True), Col("dato", "date", True), Col("stoettebehov", "code:stoettebehov", True),
        Col("tema", "code:temaer"), Col("sagsafgoerelse_id", "str"),
    ]),
    _t("indsatsmaal", [
        Col("maal_id", "str", True), Col("borger_id", "str", True), Col("undertema", "code:undertemaer", True),
        Col("maaltype", "code:maaltyper", True), Col("forventet_niveau", "int"), Col("startdato", "date", True),
        Col("opfoelgningsdato", "date"), Col("ansvarlig", "str"), Col("relaterede_undertemaer", "str"),
        Col("sagsafgoerelse_id", "str"),
    ], key=("maal_id",)),
    _t("opfoelgninger", [
        Col("maal_id", "str", True), Col("dato", "date", True), Col("vurdering", "code:vurderinger"),
        Col("status_paa_indsats", "code:status_paa_indsats"), Col("note", "str"),
    ], optional=True),
    _t("ydelser", [
        Col("ydelse_id", "str", True), Col("borger_id", "str", True), Col("paragraf", "paragraf", True),
        Col("ydelse", "str", True), Col("startdato", "date", True), Col("slutdato", "date"),
        Col("registreringsdato", "date"), Col("bevillingsdato", "date"), Col("tilbud_id", "str"),
        Col("sagsafgoerelse_id", "str"), Col("timer_pr_uge", "float"), Col("maanedlig_udgift", "float"),
        Col("ansoegningsdato", "date"),
    ], key=("ydelse_id",)),
    _t("tilbud", [
        Col("tilbud_id", "str", True), Col("navn", "str", True), Col("tilbudstype", "code:tilbudstyper", True),
        Col("cvr", "str"), Col("adresse", "str"), Col("postnr", "str"), Col("kommunekode", "kommune"),
        Col("driftsform", "code:driftsformer"), Col("pladser", "int"), Col("lat", "float"), Col("lon", "float"),
    ], key=("tilbud_id",)),
    _t("betalinger", [
        Col("borger_id", "str", True), Col("paragraf", "paragraf", True), Col("maaned", "maaned", True),
        Col("beloeb", "float", True),
    ], optional=True),
    _t("budget", [
        Col("aar", "int", True), Col("paragraf", "paragraf", True), Col("beloeb", "float", True),
        Col("konto", "str"), Col("kommunekode", "kommune"),
    ], optional=True),
    _t("klager", [
        Col("klage_id", "str", True), Col("borger_id", "str", True), Col("paragraf", "paragraf", True),
        Col("modtaget", "date", True), Col("afgjort", "date"), Col("resultat", "code:klage_resultater"),
        Col("instans", "code:klage_instanser"), Col("sagsafgoerelse_id", "str"),
    ], optional=True, key=("klage_id",)),
]}

# The tables a dataset must have (the optional ones may be absent).
REQUIRED_TABLES = [name for name, t in TABLES.items() if not t.optional]
KOEN = ("K", "M")


def dtype(col: Col, codes: CodeLists) -> pl.DataType:
    kind = col.kind
    if kind in ("str", "cpr", "kommune", "maaned"):
        return pl.String()
    if kind == "date":
        return pl.Date()
    if kind == "int":
        return pl.Int64()
    if kind == "float":
        return pl.Float64()
    if kind == "bool":
        return pl.Boolean()
    if kind == "paragraf":
        return codes.enum("paragraffer")
    if kind == "code:koen":
        return pl.Enum(list(KOEN))
    if kind.startswith("code:"):
        return codes.enum(kind.removeprefix("code:"))
    raise ValueError(kind)


def schema(table: str, codes: CodeLists) -> pl.Schema:
    """The typed Polars schema of a contract table (contract columns only, in contract order)."""
    return pl.Schema({c.name: dtype(c, codes) for c in TABLES[table].columns})
