"""Reading articles: .md/.qmd/.ipynb files -> Article (header, blocks, options, source lines)."""
