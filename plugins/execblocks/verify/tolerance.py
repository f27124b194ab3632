"""How far a rerun may move: per site, per article, per block.

    EXECBLOCKS_VERIFY = {                      # pelicanconf.py; every key optional
        "rel": 0.01,      # a number may move by 1 % of its size ...
        "abs": 0.0,       # ... or by this much, whichever is larger
        "figure": 0.01,   # a figure may have 1 % of its pixels moved (unmatched one pixel away)
        "pixel": 0.1,     # ... where a pixel "moved" when a channel changed by more than 10 %
        "articles": {"batchnorm": {"rel": 0.02, "blocks": {6: {"figure": 0.05}}}},
    }

An article's header may set its own (`Verify-Rel: 0.02`, `Verify-Figure: 0.05`; in YAML,
`verify-rel: 0.02`), over the site's; then blocks (1-based, as messages number them) over
the article's, and the command line's --rel/--abs/--figure over everything. Inline values belong to no block: the article's apply. Verdict
words and other text are always compared exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from execblocks.errors import ConfigError

SETTING = "EXECBLOCKS_VERIFY"


@dataclass(frozen=True)
class Tolerance:
    rel: float = 0.01
    abs: float = 0.0
    figure: float = 0.01
    pixel: float = 0.1

    def describe(self) -> str:
        text = f"{self.rel:.3g}".rstrip("0") if self.rel >= 1 else f"{self.rel * 100:g} %"
        return text + (f" or {self.abs:g}" if self.abs else "")


NAMES = tuple(f.name for f in fields(Tolerance))


@dataclass(frozen=True)
class Tolerances:
    article: Tolerance = Tolerance()
    blocks: tuple[tuple[int, Tolerance], ...] = ()

    def for_item(self, item) -> Tolerance:
        return dict(self.blocks).get(item.block, self.article) if item.block is not None else self.article


def _apply(base: Tolerance, values: dict, where: str) -> Tolerance:
    unknown = set(values) - set(NAMES)
    if unknown:
        raise ConfigError(f"{SETTING}{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                          f"known: {', '.join(NAMES)}")
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"{SETTING}{where}: {name} must be a number >= 0, got {value!r}")
    return replace(base, **{name: float(value) for name, value in values.items()})


HEADER_PREFIX = "verify-"


def header_tolerances(header, rel_path: str) -> dict[str, float]:
    """`Verify-Rel: 0.02` and the like from an article's header (source.header.Header)."""
    from execblocks.errors import ArticleSyntaxError

    found = {}
    for key, value in header.fields.items():
        if not key.startswith(HEADER_PREFIX):
            continue
        name = key[len(HEADER_PREFIX):]
        written = header.names.get(key, key)
        if name not in NAMES:
            raise ArticleSyntaxError(rel_path, header.line_of(key), f"unknown header {written}",
                                     f"Known: {', '.join('Verify-' + n.capitalize() for n in NAMES)}.")
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = -1.0
        if isinstance(value, bool) or not number >= 0:
            raise ArticleSyntaxError(rel_path, header.line_of(key), f"{written} must be a number >= 0, got {value!r}")
        found[name] = number
    return found


def tolerances_for(setting: dict | None, article_id: str, overrides: dict | None = None,
                   header: dict | None = None) -> Tolerances:
    """The tolerances of one article from the site's EXECBLOCKS_VERIFY, its `header`'s
    (header_tolerances), and `overrides` (the command line's --rel/--abs/--figure) over all."""
    if not isinstance(setting, (dict, type(None))):
        raise ConfigError(f"{SETTING} must be a dict, got {setting!r}")
    setting = dict(setting or {})
    articles = setting.pop("articles", {})
    site = _apply(Tolerance(), setting, "")
    own = dict(articles.get(article_id, {}))
    blocks = own.pop("blocks", {})
    article = _apply(_apply(site, own, f"['articles'][{article_id!r}]"), header or {}, " (article header)")
    command_line = {k: _number(k, v) for k, v in (overrides or {}).items() if v is not None}
    article = _apply(article, command_line, " (command line)")
    per_block = []
    for number, values in sorted(blocks.items()):
        if not isinstance(number, int) or number < 1:
            raise ConfigError(f"{SETTING}['articles'][{article_id!r}]['blocks']: block numbers are 1, 2, ...; "
                              f"got {number!r}")
        per_block.append((number, _apply(_apply(article, values, f"[...]['blocks'][{number}]"), command_line, "")))
    return Tolerances(article, tuple(per_block))


def _number(name: str, value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"verify: --{name} must be a number, got {value!r}") from None


def check_setting(setting: dict | None) -> None:
    """Refuse a bad EXECBLOCKS_VERIFY before anything runs."""
    tolerances_for(setting, "")
    if isinstance(setting, dict):
        for article_id in setting.get("articles", {}):
            tolerances_for(setting, article_id)
