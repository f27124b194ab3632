"""execkernel/installed.py: which distributions provide each top-level module, kept per environment."""

import json
import os
import sys
import tempfile
from importlib import metadata

import pytest

from execkernel import installed


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def fake_distribution(folder, name: str, version: str, top: str) -> None:
    info = folder / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "top_level.txt").write_text(top + "\n")


def test_the_answer_is_packages_distributions_and_is_read_back_until_something_is_installed(private_tmp, monkeypatch):
    owners = installed.owners()
    expected = metadata.packages_distributions()
    assert set(owners) == set(expected)
    assert owners["numpy"] == [["numpy", metadata.version("numpy")]]
    assert owners["PIL"] == [["pillow", metadata.version("pillow")]]
    cached = list((private_tmp / f"execblocks-installed-{os.getuid()}").glob("*.json"))
    assert len(cached) == 1
    # Read back: what the file says is the answer (a planted change shows through).
    cached[0].write_text(json.dumps({**owners, "numpy": [["numpy", "0.0-from-the-file"]]}))
    assert installed.owners()["numpy"] == [["numpy", "0.0-from-the-file"]]
    # A distribution installed into a folder of sys.path: worked out again, and found.
    site = private_tmp / "site"
    site.mkdir()
    monkeypatch.setattr(sys, "path", sys.path + [str(site)])
    fake_distribution(site, "fakepkg", "1.2", "fakemod")
    owners = installed.owners()
    assert owners["fakemod"] == [["fakepkg", "1.2"]] and owners["numpy"] == [["numpy", metadata.version("numpy")]]


def test_a_cache_folder_others_can_write_to_is_not_trusted(private_tmp):
    folder = private_tmp / f"execblocks-installed-{os.getuid()}"
    folder.mkdir()
    folder.chmod(0o777)
    (folder / f"{installed._environment_key()}.json").write_text(json.dumps({"numpy": [["numpy", "planted"]]}))
    assert installed.owners()["numpy"] == [["numpy", metadata.version("numpy")]]
