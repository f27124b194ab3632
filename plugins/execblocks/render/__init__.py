"""Stored results -> HTML: blocks, MIME renderers, ANSI text, highlighting, srcset."""
