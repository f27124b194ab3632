"""config: settings validated once."""

import pytest

from execblocks.config import EngineSettings
from execblocks.errors import ConfigError


def test_invalid_mode_is_rejected_with_the_plugin_prefix(tmp_path, monkeypatch):
    monkeypatch.delenv("EXECBLOCKS_MODE", raising=False)
    with pytest.raises(ConfigError, match=r"^execblocks: EXECBLOCKS_MODE must be one of auto, force, strict, off"):
        EngineSettings.from_pelican({"PATH": str(tmp_path), "EXECBLOCKS_MODE": "sometimes"})


def test_mode_comes_from_the_settings_not_the_environment(tmp_path, monkeypatch):
    """One build's mode (`pelican -e EXECBLOCKS_MODE='"force"'`, `invoke build --force`) must not
    leak into the next build of the same process, as an environment variable would."""
    monkeypatch.setenv("EXECBLOCKS_MODE", "off")
    assert EngineSettings.from_pelican({"PATH": str(tmp_path), "EXECBLOCKS_MODE": "force"}).mode == "force"
    assert EngineSettings.from_pelican({"PATH": str(tmp_path)}).mode == "auto"


def test_only_names_articles(tmp_path):
    settings = EngineSettings.from_pelican({"PATH": str(tmp_path), "EXECBLOCKS_ONLY": ["hello"]})
    assert settings.only == ("hello",)
    with pytest.raises(ConfigError, match="EXECBLOCKS_ONLY"):
        EngineSettings.from_pelican({"PATH": str(tmp_path), "EXECBLOCKS_ONLY": "hello"})


def test_timeout_must_be_positive(tmp_path):
    with pytest.raises(ConfigError, match="EXECBLOCKS_TIMEOUT"):
        EngineSettings.from_pelican({"PATH": str(tmp_path), "EXECBLOCKS_TIMEOUT": 0})


def test_site_block_defaults_are_validated(tmp_path):
    with pytest.raises(ConfigError, match=r"EXECBLOCKS_BLOCK_DEFAULTS: option .echo. expects true, false or fenced, got .no. \(write true or false"):
        EngineSettings.from_pelican({"PATH": str(tmp_path), "EXECBLOCKS_BLOCK_DEFAULTS": {"echo": "no"}})


def test_figure_options_have_quartos_names_and_checked_values():
    from execblocks.config import BlockOptions, OptionError, validate_options

    values = validate_options({"fig-cap": ["One", "Two"], "fig-subcap": ["a", "b"], "layout-ncol": 2,
                               "fig-format": "retina", "fig-dpi": 150, "fig-align": "left"})
    options = BlockOptions(**values)
    assert options.figure_caption(1) == "Two" and options.figure_caption(2) is None
    assert options.fig_subcap == ("a", "b") and options.figure_format == "png"
    assert options.execution_fields()["fig_dpi"] == 150
    assert "fig_dpi" not in BlockOptions().execution_fields()  # unset: old results stay fresh
    for bad, match in (({"fig-format": "pdf"}, "png, svg, retina"), ({"fig-align": "middle"}, "left"),
                       ({"fig-dpi": 0}, "between 10 and 1200"), ({"layout-ncol": 0}, "between 1 and 12"),
                       ({"fig-cap": [["nested"]]}, "a string or a list")):
        with pytest.raises(OptionError, match=match):
            validate_options(bad)


def test_figure_caps_are_positive_ints(tmp_path):
    settings = EngineSettings.from_pelican({"PATH": str(tmp_path), "EXECBLOCKS_MAX_FIGURES": 3})
    assert settings.max_figures == 3 and settings.max_figure_pixels == 25_000_000
    with pytest.raises(ConfigError, match="EXECBLOCKS_MAX_FIGURE_PIXELS must be a positive int"):
        EngineSettings.from_pelican({"PATH": str(tmp_path), "EXECBLOCKS_MAX_FIGURE_PIXELS": -1})


def test_workers_are_validated_and_the_environment_wins(tmp_path, monkeypatch):
    site = {"PATH": str(tmp_path), "EXECBLOCKS_WORKERS": 3}
    monkeypatch.delenv("EXECBLOCKS_WORKERS", raising=False)
    assert EngineSettings.from_pelican(site).workers == 3
    monkeypatch.setenv("EXECBLOCKS_WORKERS", "1")
    assert EngineSettings.from_pelican(site).workers == 1
    monkeypatch.setenv("EXECBLOCKS_WORKERS", "two")
    with pytest.raises(ConfigError, match="the environment variable EXECBLOCKS_WORKERS must be a whole number .* got 'two'"):
        EngineSettings.from_pelican(site)
    monkeypatch.delenv("EXECBLOCKS_WORKERS")
    with pytest.raises(ConfigError, match="EXECBLOCKS_WORKERS in the settings must be a whole number .* got -1"):
        EngineSettings.from_pelican({**site, "EXECBLOCKS_WORKERS": -1})
