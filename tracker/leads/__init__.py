"""Leads for editors: watch terms, matching feed entries against them, fetching feeds, and the
editor's review of a lead (turn it into a draft update, or dismiss it saying why)."""
