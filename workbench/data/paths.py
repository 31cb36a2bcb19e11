"""Where the workbench finds its own files and the default data directory (defined in data_model.paths,
which data_model needs without importing workbench; re-exported here for the workbench)."""

from data_model.paths import (CONFIG_DIR, GEO_DIR, ROOT, config_dir, demo_dir, home_dir,  # noqa: F401
                              is_object_url, object_url)
