"""The yardstick for `ffb-workbench kvalitet` (bench case proces-kvalitet, issue 24): the same
data-quality rules written as an analyst would, with only duckdb imported, over the dataset's Parquet.

    python kvalitet_duckdb.py TYPED_DIR PAA CONFIG_JSON OUT_CSV

TYPED_DIR is the dataset's _typet/ directory (the validated Parquet `kvalitet` itself reads through
manifest.json; rejected rows in TYPED_DIR/afvist/). CONFIG_JSON holds the code lists and settings the
rules need (written by the bench case from config/, including the Danish message templates). The
result is what the command prints: one row per finding with regel, tabel, noegle and besked (the
message with its values: dates dd-mm-åååå, kroner with a thousands point), written to OUT_CSV and
copied to stdout.

Deliberately self-contained: it must not import workbench, so it is an independent reading of the
rules in workbench/regler/kvalitet.py, reconcile.py, maalstatus.py and niveau.py.
"""

import json
import os
import re
import sys

import duckdb


def q(s):
    return "'" + str(s).replace("'", "''") + "'"


def main(typed, paa, cfg_path, out):
    cfg = json.load(open(cfg_path, encoding="utf-8"))
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    P = f"DATE {q(paa)}"
    year, month = int(paa[:4]), int(paa[5:7])
    paa_m = year * 12 + month - 1

    def path(name, rejected=False):
        f = os.path.join(typed, "afvist", name + ".parquet") if rejected else os.path.join(typed, name + ".parquet")
        return f if os.path.isfile(f) else None

    # The command's view as admin (access.scope, scope 'alle'): rows of a borger who is not in borgere
    # are left out of every table, and follow-ups of goals that are not in indsatsmaal.
    tables = {}
    for name in ("borgere", "maalgrupper", "funktionsevne", "stoettebehov", "indsatsmaal", "opfoelgninger",
                 "ydelser", "tilbud", "betalinger", "budget", "klager"):
        f = path(name)
        if not f:
            continue
        src = f"read_parquet({q(f)}, file_row_number = true)"
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()]
        where = ""
        if name != "borgere" and "borger_id" in cols and "borgere" in tables:
            where = "WHERE borger_id IN (SELECT borger_id FROM borgere)"
        elif name == "opfoelgninger" and "indsatsmaal" in tables:
            where = "WHERE maal_id IN (SELECT maal_id FROM indsatsmaal)"
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {src} {where}")
        tables[name] = cols
    rejected = {}
    for name in cfg["rejected_tables"]:
        f = path(name, rejected=True)
        if f:
            con.execute(f"CREATE VIEW afv_{name} AS SELECT * FROM read_parquet({q(f)})")
            rejected[name] = [r[0] for r in con.execute(f"DESCRIBE afv_{name}").fetchall()]

    # code lists as small tables
    def small(name, cols, rows):
        con.execute(f"CREATE TABLE {name} ({', '.join(c + ' VARCHAR' for c in cols)})")
        if rows:
            con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in cols)})", rows)

    small("allowed", ["paragraf", "ydelse_norm"], cfg["allowed"])
    small("home", ["ydelse_norm", "hoerer_til"], list(cfg["home"].items()))
    small("group_home", ["ydelse_norm", "gruppe_til"], list(cfg["group_home"].items()))
    small("uuid", ["k", "label"], list(cfg["uuid"].items()))
    small("needs_tilbud", ["paragraf"], [[p] for p in cfg["kraever_tilbud"]])

    active = set(cfg["active"])
    templates = cfg["templates"]  # rule -> {"besked": ..., "varianter": {name: besked}}
    parts = []

    def message(template):
        """The template with each {name} replaced by the row's column name, null shown as '(tom)'."""
        pieces = re.split(r"\{(\w+)\}", template)
        sql = [q(p) if n % 2 == 0 else f"COALESCE(CAST({p} AS VARCHAR), '(tom)')" for n, p in enumerate(pieces)
               if n % 2 or p]
        return " || ".join(sql) if sql else "''"

    def add(rule, tabel, sql, variant=False):
        """One rule's findings: sql yields noegle, borger_id, the fields its message names (formatted as
        text) and, for a rule with variants, var (a variant's message when the config has it)."""
        if rule not in active:
            return
        t = templates[rule]
        besked = message(t["besked"])
        if variant and t["varianter"]:
            whens = " ".join(f"WHEN var = {q(n)} THEN {message(b)}" for n, b in t["varianter"].items())
            besked = f"CASE {whens} ELSE {besked} END"
        parts.append(f"SELECT DISTINCT {q(rule)} AS regel, {tabel} AS tabel, CAST(noegle AS VARCHAR) AS noegle, "
                     f"CAST(borger_id AS VARCHAR) AS borger_id, {besked} AS besked FROM ({sql})")

    def D(c):
        return f"strftime({c}, '%d-%m-%Y')"

    def kr(c):
        """Whole kroner as Danish text with a thousands point (12.345; -1.200), rounded half to even."""
        return f"replace(format('{{:,}}', CAST(round_even(CAST({c} AS DOUBLE), 0) AS BIGINT)), ',', '.')"

    ws = "' \t\n\r\x0b\x0c'"
    y = "ydelser"
    if y in tables:
        # ugyldig_ydelse: the name (or its FFB UUID) is not an FFB ydelse of the paragraf
        con.execute(f"""CREATE TEMP TABLE yn AS SELECT ydelser.*, COALESCE(u.label, trim(ydelse, {ws})) AS ydelse_norm
                        FROM ydelser LEFT JOIN uuid u ON u.k = lower(trim(ydelse, {ws}))""")
        add("ugyldig_ydelse", "'ydelser'", """
            SELECT ydelse_id AS noegle, ydelse_id, borger_id, paragraf, ydelse,
                   CASE WHEN h.hoerer_til IS NOT NULL THEN 'anden_paragraf'
                        WHEN g.gruppe_til IS NOT NULL THEN 'ydelsesgruppe' END AS var,
                   COALESCE(h.hoerer_til, g.gruppe_til) AS hoerer_til
            FROM yn LEFT JOIN home h USING (ydelse_norm) LEFT JOIN group_home g USING (ydelse_norm)
            WHERE NOT EXISTS (SELECT 1 FROM allowed a WHERE a.paragraf = yn.paragraf AND a.ydelse_norm = yn.ydelse_norm)
        """, variant=True)
        # under_18: age on startdato (one borgere row per borger: the first in the file)
        if "borgere" in tables:
            add("under_18", "'ydelser'", f"""
                WITH b AS (SELECT borger_id, foedselsdato FROM borgere
                           QUALIFY row_number() OVER (PARTITION BY borger_id ORDER BY file_row_number) = 1),
                a AS (SELECT y.*, b.foedselsdato,
                        year(y.startdato) - year(b.foedselsdato)
                        - CASE WHEN month(y.startdato) < month(b.foedselsdato)
                                 OR (month(y.startdato) = month(b.foedselsdato) AND day(y.startdato) < day(b.foedselsdato))
                               THEN 1 ELSE 0 END AS alder
                      FROM ydelser y JOIN b USING (borger_id))
                SELECT ydelse_id AS noegle, ydelse_id, borger_id, paragraf, alder, {D('startdato')} AS startdato,
                       {D('foedselsdato')} AS foedselsdato
                FROM a WHERE alder < {int(cfg['voksen_alder'])}""")
        add("slut_foer_start", "'ydelser'", f"""
            SELECT ydelse_id AS noegle, ydelse_id, borger_id, paragraf, {D('startdato')} AS startdato,
                   {D('slutdato')} AS slutdato
            FROM ydelser WHERE slutdato < startdato""")
        add("mangler_tilbud", "'ydelser'", f"""
            SELECT ydelse_id AS noegle, ydelse_id, borger_id, paragraf, ydelse FROM ydelser
            WHERE paragraf IN (SELECT paragraf FROM needs_tilbud)
              AND (tilbud_id IS NULL OR trim(tilbud_id, {ws}) = '')""")
        known = "SELECT tilbud_id FROM tilbud" if "tilbud" in tables else "SELECT NULL::VARCHAR AS tilbud_id WHERE false"
        add("ukendt_tilbud", "'ydelser'", f"""
            SELECT ydelse_id AS noegle, ydelse_id, borger_id, paragraf, tilbud_id FROM ydelser y
            WHERE tilbud_id IS NOT NULL AND trim(tilbud_id, {ws}) <> ''
              AND NOT EXISTS (SELECT 1 FROM ({known}) k WHERE k.tilbud_id = y.tilbud_id)""")
        n_days = int(cfg["sen_registrering_dage"])
        add("sen_registrering", "'ydelser'", f"""
            SELECT ydelse_id AS noegle, ydelse_id, borger_id, paragraf, dage, {n_days} AS graense,
                   {D('startdato')} AS startdato, {D('registreringsdato')} AS registreringsdato
            FROM (SELECT *, date_diff('day', startdato, registreringsdato) AS dage FROM ydelser)
            WHERE dage > {n_days}""")

        # ansoegning_efter_bevilling: an application dated after the grant (both optional dates present)
        if "ansoegningsdato" in tables[y] and "bevillingsdato" in tables[y]:
            add("ansoegning_efter_bevilling", "'ydelser'", f"""
                SELECT ydelse_id AS noegle, ydelse_id, borger_id, paragraf, {D('ansoegningsdato')} AS ansoegningsdato,
                       {D('bevillingsdato')} AS bevillingsdato
                FROM ydelser WHERE ansoegningsdato > bevillingsdato""")

    # --- goals (maalstatus.goal_status) -------------------------------------------------------------
    if "indsatsmaal" in tables and "funktionsevne" in tables:
        if "opfoelgninger" in tables:
            # the latest follow-up's values even when empty (arg_max would skip a null vurdering)
            rec = f"""SELECT maal_id, arg_max_null(vurdering, dato) AS vurdering, max(dato) AS vurderingsdato,
                             arg_max_null(status_paa_indsats, dato) AS status_paa_indsats
                      FROM opfoelgninger WHERE dato <= {P} GROUP BY maal_id"""
        else:
            rec = """SELECT NULL::VARCHAR AS maal_id, NULL::VARCHAR AS vurdering, NULL::DATE AS vurderingsdato,
                            NULL::VARCHAR AS status_paa_indsats WHERE false"""
        con.execute(f"""
        CREATE TEMP TABLE goals AS
        WITH g AS (SELECT row_number() OVER () AS _g, * FROM indsatsmaal WHERE startdato <= {P}),
        a AS (SELECT borger_id, undertema, dato, max(niveau) AS niveau FROM funktionsevne
              WHERE niveau IS NOT NULL GROUP BY ALL),
        base AS (SELECT g._g, arg_max(a.niveau, a.dato) AS udgangsniveau
                 FROM g JOIN a ON a.borger_id = g.borger_id AND a.undertema = g.undertema AND a.dato <= g.startdato
                 GROUP BY g._g),
        j AS (SELECT g._g, a.dato, a.niveau, g.opfoelgningsdato FROM g
              JOIN a ON a.borger_id = g.borger_id AND a.undertema = g.undertema
              WHERE a.dato <= {P} AND a.dato > g.startdato),
        win AS (SELECT _g, arg_max(niveau, dato) AS n, max(dato) AS d FROM j
                WHERE dato <= least(COALESCE(opfoelgningsdato, {P}), {P}) GROUP BY _g),
        late AS (SELECT _g, arg_min(niveau, dato) AS n, min(dato) AS d FROM j
                 WHERE opfoelgningsdato IS NOT NULL AND dato > opfoelgningsdato GROUP BY _g),
        rec AS ({rec}),
        m AS (SELECT g.*, base.udgangsniveau,
                     CASE WHEN win.d IS NOT NULL THEN win.n ELSE late.n END AS maalt_niveau,
                     COALESCE(win.d, late.d) AS maalt_dato
              FROM g LEFT JOIN base USING (_g) LEFT JOIN win USING (_g) LEFT JOIN late USING (_g)),
        s AS (SELECT *,
                COALESCE((maaltype = 'Udvikle funktionsevne' AND forventet_niveau >= udgangsniveau)
                         OR (maaltype = 'Begrænse tab af funktionsevne' AND forventet_niveau = 4), false) AS asks_nothing,
                (opfoelgningsdato IS NOT NULL AND opfoelgningsdato < {P}) AS passed,
                maalt_dato IS NOT NULL AS counted,
                CASE WHEN maaltype IN ('Udvikle funktionsevne', 'Begrænse tab af funktionsevne')
                       THEN maalt_niveau <= forventet_niveau
                     WHEN maaltype = 'Fastholde funktionsevne' THEN maalt_niveau <= udgangsniveau END AS met
              FROM m)
        SELECT s.*, rec.vurdering, rec.vurderingsdato, rec.status_paa_indsats,
               NOT counted AND passed AS forfalden,
               CASE WHEN asks_nothing THEN 'Opnået ved start'
                    WHEN NOT counted AND passed THEN 'Opfølgning overskredet'
                    WHEN NOT counted THEN 'Afventer opfølgning'
                    WHEN COALESCE(met, false) THEN 'Opnået'
                    WHEN passed THEN 'Ikke opnået'
                    ELSE 'Afventer opfølgning' END AS status
        FROM s LEFT JOIN rec USING (maal_id)
        """)
        act = (f"""SELECT DISTINCT borger_id FROM ydelser WHERE startdato <= {P}
                   AND (slutdato IS NULL OR slutdato >= {P}) AND (slutdato IS NULL OR slutdato >= startdato)"""
               if y in tables else "SELECT NULL::VARCHAR AS borger_id WHERE false")
        add("opfoelgning_overskredet", "'indsatsmaal'", f"""
            SELECT maal_id AS noegle, maal_id, borger_id, undertema, {D('opfoelgningsdato')} AS opfoelgningsdato,
                   {D('startdato')} AS startdato FROM goals
            WHERE forfalden AND NOT starts_with(COALESCE(status_paa_indsats, ''), {q(cfg['afslutning'])})
              AND borger_id IN ({act})""")
        add("vurdering_afviger_maaling", "'opfoelgninger'", f"""
            SELECT maal_id AS noegle, maal_id, borger_id, undertema, vurdering, {D('vurderingsdato')} AS vurderingsdato,
                   status, maalt_niveau, {D('maalt_dato')} AS maalt_dato, forventet_niveau,
                   {D('opfoelgningsdato')} AS opfoelgningsdato FROM goals
            WHERE (vurdering = 'Opnået' AND status = 'Ikke opnået') OR (vurdering = 'Ikke opnået' AND status = 'Opnået')""")
        add("maal_uden_forventet_aendring", "'indsatsmaal'", f"""
            SELECT maal_id AS noegle, maal_id, borger_id, undertema, maaltype, udgangsniveau, forventet_niveau,
                   {D('startdato')} AS startdato FROM goals WHERE status = 'Opnået ved start'""")
    if "indsatsmaal" in tables:
        add("opfoelgning_mangler", "'indsatsmaal'", """
            SELECT maal_id AS noegle, maal_id, borger_id, undertema FROM indsatsmaal WHERE opfoelgningsdato IS NULL""")

    # --- niveau_uden_for_skala ------------------------------------------------------------------------
    ad = q(cfg["ad"])
    niv = []
    if "funktionsevne" in tables:
        niv.append(f"""SELECT 'funktionsevne', borger_id || '|' || strftime(dato, '%Y-%m-%d') || '|' || undertema,
                       borger_id, undertema, CAST(niveau AS VARCHAR), omraade,
                       CASE WHEN niveau BETWEEN 0 AND 4
                            THEN 'Der står et funktionsevneniveau på et undertema under ' || omraade
                            ELSE 'Funktionsevneniveauet ligger uden for skalaen 0-4' END
                       FROM funktionsevne WHERE niveau IS NOT NULL AND (niveau NOT BETWEEN 0 AND 4 OR omraade <> {ad})""")
    if "indsatsmaal" in tables:
        niv.append(f"""SELECT 'indsatsmaal', maal_id, borger_id, undertema, CAST(forventet_niveau AS VARCHAR), {ad},
                       'Indsatsmålets forventede niveau ligger uden for skalaen 0-4'
                       FROM indsatsmaal WHERE forventet_niveau IS NOT NULL AND forventet_niveau NOT BETWEEN 0 AND 4""")

    def col(cols, c):
        return c if c in cols else "NULL::VARCHAR"

    if "funktionsevne" in rejected and {"niveau", "fejl"} <= set(rejected["funktionsevne"]):
        c = rejected["funktionsevne"]
        niv.append(f"""SELECT 'funktionsevne', concat_ws('|', {col(c, 'borger_id')}, {col(c, 'dato')}, {col(c, 'undertema')}),
                       {col(c, 'borger_id')}, {col(c, 'undertema')}, niveau, {col(c, 'omraade')},
                       'Række ' || raekke || ' i funktionsevne er afvist ved indlæsning: niveauet ligger uden for skalaen 0-4'
                       FROM afv_funktionsevne WHERE regexp_matches(fejl, '(^|; )niveau: ugyldig')""")
    if "indsatsmaal" in rejected and {"forventet_niveau", "fejl"} <= set(rejected["indsatsmaal"]):
        c = rejected["indsatsmaal"]
        niv.append(f"""SELECT 'indsatsmaal', {col(c, 'maal_id')}, {col(c, 'borger_id')}, {col(c, 'undertema')},
                       forventet_niveau, {ad},
                       'Række ' || raekke || ' i indsatsmål er afvist ved indlæsning: forventet niveau ligger uden for skalaen 0-4'
                       FROM afv_indsatsmaal WHERE regexp_matches(fejl, '(^|; )forventet_niveau: ugyldig')""")
    if niv:
        add("niveau_uden_for_skala", "tabel", f"""SELECT * FROM ({' UNION ALL '.join(niv)})
                                                  t(tabel, noegle, borger_id, undertema, niveau, omraade, detalje)""")

    # --- afvist_raekke: rows the loader rejected (read from the quarantine files) -------------------------
    afv = []
    for name, cols in rejected.items():
        if "fejl" not in cols or "raekke" not in cols:
            continue
        key = next((k for k in cfg["keys"].get(name, []) if k in cols), None)
        noegle = f"COALESCE(CAST({key} AS VARCHAR), 'række ' || raekke)" if key else "'række ' || raekke"
        where = ""
        if name in ("funktionsevne", "indsatsmaal"):
            where = f"WHERE NOT regexp_matches(fejl, {q(cfg['niveau_only'])})"
        afv.append(f"""SELECT {q(name)} AS tabel, {noegle} AS noegle, {col(cols, 'borger_id')} AS borger_id,
                       CAST(raekke AS VARCHAR) AS raekke, fejl FROM afv_{name} {where}""")
    if afv:
        add("afvist_raekke", "tabel", " UNION ALL ".join(afv))

    # --- primaer_maalgruppe ----------------------------------------------------------------------------
    if "maalgrupper" in tables:
        borgere = "SELECT DISTINCT borger_id FROM borgere" if "borgere" in tables else \
            "SELECT NULL::VARCHAR AS borger_id WHERE false"
        add("primaer_maalgruppe", "'maalgrupper'", f"""
            WITH mg AS (SELECT borger_id, COALESCE(primaer, false) AS primaer, dato FROM maalgrupper),
            known AS (SELECT * FROM mg WHERE dato <= {P}),
            prim AS (SELECT * FROM known WHERE primaer),
            latest AS (SELECT borger_id, max(dato) AS dato FROM prim GROUP BY borger_id)
            SELECT borger_id AS noegle, borger_id, CAST(count(*) AS VARCHAR) AS antal,
                   'på den seneste registrering af primær målgruppe ' || {D('dato')} AS dato
              FROM prim JOIN latest USING (borger_id, dato) GROUP BY borger_id, dato HAVING count(*) <> 1
            UNION ALL
            SELECT borger_id, borger_id, '0', '(kun andre målgrupper er registreret)'
              FROM (SELECT DISTINCT borger_id FROM known) k
              WHERE NOT EXISTS (SELECT 1 FROM prim p WHERE p.borger_id = k.borger_id)
            UNION ALL
            SELECT borger_id, borger_id, '0', '(der er ingen målgruppe registreret)' FROM ({borgere}) b
              WHERE NOT EXISTS (SELECT 1 FROM mg WHERE mg.borger_id = b.borger_id)""")

    # --- dublet ----------------------------------------------------------------------------------------
    dub = []
    for name, key in cfg["natural_keys"].items():
        if name not in tables:
            continue
        key = [k for k in key if k in tables[name]]
        if not key:
            continue
        types = dict(con.execute(f"SELECT column_name, column_type FROM (DESCRIBE {name})").fetchall())
        text = [f"COALESCE(strftime({k}, '%Y-%m-%d'), '')" if types[k] == "DATE" else f"COALESCE(CAST({k} AS VARCHAR), '')"
                for k in key]
        bid = "borger_id" if "borger_id" in key else "NULL::VARCHAR"
        dub.append(f"""SELECT {q(name)} AS tabel, {" || '|' || ".join(text)} AS noegle, {bid} AS borger_id,
                       CAST(count(*) AS VARCHAR) AS antal FROM {name} GROUP BY {', '.join(key)} HAVING count(*) > 1""")
    if dub:
        add("dublet", "tabel", " UNION ALL ".join(dub))

    # --- urimeligt_beloeb ------------------------------------------------------------------------------
    uri = []
    for name, c, key, limit, var in (("ydelser", "maanedlig_udgift", ["ydelse_id"], cfg["graense_kr"], None),
                                     ("betalinger", "beloeb", ["borger_id", "paragraf", "maaned"], cfg["graense_kr"], None),
                                     ("ydelser", "timer_pr_uge", ["ydelse_id"], cfg["graense_timer"], "timer")):
        if name not in tables or c not in tables[name] or not all(k in tables[name] for k in key):
            continue
        v = f"CAST({c} AS DOUBLE)"
        graense = f"{limit:,.0f}".replace(",", ".")
        noegle = " || '|' || ".join(f"COALESCE(CAST({k} AS VARCHAR), '')" for k in key)
        uri.append(f"""SELECT {q(name)} AS tabel, {noegle} AS noegle,
                       borger_id, {q(var) if var else 'NULL::VARCHAR'} AS var, {q(c)} AS felt,
                       CASE WHEN isnan({v}) THEN 'NaN' ELSE CAST({v} AS VARCHAR) END AS beloeb, {q(graense)} AS graense
                       FROM {name}
                       WHERE {v} IS NOT NULL AND (isnan({v}) OR isinf({v}) OR {v} < 0 OR {v} > {float(limit)!r})""")
    if uri:
        add("urimeligt_beloeb", "tabel", " UNION ALL ".join(uri), variant=True)

    # --- 8-talskontrol (reconcile.mismatches) ----------------------------------------------------------
    if "betalinger" in tables and y in tables:
        andel, tol_kr = cfg["ottetal_tolerance"]
        con.execute(f"""
        CREATE TEMP TABLE cmp AS
        WITH pay AS (
          SELECT borger_id, paragraf, m, sum(beloeb) AS betalt FROM (
            SELECT borger_id, paragraf, CAST(beloeb AS DOUBLE) AS beloeb,
                   TRY_CAST(substr(maaned, 1, 4) AS INTEGER) * 12 + TRY_CAST(substr(maaned, 6, 2) AS INTEGER) - 1 AS m
            FROM betalinger) WHERE m IS NOT NULL GROUP BY ALL HAVING sum(beloeb) <> 0),
        bounds AS (SELECT min(m) AS fra, least(max(m), {paa_m}) AS til FROM pay),
        yd AS (SELECT * FROM ydelser WHERE paragraf IN (SELECT DISTINCT paragraf FROM pay)),
        per AS (SELECT borger_id, paragraf, maanedlig_udgift, startdato AS s,
                       least(COALESCE(slutdato, {P}), {P}) AS e
                FROM yd WHERE startdato IS NOT NULL AND COALESCE(slutdato, {P}) >= startdato),
        mon AS (SELECT per.*, CAST(g.m AS DATE) AS ms FROM per,
                  unnest(generate_series(date_trunc('month', s), date_trunc('month', e), INTERVAL 1 MONTH)) AS g(m)
                WHERE s <= e),
        udg AS (SELECT borger_id, paragraf, year(ms) * 12 + month(ms) - 1 AS m,
                       COALESCE(maanedlig_udgift, 0.0)
                       * (date_diff('day', greatest(s, ms), least(e, last_day(ms))) + 1) / day(last_day(ms)) AS udgift
                FROM mon),
        months AS (SELECT borger_id, paragraf, u.m, sum(udgift) AS forventet, true AS iy FROM udg u, bounds
                   WHERE u.m BETWEEN bounds.fra AND bounds.til GROUP BY ALL),
        pay_in AS (SELECT pay.*, true AS ib FROM pay, bounds WHERE pay.m <= bounds.til)
        SELECT borger_id, paragraf, m, COALESCE(iy, false) AS i_y, COALESCE(ib, false) AS i_b,
               COALESCE(forventet, 0.0) AS forventet, COALESCE(betalt, 0.0) AS betalt
        FROM months FULL JOIN pay_in USING (borger_id, paragraf, m)
        """)
        con.execute(f"""
        CREATE TEMP TABLE mis AS
        WITH only_y AS (SELECT * FROM cmp WHERE i_y AND NOT i_b),
        only_b AS (SELECT * FROM cmp WHERE i_b AND NOT i_y),
        yk AS (SELECT *, row_number() OVER (PARTITION BY borger_id, m ORDER BY paragraf) AS k FROM only_y),
        bk AS (SELECT *, row_number() OVER (PARTITION BY borger_id, m ORDER BY paragraf) AS k FROM only_b),
        pairs AS (SELECT yk.borger_id, yk.paragraf, yk.m, yk.forventet, bk.paragraf AS betalt_paragraf, bk.betalt AS b
                  FROM yk JOIN bk ON yk.borger_id = bk.borger_id AND yk.m = bk.m AND yk.k = bk.k),
        har AS (SELECT DISTINCT borger_id, paragraf FROM ydelser),
        r AS (
          SELECT 'forkert_paragraf' AS regel, borger_id, paragraf, m, abs(b) AS kroner, betalt_paragraf,
                 forventet, b AS betalt FROM pairs
          UNION ALL
          SELECT 'ydelse_uden_betaling', borger_id, paragraf, m, forventet, NULL, forventet, betalt FROM only_y o
            WHERE NOT EXISTS (SELECT 1 FROM pairs p WHERE p.borger_id = o.borger_id AND p.paragraf = o.paragraf AND p.m = o.m)
          UNION ALL
          SELECT CASE WHEN EXISTS (SELECT 1 FROM har h WHERE h.borger_id = o.borger_id AND h.paragraf = o.paragraf)
                      THEN 'betaling_uden_for_periode' ELSE 'betaling_uden_ydelse' END,
                 borger_id, paragraf, m, abs(betalt), NULL, forventet, betalt FROM only_b o
            WHERE NOT EXISTS (SELECT 1 FROM pairs p WHERE p.borger_id = o.borger_id AND p.betalt_paragraf = o.paragraf
                              AND p.m = o.m)
          UNION ALL
          SELECT 'beloeb_afviger', borger_id, paragraf, m, abs(betalt - forventet), NULL, forventet, betalt FROM cmp
            WHERE i_y AND i_b AND abs(betalt - forventet) > {float(andel)!r} * abs(forventet)
              AND abs(betalt - forventet) > {float(tol_kr)!r})
        SELECT *, CAST(m // 12 AS VARCHAR) || '-' || lpad(CAST(m % 12 + 1 AS VARCHAR), 2, '0') AS maaned FROM r
        """)
        for rule, tabel in cfg["ottetal_tabel"].items():
            add(rule, q(tabel), f"""
                SELECT borger_id || '|' || paragraf || '|' || maaned AS noegle, borger_id, paragraf, maaned,
                       {kr('kroner')} AS kroner, {kr('forventet')} AS forventet, {kr('betalt')} AS betalt,
                       betalt_paragraf FROM mis WHERE regel = {q(rule)}""")

    # --- databrud (reconcile.databrud_findings) ---------------------------------------------------------
    if y in tables:
        db = cfg["databrud"]
        w = int(db["vindue"])
        before, after = w // 2, w - 1 - w // 2
        last_day = con.execute(f"SELECT last_day({P}) = {P}").fetchall()[0][0]
        partial = "" if last_day else f"AND mo < DATE '{year:04d}-{month:02d}-01'"
        add("databrud", "'ydelser'", f"""
            WITH c AS (SELECT date_trunc('month', d) AS mo, count(*) AS antal FROM (
                         SELECT COALESCE(registreringsdato, startdato) AS d FROM ydelser)
                       WHERE d IS NOT NULL AND d <= {P} GROUP BY 1),
            c2 AS (SELECT * FROM c WHERE true {partial}),
            s AS (SELECT CAST(g.mo AS DATE) AS mo, COALESCE(c2.antal, 0) AS antal
                  FROM (SELECT unnest(generate_series(min(mo), max(mo), INTERVAL 1 MONTH)) AS mo FROM c2) g
                  LEFT JOIN c2 ON c2.mo = g.mo),
            r AS (SELECT mo, antal, CAST(antal AS DOUBLE) AS x,
                    CASE WHEN count(*) OVER win >= {w // 2 + 1} THEN median(CAST(antal AS DOUBLE)) OVER win END AS forventet
                  FROM s WINDOW win AS (ORDER BY mo ROWS BETWEEN {before} PRECEDING AND {after} FOLLOWING)),
            a AS (SELECT *, x - forventet AS afv FROM r),
            z AS (SELECT *, afv / greatest(COALESCE((SELECT median(abs(afv)) FROM a) * 1.4826, 1.0),
                                           COALESCE(sqrt(forventet), 1.0), 1.0) AS z,
                         (SELECT count(*) FROM a) AS n FROM a),
            f AS (SELECT mo, antal, CAST(round_even(forventet, 0) AS BIGINT) AS fv FROM z
                  WHERE COALESCE(n >= {int(db['min_maaneder'])} AND forventet IS NOT NULL
                                 AND abs(z) > {float(db['graense_z'])!r}
                                 AND abs(afv) >= {float(db['min_afvigelse'])!r} * forventet, false)),
            runs AS (SELECT *, year(mo) * 12 + month(mo) - row_number() OVER (ORDER BY mo) AS run FROM f),
            firsts AS (SELECT run, min(mo) AS first FROM runs GROUP BY run),
            ev AS (SELECT min(mo) AS mo, arg_min(antal, mo) AS antal, arg_min(fv, mo) AS fv,
                          string_agg(CASE WHEN mo > first
                                          THEN strftime(mo, '%Y-%m') || ' (' || antal || ' mod normalt ' || fv || ')' END,
                                     ', ' ORDER BY mo) AS rest
                   FROM runs JOIN firsts USING (run) GROUP BY run)
            SELECT strftime(mo, '%Y-%m') AS noegle, NULL AS borger_id, strftime(mo, '%Y-%m') AS maaned,
                   CAST(antal AS VARCHAR) AS antal, CAST(fv AS VARCHAR) AS forventet,
                   CASE WHEN rest IS NOT NULL
                        THEN ' Også de følgende måneder afviger: ' || rest
                             || ', typisk fordi registreringerne er indhentet.' ELSE '' END AS efterfoelgende
            FROM ev""")

    sql = " UNION ALL ".join(parts) if parts else \
        "SELECT NULL::VARCHAR AS regel, NULL::VARCHAR AS tabel, NULL::VARCHAR AS noegle, NULL::VARCHAR AS besked WHERE false"
    con.sql(f"SELECT regel, tabel, noegle, besked FROM ({sql}) ORDER BY regel, tabel, noegle, besked").write_csv(out)
    with open(out, "rb") as fh:
        sys.stdout.buffer.write(fh.read())


if __name__ == "__main__":
    main(*sys.argv[1:5])
