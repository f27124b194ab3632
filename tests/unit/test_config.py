"""config: settings validated once."""

import pytest

from execblocks.config import EngineSettings
from execblocks.errors import ConfigError


def test_invalid_mode_is_rejected_with_the_plugin_prefix(tmp_path, monkeypatch):
    monkeypatch.delenv("EXECBLOCKS_MODE", raising=False)
    with pytest.raises(ConfigError, match=r"^execblocks: EXECBLOCKS_MODE must be one of auto, force, strict, off"):
        EngineSettings.from_pelican({"PATH": str(tmp_path), "EXECBLOCKS_MODE": "sometimes"})


def test_environment_variable_overrides_configured_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("EXECBLOCKS_MODE", "strict")
    assert EngineSettings.from_pelican({"PATH": str(tmp_path), "EXECBLOCKS_MODE": "auto"}).mode == "strict"


def test_timeout_must_be_positive(tmp_path):
    with pytest.raises(ConfigError, match="EXECBLOCKS_TIMEOUT"):
        EngineSettings.from_pelican({"PATH": str(tmp_path), "EXECBLOCKS_TIMEOUT": 0})


def test_site_block_defaults_are_validated(tmp_path):
    with pytest.raises(ConfigError, match="EXECBLOCKS_BLOCK_DEFAULTS: option 'echo' expects bool"):
        EngineSettings.from_pelican({"PATH": str(tmp_path), "EXECBLOCKS_BLOCK_DEFAULTS": {"echo": "no"}})
