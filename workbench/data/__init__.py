"""The analytic data: config and code lists, the dataset loader, manifest, importer, geodata."""
