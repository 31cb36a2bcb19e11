"""Kvalitet: potentielle overlappende ydelser (som FLIS' visning), øvrige opmærkninger, 8-talskontrol og databrud."""

import datetime as dt

import altair as alt
import polars as pl
import streamlit as st

from workbench.regler import access
from workbench.lager import accesslog
from workbench.data import geo
from workbench.format.output import dansk_tal, map_values
from workbench.regler.periods import dansk_dato
from workbench.format.export import to_csv_bytes, to_xlsx_bytes
from workbench.regler.kvalitet import ALVOR
from workbench.regler import suppression
from workbench.ui import auth, data
from workbench.ui.audit import log_action
from workbench.ui.data import dataset_version
from workbench.sider.kvalitet import ottetal_fund
from workbench.ui.kvalitet_cache import results
from workbench.ui.widgets import DANSK_MAANED_EXPR, DANSK_TAL_EXPR, dansk_kolonner, dansk_maaned, dansk_maaned_expr
from workbench.format.dansk import DATO, DATO_INPUT, borger_link, dato_tid
from workbench.ui.widgets import borger_link_kolonne

principal = auth.require_page("kvalitet")
show_people = access.can(principal, "borgerliste")
may_export = access.can(principal, "eksport")

st.title("Kvalitet")
st.caption("Find registreringsfejl, før data går til Danmarks Statistik og FLIS: overlappende ydelser, "
           "ugyldige ydelser, manglende opfølgning, 8-talskontrol mod betalinger og databrud.")

seneste = data.data_date()
paa = st.date_input("Referencedato", value=seneste, format=DATO_INPUT, key="kv_paa",
                    help="Ydelser uden slutdato løber til og med referencedatoen. Standard er datasættets "
                         f"udtræksdato ({dansk_dato(seneste)}).")
res = results(principal, paa)
rules = {r.id: r for r in res.rules}
cfg = res.cfg
version = dataset_version()
visning = suppression.for_principal(principal)  # exact for roles with the borger list

SEVERITY = {"fejl": "Fejl", "advarsel": "Advarsel", "info": "Info"}
SEVERITY_ICON = {"fejl": ":material/error:", "advarsel": ":material/warning:", "info": ":material/info:"}
TITLES = {k: r.titel for k, r in rules.items()}
QUALITY_TITLES = dict(zip(res.counts["regel"].to_list(), res.counts["titel"].to_list()))
TAL = ["borgere", "par", "dage", "kroner", "Borgere", "Par", "Dage", "Kroner"]
KOMMUNER = geo.kommune_navne()


def regel_titel(col: str = "regel") -> pl.Expr:
    """The rule's Danish title instead of its id (overlap rules and quality rules)."""
    return pl.col(col).replace_strict({**QUALITY_TITLES, **TITLES}, default=pl.col(col))


def maaned_tekst(col: str = "maaned") -> pl.Expr:
    """'2025-03' -> 'mar. 2025'."""
    return dansk_maaned_expr(col, kort=True).alias(col)


def maaned_chart(df: pl.DataFrame, value: str, series: str, y_title: str) -> alt.Chart:
    """Line chart over months ('YYYY-MM' in column maaned) on a time axis, Danish month and number labels."""
    plot = df.with_columns(
        pl.col("maaned").str.to_date("%Y-%m").alias("dato"),
        maaned_tekst().alias("Måned"),
    )
    return alt.Chart(plot).mark_line(point=plot["maaned"].n_unique() <= 36).encode(
        x=alt.X("dato:T", title="Måned", axis=alt.Axis(labelExpr=DANSK_MAANED_EXPR, labelAngle=0)),
        y=alt.Y(f"{value}:Q", title=y_title, axis=alt.Axis(labelExpr=DANSK_TAL_EXPR)),
        color=alt.Color(f"{series}:N", title=None, legend=alt.Legend(orient="bottom", columns=2, labelLimit=420)),
        tooltip=["Måned", alt.Tooltip(f"{series}:N", title="Serie"), alt.Tooltip(f"{value}:Q", title=y_title,
                                                                                  format=",.0f")],
    ).properties(height=320)


def kr(col: str) -> pl.Expr:
    return pl.col(col).round(0).cast(pl.Int64)


