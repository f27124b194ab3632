"""Settings for `invoke preview` / `publish` / `gh-pages`: the development settings, plus
absolute URLs and strict execution (nothing runs; a stale or missing result fails the build).

The site's address comes from the environment: `SITEURL=https://you.github.io/blog invoke publish`.
Without it the publish tasks stop and say so (no links to a placeholder domain)."""

import os
import sys

sys.path.append(os.curdir)
from pelicanconf import *  # noqa: E402,F403

SITEURL = os.environ.get("SITEURL", "").rstrip("/")
RELATIVE_URLS = False
FEED_DOMAIN = SITEURL
DELETE_OUTPUT_DIRECTORY = True
EXECBLOCKS_MODE = "strict"
# Every article is read again from the committed sources and results: what is published
# never comes from the local page cache (plugins/execblocks/site/page_cache.py).
EXECBLOCKS_PAGE_CACHE = False
