"""Settings for `invoke publish`: the development settings, plus absolute URLs and
strict execution (nothing runs; a stale or missing result fails the build)."""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: E402,F403

SITEURL = os.environ.get("SITEURL", "https://example.org")
RELATIVE_URLS = False
FEED_DOMAIN = SITEURL
DELETE_OUTPUT_DIRECTORY = True
EXECBLOCKS_MODE = "strict"
