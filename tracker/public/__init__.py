"""What the public reads: pages, tables, filters, feeds, calendar, badges, charts, page cache."""
