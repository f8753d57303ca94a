"""The WSGI entry point (gunicorn `config.wsgi`).

Python's cyclic garbage collector is tuned for a web worker once the app is loaded:
- `gc.freeze()` moves everything made while loading (modules, models, URL patterns: about
  140,000 objects) out of the collector's reach, so that a full collection no longer walks them;
- the first generation is collected every 10,000 new container objects rather than every 700:
  a page makes tens of thousands of short-lived objects, and collecting every 700 of them cost
  the table and the dashboard about a quarter of their time (docs/benchmarks.md).
Garbage with reference cycles is still collected, only less often. `PYTHON_GC_THRESHOLD`
(for example `700,10,10`, Python's default) overrides the thresholds.
"""

import gc
import os

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()


def gc_thresholds(raw: str) -> tuple[int, ...]:
    """“10000,20,20” → (10000, 20, 20): one to three whole numbers, the first at least 1."""
    try:
        thresholds = tuple(int(part) for part in raw.split(","))
    except ValueError:
        thresholds = ()
    if not 1 <= len(thresholds) <= 3 or thresholds[0] < 1 or min(thresholds) < 0:
        raise ImproperlyConfigured(
            f"PYTHON_GC_THRESHOLD is “{raw}”: give one to three whole numbers separated by "
            "commas, the first at least 1, for example 10000,20,20."
        )
    return thresholds


gc.set_threshold(*gc_thresholds(os.environ.get("PYTHON_GC_THRESHOLD", "10000,20,20")))
gc.freeze()
