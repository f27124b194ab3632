"""config and runtime: settings validated once, the device picked once."""

import pytest

from execblocks import runtime
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


def test_device_honours_override_and_is_picked_once(monkeypatch):
    import torch
    monkeypatch.setattr(runtime, "_device", None)
    monkeypatch.setenv("BLOG_DEVICE", "cpu")
    threads = torch.get_num_threads()
    try:
        assert runtime.device() == "cpu"
        assert torch.get_num_threads() == 1
        monkeypatch.setenv("BLOG_DEVICE", "tpu")  # ignored: already picked
        assert runtime.device() == "cpu"
    finally:
        torch.set_num_threads(threads)


def test_unknown_device_is_rejected(monkeypatch):
    monkeypatch.setattr(runtime, "_device", None)
    monkeypatch.setenv("BLOG_DEVICE", "tpu")
    with pytest.raises(ValueError, match="BLOG_DEVICE='tpu'"):
        runtime.device()


def test_site_block_defaults_are_validated(tmp_path):
    with pytest.raises(ConfigError, match="EXECBLOCKS_BLOCK_DEFAULTS: option 'echo' expects bool"):
        EngineSettings.from_pelican({"PATH": str(tmp_path), "EXECBLOCKS_BLOCK_DEFAULTS": {"echo": "no"}})
