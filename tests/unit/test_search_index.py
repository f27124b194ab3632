"""plugins/reading/search.py: which Pagefind builds the index, the note where there is none,
and a failing Pagefind stopping the build."""

from __future__ import annotations

import pytest

from reading import search


def test_without_pagefind_the_site_builds_without_search_and_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(search, "HOME", tmp_path)  # no node_modules beside the plugin either
    monkeypatch.setenv("PATH", str(tmp_path))
    settings = {"PATH": str(tmp_path / "content")}
    search.configure(settings)
    assert settings[search.SETTING] == ""
    note = capsys.readouterr().err
    assert "reading: note: no search index" in note and "npm install" in note


def test_the_projects_own_pagefind_is_found_first(tmp_path, monkeypatch):
    local = tmp_path / search.LOCAL_BIN
    local.parent.mkdir(parents=True)
    local.write_text("#!/bin/sh\n")
    settings = {"PATH": str(tmp_path / "content")}
    search.configure(settings)
    assert settings[search.SETTING] == str(local)


def test_a_failing_pagefind_stops_the_build_with_its_message(tmp_path):
    fake = tmp_path / "pagefind"
    fake.write_text("#!/bin/sh\necho 'Error: no HTML files' >&2\nexit 1\n")
    fake.chmod(0o755)
    with pytest.raises(search.SearchIndexError, match="could not index .*no HTML files"):
        search.build_index(tmp_path, str(fake))
