"""The read-only JSON API: reports, recommendations, owners, deadlines and published updates.

Every response says the day its data is "as of"; every object carries the URL of its public page.
Unknown or malformed query parameters are refused with a 400 and a message.
"""