def suppressed_counts(df: pl.DataFrame, money: list[str] = (), total: dict | None = None) -> pl.DataFrame:
    """Borger and pair counts '<g' when small, days and kroner hidden ('x') with them, never '<g'; with a
    total row, no hidden row can be worked out from it (workbench.regler.suppression.suppress_rows)."""
    return suppression.suppress_rows(df, "borgere", [c for c in ("par",) if c in df.columns], list(money),
                                     total=total, visning=visning)


def pair_total(label_col: str, label: str = "I alt") -> dict:
    """The total row of the overlap tables: distinct borgere, pairs, days and kroner of all pairs."""
    return {label_col: label, "borgere": pairs["borger_id"].n_unique(), "par": pairs.height,
            "dage": int(pairs["overlap_dage"].sum()), "kroner": int(round(pairs["kroner"].sum()))}


def export_buttons(df: pl.DataFrame, name: str, sheet: str, meta: list[tuple[str, str]], key: str,
                   borger_col: str | None = "Borger-id") -> None:
    if not may_export:
        return
    full_meta = [("Referencedato", dansk_dato(paa)), *meta, ("Datasæt-version", version),
                 ("Udtrukket af", principal.username),
                 ("Udtrukket", dato_tid(dt.datetime.now()))]
    ids = sorted(set(df[borger_col].drop_nulls().to_list())) if borger_col and borger_col in df.columns else []
    c1, c2 = st.columns(2)
    # the files are built when clicked (a callable), not on every rerun of the page
    if c1.download_button("Hent Excel", lambda: to_xlsx_bytes({sheet: df}, full_meta), file_name=f"{name}.xlsx",
                          mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                          key=f"{key}_xlsx", icon=":material/download:"):
        log_action("eksport", ids, f"kvalitet {name}.xlsx ({df.height} rækker)")
    if c2.download_button("Hent CSV", lambda: to_csv_bytes(df, keep_numbers=False), file_name=f"{name}.csv", mime="text/csv",
                          key=f"{key}_csv", icon=":material/download:"):
        log_action("eksport", ids, f"kvalitet {name}.csv ({df.height} rækker)")


tab_overlap, tab_regler, tab_ottetal = st.tabs(
    ["Overlappende ydelser", "Øvrige opmærkninger", "8-talskontrol og databrud"])

