"""Settings of the HTTP benchmark (bench/http.py): production's, plus the benchmark's own
views (bench.urls), which therefore never exist in a deployed portal."""

from ctsportal.settings.production import *  # noqa: F403
from ctsportal.settings.production import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [BASE_DIR / "templates", BASE_DIR / "bench" / "templates"]
