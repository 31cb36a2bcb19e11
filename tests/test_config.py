"""config/: code lists become Enums; broken files are clear errors naming the file and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from workbench.data.config import CodeLists, ConfigError, load_config

CONFIG = Path(__file__).resolve().parents[1] / "config"


@pytest.fixture
def cfg(tmp_path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG, target)
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def one_line(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def test_shipped_config_builds_enums():
    c = load_config().codes
    assert isinstance(c, CodeLists)
    assert c.paragraffer[:6] == ("SEL §82", "SEL §82a", "SEL §82b", "SEL §83a", "SEL §84", "SEL §85")
    assert "ABL §105/SEL §85" in c.paragraffer and "STU" in c.paragraffer
    enum = c.enum("paragraffer")
    assert isinstance(enum, pl.Enum) and list(enum.categories) == list(c.paragraffer)
    assert pl.Series(["SEL §108"], dtype=enum).to_physical().item() == c.paragraffer.index("SEL §108")
    assert c.stoettebehov == ("Intet støttebehov", "Let støttebehov", "Moderat støttebehov", "Højt støttebehov",
                              "Fuldstændigt støttebehov", "Ikke vurderet")
    assert set(c.omraader) == {"Aktivitet og deltagelse", "Funktioner og forhold", "Omgivelsesfaktorer"}
    assert c.undertema_omraade("Varetage økonomi") == "Aktivitet og deltagelse"
    assert sorted(c.niveau_label) == [0, 1, 2, 3, 4]
    assert set(c.maaltyper) == {"Udvikle funktionsevne", "Fastholde funktionsevne", "Begrænse tab af funktionsevne"}
    for name in ("maalgrupper", "undertemaer", "stoettebehov", "maaltyper", "tilbudstyper", "driftsformer"):
        assert len(c.enum(name).categories) == len(getattr(c, name)) > 0


@pytest.mark.parametrize("spelling", ["§85", "85", "SEL 85", "sel §85", "Serviceloven §85"])
def test_paragraf_alias_table(spelling):
    assert load_config().codes.paragraf_canonical(spelling) == "SEL §85"
    assert load_config().codes.paragraf_canonical("§§ 105/85") == "ABL §105/SEL §85"
    assert load_config().codes.paragraf_canonical("SEL §999") is None


def test_load_config_from_directory_and_env(cfg, monkeypatch):
    edit(cfg / "app.yaml", "graense: 5", "graense: 7")
    assert load_config(cfg).settings.suppression_graense == 7
    monkeypatch.setenv("FFB_WORKBENCH_CONFIG", str(cfg))
    assert load_config().settings.suppression_graense == 7


def test_malformed_yaml_names_file_and_line(cfg):
    edit(cfg / "paragraffer.yaml", "  - paragraf: SEL §84", "  - paragraf: [SEL §84")
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    msg = one_line(exc)
    assert "paragraffer.yaml" in msg and "linje" in msg and "ugyldig YAML" in msg


def test_unknown_code_names_file_and_key(cfg):
    edit(cfg / "maalgruppe_kategorier.yaml", "grene: [Psykiske vanskeligheder]", "grene: [Psykiske vanskeligheder, Findes ikke]")
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    msg = one_line(exc)
    assert "maalgruppe_kategorier.yaml" in msg and "'Findes ikke'" in msg and "kategorier[1].grene" in msg


def test_unknown_kategori_names_file_and_key(cfg):
    edit(cfg / "paragraffer.yaml", "kategori: Støtte", "kategori: Noget andet")
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    msg = one_line(exc)
    assert "paragraffer.yaml" in msg and "Noget andet" in msg and ".kategori" in msg


def test_unknown_demo_skala(cfg):
    edit(cfg / "app.yaml", "skala: kommune", "skala: galakse")
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    assert "app.yaml" in one_line(exc) and "demo.skala" in str(exc.value)


def test_missing_key_names_file_and_key(cfg):
    edit(cfg / "app.yaml", "suppression:\n", "suppresion:\n")
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    assert "app.yaml" in one_line(exc) and "'suppression'" in str(exc.value)


def test_structurally_broken_item_is_a_config_error(cfg):
    """An item without 'label' deep in the tree: a ConfigError, not a KeyError (regression)."""
    edit(cfg / "ffb_code_lists.yaml", "label: Varetage økonomi", "lable: Varetage økonomi")
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    msg = one_line(exc)
    assert "ffb_code_lists.yaml" in msg and "'label'" in msg


def test_alias_pointing_two_ways_is_an_error(cfg):
    edit(cfg / "paragraffer.yaml", 'aliases: ["§§105/85"', 'aliases: ["§85", "§§105/85"')
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    assert "paragraffer.yaml" in one_line(exc) and "§85" in str(exc.value)


def test_missing_file(cfg):
    (cfg / "paragraffer.yaml").unlink()
    with pytest.raises(ConfigError, match="paragraffer.yaml"):
        load_config(cfg)