# --- overlap -------------------------------------------------------------------------------------
with tab_overlap:
    pairs = res.pairs
    st.subheader("Potentielle overlappende ydelser")
    st.write("Samme borger har to ydelser, der ikke bør løbe samtidig (fx SEL §85 og ABL §105/SEL §85). "
             "Perioderne tæller begge dage med; et skifte med slut dag D og start dag D+1 er ikke et overlap. "
             "Kroner er overlapdage gange den billigste af de to ydelsers dagspris (månedlig udgift × 12 / 365).")
    if pairs.height == 0:
        st.success(f"Ingen overlappende ydelser pr. {dansk_dato(paa)}.")
    else:
        per_rule = res.per_rule.with_columns(regel_titel().alias("titel"), kr("kroner")).select(
            "regel", "titel", "borgere", "par", "dage", "kroner")
        per_rule_shown = suppressed_counts(per_rule, ["dage", "kroner"], total={**pair_total("regel"), "titel": "I alt"})
        m1, m2, m3 = st.columns(3)
        m1.metric("Borgere", dansk_kolonner(per_rule_shown.tail(1), ["borgere"])["borgere"][0])
        m2.metric("Overlapdage", dansk_kolonner(per_rule_shown.tail(1), ["dage"])["dage"][0])
        m3.metric("Kroner i spil", f"{dansk_kolonner(per_rule_shown.tail(1), ['kroner'])['kroner'][0]} kr.")

        st.markdown("**Pr. regel**")
        st.dataframe(
            dansk_kolonner(per_rule_shown, TAL).drop("regel").rename(  # the rule's title, not its id
                {"titel": "Regel", "borgere": "Borgere", "par": "Par", "dage": "Dage", "kroner": "Kroner"}),
            hide_index=True, width="stretch")
        for rid, r in rules.items():
            if rid in set(per_rule["regel"]):
                with st.expander(r.titel, icon=SEVERITY_ICON.get(r.alvor)):
                    st.markdown(f"**Hvad er galt:** {r.forklaring}\n\n**Hvad skal rettes:** {r.ret}")

        st.markdown("**Pr. paragrafpar og ydelse** (som FLIS' visning af potentielle overlappende ydelser)")
        flis = res.flis.with_columns(kr("kroner")).select(
            "regel", "paragraf_a", "ydelse_a", "paragraf_b", "ydelse_b", "borgere", "par", "dage", "kroner")
        st.dataframe(
            dansk_kolonner(suppressed_counts(flis, ["dage", "kroner"], total=pair_total("regel")), TAL)
            .with_columns(regel_titel()).rename(
                {"regel": "Regel", "paragraf_a": "Paragraf A", "ydelse_a": "Ydelse A", "paragraf_b": "Paragraf B",
                 "ydelse_b": "Ydelse B", "borgere": "Borgere", "par": "Par", "dage": "Dage", "kroner": "Kroner"}),
            hide_index=True, width="stretch")

        st.markdown("**Udvikling pr. måned** (overlap efter den måned, de begynder)")
        trend = res.trend
        first, last = (dt.date.fromisoformat(trend["maaned"].min() + "-01"),
                       dt.date.fromisoformat(trend["maaned"].max() + "-01"))
        alle = pl.DataFrame({"maaned": pl.date_range(first, last, "1mo", eager=True).dt.strftime("%Y-%m")})
        grid = alle.join(trend.select("regel").unique(), how="cross")  # months without overlap are 0
        chart = grid.join(trend.select("maaned", "regel", "kroner"), on=["maaned", "regel"], how="left").with_columns(
            pl.col("kroner").fill_null(0.0), regel_titel().alias("Regel"))
        st.altair_chart(maaned_chart(chart, "kroner", "Regel", "Kroner i spil"), width="stretch")
        st.dataframe(
            dansk_kolonner(suppressed_counts(
                trend.sort("maaned", descending=True).with_columns(kr("kroner"))
                .select("maaned", "regel", "borgere", "par", "dage", "kroner"), ["dage", "kroner"]), TAL)
            .with_columns(maaned_tekst(), regel_titel()).rename(
                {"maaned": "Måned", "regel": "Regel", "borgere": "Borgere", "par": "Par", "dage": "Dage",
                 "kroner": "Kroner"}),
            hide_index=True, width="stretch")

        c1, c2 = st.columns(2)
        with c1:
            st.markdown("**Pr. handlekommune**")
            kommune = suppressed_counts(res.kommune.with_columns(kr("kroner")), ["dage", "kroner"],
                                        total=pair_total("handlekommune", "_i_alt"))
            st.dataframe(dansk_kolonner(kommune, TAL).with_columns(map_values(
                kommune["handlekommune"], lambda k: "I alt" if k == "_i_alt" else f"{KOMMUNER.get(k, k)} ({k})")).rename(
                {"handlekommune": "Handlekommune", "borgere": "Borgere", "par": "Par", "dage": "Dage", "kroner": "Kroner"}),
                hide_index=True, width="stretch")
        with c2:
            st.markdown("**Pr. tilbud** (et par med to tilbud tæller hos begge)")
            tnavne = dict(data.scoped_dataset(principal).tilbud.select("tilbud_id", "navn").collect().iter_rows())
            pr_tilbud = dansk_kolonner(suppressed_counts(res.tilbud.with_columns(kr("kroner")), ["dage", "kroner"],
                                                         total=pair_total("tilbud_id", "_i_alt")), TAL)
            st.dataframe(pr_tilbud.with_columns(map_values(
                pr_tilbud["tilbud_id"], lambda t: "I alt" if t == "_i_alt" else f"{tnavne.get(t) or 'ukendt'} ({t})")
                                            .fill_null("(intet tilbud)")).rename(
                {"tilbud_id": "Tilbud", "borgere": "Borgere", "par": "Par", "dage": "Dage", "kroner": "Kroner"}),
                hide_index=True, width="stretch")
        st.caption(suppression.explanation(visning=visning))

        st.markdown("**Parrene**")
        if not show_people:
            st.info("Din rolle ser kun tal; listen over borgere kræver adgang til borgerlister.")
        else:
            f1, f2 = st.columns(2)
            regel_valg = f1.multiselect("Regel", sorted(pairs["regel"].unique().to_list()), key="kv_regel",
                                        select_all=False,
                                        format_func=lambda r: TITLES.get(r, r),
                                        placeholder="Alle")
            paragraffer = sorted(set(pairs["paragraf_a"].to_list()) | set(pairs["paragraf_b"].to_list()))
            paragraf_valg = f2.multiselect("Paragraf", paragraffer, key="kv_paragraf", placeholder="Alle",
                                           select_all=False)
            shown = pairs
            if regel_valg:
                shown = shown.filter(pl.col("regel").is_in(regel_valg))
            if paragraf_valg:
                shown = shown.filter(pl.col("paragraf_a").is_in(paragraf_valg) | pl.col("paragraf_b").is_in(paragraf_valg))
            forklaring = {k: f"{r.forklaring} Ret: {r.ret}" for k, r in rules.items()}
            table = shown.select(
                borger_link("borger_id").alias("Borger"),
                pl.col("borger_id").alias("Borger-id"),
                pl.col("regel").alias("Regel"),  # the rule id: this table is also the export (stable codes)
                pl.col("ydelse_id_a").alias("Ydelse-id A"), pl.col("paragraf_a").alias("Paragraf A"),
                pl.col("ydelse_a").alias("Ydelse A"),
                pl.col("ydelse_id_b").alias("Ydelse-id B"), pl.col("paragraf_b").alias("Paragraf B"),
                pl.col("ydelse_b").alias("Ydelse B"),
                pl.col("overlap_start").dt.strftime(DATO).alias("Overlap fra"),
                pl.col("overlap_slut").dt.strftime(DATO).alias("Overlap til"),
                pl.col("overlap_dage").alias("Overlapdage"),
                kr("kroner").alias("Kroner"),
                pl.col("regel").replace_strict(forklaring, default="").alias("Hvad er galt, og hvad skal rettes"),
            )
            log_action(accesslog.VIS_LISTE, table["Borger-id"].unique().sort().to_list(),
                       f"kvalitet overlappende ydelser ({table.height} par)")
            st.caption(f"{table.height} par. Klik på borgeren for at åbne borgerforløbet.")
            st.dataframe(
                table, hide_index=True, width="stretch",
                column_config={"Borger": borger_link_kolonne()},
            )
            export = table.drop("Borger").with_columns(
                pl.col("Overlap fra", "Overlap til").str.to_date(DATO))
            export_buttons(export, "overlappende_ydelser", "Overlap",
                           [("Regel", ", ".join(regel_valg) or "alle"), ("Paragraf", ", ".join(paragraf_valg) or "alle")],
                           key="kv_overlap")

