"""Where the workbench finds its own files and the default data directory."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG_DIR = ROOT / "config"
GEO_DIR = ROOT / "geo"


def config_dir() -> Path:
    return Path(os.environ.get("FFB_WORKBENCH_CONFIG", CONFIG_DIR))


def home_dir() -> Path:
    """Writable directory for the bundled demo data (git-ignored)."""
    return Path(os.environ.get("FFB_WORKBENCH_HOME", ROOT / "var"))


def demo_dir() -> Path:
    return home_dir() / "demo"
