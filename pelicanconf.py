"""Site settings for `invoke build` (development). `publishconf.py` extends them."""

AUTHOR = "The Executable Blog"
SITENAME = "Executable ML Notes"
SITESUBTITLE = "Articles whose experiments run when the site is built"
SITEURL = ""

PATH = "content"
PAGE_PATHS = ["pages"]
ARTICLE_EXCLUDES = ["pages"]
STATIC_PATHS = ["images", "extra"]
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%-d %B %Y"

# Pelican's content cache is keyed on the .md file alone; the HTML of an article
# also depends on its stored results, so the cache stays off. The engine keeps its own,
# keyed on everything a page is made of (EXECBLOCKS_PAGE_CACHE, on by default, under
# CACHE_PATH): a build reads again only the articles whose inputs changed.
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False

THEME = "theme"
DEFAULT_PAGINATION = 10
RELATIVE_URLS = True

# The execution engine is a plugin of this repository (Pelican's PLUGIN_PATHS convention).
PLUGIN_PATHS = ["plugins"]
# reading (plugins/reading): sidenotes, table of contents, math rendered at build time, sitemap.
PLUGINS = ["execblocks", "reading"]

# --- execblocks: executable blocks ---------------------------------------------
# Where results live (committed, like Quarto's _freeze/), and where experiment
# code that articles import lives.
EXECBLOCKS_RESULTS_DIR = "results"
EXECBLOCKS_CODE_DIRS = ["code"]
# auto: run what is stale; force: run everything; strict: run nothing and fail
# on any stale or missing result (publishing); off: run nothing, render what is stored.
EXECBLOCKS_MODE = "auto"
# Seconds one block may run before it is interrupted (a block's `#| timeout:` wins).
EXECBLOCKS_TIMEOUT = 1800
# The ceiling no block can raise its timeout past (`#| timeout: 0` ends here too).
EXECBLOCKS_MAX_TIMEOUT = 6 * 3600
# Bytes of printed text one block keeps; the rest is cut with a visible notice.
EXECBLOCKS_MAX_OUTPUT = 1_000_000
# Block options for every block of the site, by Quarto name (e.g. {"fig-width": 7}).
# An article's header can override them (`Execute-Echo: false`), a block's `#|` lines win.
# Folded code says what the fold holds and what a click does (Quarto's default is "Code").
EXECBLOCKS_BLOCK_DEFAULTS = {"code-summary": "Show code"}
# How matplotlib figures are saved: "png" (192 dpi, sharp on HiDPI screens) or "svg".
EXECBLOCKS_FIGURE_FORMAT = "png"
# Each figure is also saved in the theme's dark colours, shown under a dark colour scheme.
EXECBLOCKS_DARK_FIGURES = True
# Caps: figures shown per block, and pixels (width x height) per figure; what is over a cap
# is dropped with a notice on the page. Defaults: 50 and 25,000,000.
EXECBLOCKS_MAX_FIGURES = 50
EXECBLOCKS_MAX_FIGURE_PIXELS = 25_000_000
# When True, a change of library versions or device makes results stale too.
EXECBLOCKS_ENVIRONMENT_IN_KEY = False
# `invoke verify`: how far a rerun may move before it fails. Numbers: within `rel` of their
# size or `abs`; figures: at most `figure` of their pixels moved by more than `pixel`.
# Text and verdict words must match exactly. Per article (results id) and block (1-based):
# "articles": {"batchnorm": {"rel": 0.02, "blocks": {6: {"figure": 0.05}}}}.
EXECBLOCKS_VERIFY = {"rel": 0.01, "abs": 0.0, "figure": 0.01, "pixel": 0.1}
# The kernel's state after each block is kept under CACHE_PATH (not committed), so an edit
# to block k reruns from the state after block k-1; at most this many bytes (oldest dropped).
EXECBLOCKS_SNAPSHOTS = True
EXECBLOCKS_SNAPSHOT_BYTES = 2_000_000_000

# Setting MARKDOWN replaces Pelican's defaults wholesale, so every extension is listed.
MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.codehilite": {"css_class": "highlight", "guess_lang": False},
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        "markdown.extensions.toc": {"permalink": "#"},
        # TeX stays intact through Markdown; KaTeX shipped in the theme renders it.
        "pymdownx.arithmatex": {"generic": True},
    },
    "output_format": "html5",
}

# --- theme and feeds --------------------------------------------------------------
FEED_DOMAIN = SITEURL
FEED_ALL_ATOM = "feeds/all.atom.xml"
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

# The 404 page is not a page to index.
SITEMAP = {"format": "xml", "exclude": [r"(^|/)404\.html$"]}

# Header menu: pages (DISPLAY_PAGES_ON_MENU) follow these; one category needs no menu.
MENUITEMS = [("Archive", "archives.html"), ("Tags", "tags.html")]
DISPLAY_CATEGORIES_ON_MENU = False
# (name, URL) pairs shown in the footer, e.g. ("GitHub", "https://github.com/...").
SOCIAL = []

# 404.html is a direct template of the theme; servers show it for missing URLs.
DIRECT_TEMPLATES = ["index", "tags", "categories", "authors", "archives", "404", "search"]

# Index summaries: the first paragraph (never a code cell or figure), at most 60 words.
SUMMARY_MAX_PARAGRAPHS = 1
SUMMARY_MAX_LENGTH = 60

# /favicon.ico for clients that ignore <link rel="icon"> (the theme links its SVG icon).
EXTRA_PATH_METADATA = {"extra/favicon.ico": {"path": "favicon.ico"}}
