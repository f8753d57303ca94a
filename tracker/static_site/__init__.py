"""Building the public view into static files."""