# --- other rules ---------------------------------------------------------------------------------
with tab_regler:
    found = res.findings
    counts = res.counts
    st.subheader("Øvrige opmærkninger")
    st.write("Hver regel siger, hvad der er galt, og hvad der skal rettes i fagsystemet. "
             "FLIS opmærker og fjerner fx ugyldige ydelseskoder og borgere under 18 år.")
    for alvor in ALVOR:
        group = counts.filter(pl.col("alvor") == alvor)
        if group.height == 0:
            continue
        total = int(group["fund"].sum())
        st.markdown(f"#### {SEVERITY[alvor]} ({total} fund)")
        st.dataframe(
            dansk_kolonner(suppression.suppress_table(group.select("titel", "tekst", "fund", "borgere"),
                                                      ["borgere"], visning=visning),
                           ["fund", "borgere"]).rename(
                {"titel": "Regel", "tekst": "Beskrivelse", "fund": "Fund", "borgere": "Borgere"}),
            hide_index=True, width="stretch")
        if not show_people:
            continue
        shown_ids = (found.join(group.filter(pl.col("fund") > 0).select("regel"), on="regel")
                     .group_by("regel", maintain_order=True).head(5)["borger_id"].drop_nulls().unique().sort().to_list())
        if shown_ids:
            log_action(accesslog.VIS_LISTE, shown_ids, f"kvalitet opmærkninger, {SEVERITY[alvor].lower()}")
        for row in group.filter(pl.col("fund") > 0).iter_rows(named=True):
            examples = found.filter((pl.col("regel") == row["regel"]) & (pl.col("alvor") == alvor))
            with st.expander(f"{row['titel']}: {row['fund']} fund", icon=SEVERITY_ICON[alvor]):
                st.dataframe(examples.head(5).select(
                    pl.col("tabel").alias("Tabel"), pl.col("noegle").alias("Nøgle"), pl.col("besked").alias("Besked")),
                    hide_index=True, width="stretch")
                if examples.height > 5:
                    st.caption(f"Viser 5 af {examples.height}; hent alle nedenfor.")
    if show_people and found.height:
        export = found.with_columns(pl.col("alvor").replace_strict(SEVERITY, default=pl.col("alvor"))).select(
            pl.col("regel").alias("Regel"), pl.col("alvor").alias("Alvor"), pl.col("tabel").alias("Tabel"),
            pl.col("noegle").alias("Nøgle"), pl.col("borger_id").alias("Borger-id"), pl.col("besked").alias("Besked"))
        export_buttons(export, "opmaerkninger", "Opmærkninger", [("Regler", "alle")], key="kv_fund")
    elif found.height == 0:
        st.success(f"Ingen opmærkninger pr. {dansk_dato(paa)}.")

