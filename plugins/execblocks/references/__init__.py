"""Cross-references (@fig-x, @tbl-x, @sec-x) and citations (BibTeX + CSL)."""
