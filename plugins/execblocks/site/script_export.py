"""An article's blocks as a plain script with `# %%` cell markers (the `.py` download)."""

from __future__ import annotations

from execblocks.render.blocks import RenderedArticle


def script(rendered: RenderedArticle) -> str:
    article = rendered.article
    lines = [f"# {article.slug}: the executable blocks of {article.rel_path}",
             "# Run from the repository's content/ folder with code/ on PYTHONPATH, or cell by cell",
             "# in an editor that understands `# %%` markers.", ""]
    for block in article.blocks:
        lines += [f"# %% block {block.index + 1} ({article.rel_path}, line {block.fence_line})", block.code, ""]
    return "\n".join(lines)