# --- 8-talskontrol and databrud -------------------------------------------------------------------
with tab_ottetal:
    st.subheader("8-talskontrol")
    st.write("Borgere pr. paragraf pr. måned i fagsystemet (ydelser) mod økonomisystemet (betalinger). "
             "Kun måneder og paragraffer, som betalingsudtrækket dækker, sammenlignes.")
    if not res.has_betalinger:
        st.info("Datasættet har ingen betalinger (tabellen betalinger er valgfri), så der er intet at sammenligne med.")
    else:
        otte = res.ottetal
        st.dataframe(
            suppression.suppress_table(otte.sort("maaned", "paragraf", descending=[True, False]),
                                       ["ydelser", "betalinger", "begge", "kun_ydelser", "kun_betalinger"],
                                       visning=visning)
            .with_columns(maaned_tekst()).rename(
                {"maaned": "Måned", "paragraf": "Paragraf", "ydelser": "Borgere i ydelser",
                 "betalinger": "Borgere i betalinger", "begge": "I begge", "kun_ydelser": "Kun i ydelser",
                 "kun_betalinger": "Kun i betalinger"}),
            hide_index=True, width="stretch")
        otte_fund = ottetal_fund(res.findings, cfg)
        if otte_fund.fund.height:
            st.markdown("**Kroner i spil pr. regel** (summen af fundenes kroner)")
            st.dataframe(otte_fund.pr_regel_tabel(visning), hide_index=True, width="stretch")
            st.caption(suppression.explanation(visning=visning))
        if otte_fund.fund.height and show_people:
            st.markdown(f"**Uoverensstemmelser** ({otte_fund.fund.height})")
            log_action(accesslog.VIS_LISTE, otte_fund.fund["borger_id"].drop_nulls().unique().sort().to_list(),
                       f"kvalitet 8-talskontrol ({otte_fund.fund.height} fund)")
            st.dataframe(otte_fund.fund_tabel().with_columns(dansk_maaned_expr("Måned", kort=True).alias("Måned")),
                         hide_index=True, width="stretch")
        elif otte_fund.fund.height == 0:
            st.success("Fagsystem og betalinger stemmer overens.")

    st.subheader("Databrud")
    st.write("Nye registreringer pr. måned mod tendensen (glidende median). Et voldsomt fald eller en stigning "
             "skyldes ofte et systemskifte, en masseindlæsning eller en manglende indlæsning.")
    series = res.databrud
    if series.height:
        long = series.select("maaned", pl.col("antal").cast(pl.Float64).alias("Nye registreringer"),
                             pl.col("forventet").alias("Tendens")).unpivot(index="maaned", variable_name="Serie",
                                                                            value_name="Antal")
        st.altair_chart(maaned_chart(long, "Antal", "Serie", "Nye registreringer"), width="stretch")
        brud = res.findings.filter(pl.col("regel") == "databrud")
        if brud.height:
            for row in brud.iter_rows(named=True):
                st.warning(f"**{dansk_maaned(row['noegle'])}**: {row['besked']}", icon=":material/warning:")
        else:
            st.success("Ingen databrud i månedsserien.")
    else:
        st.info("Ingen ydelser at tælle.")
