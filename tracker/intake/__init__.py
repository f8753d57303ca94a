"""Getting data in and out: the YAML loader, the CSV importer, bulk import/export, demo data."""
