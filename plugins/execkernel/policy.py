"""What the engine tells the kernel side, as one dataclass (the install cell's arguments)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

FIGURE_DPI = 192  # pixels per inch of saved figures: twice the page's 96 px/in, sharp on HiDPI screens
# The version of how the kernel draws, crops, recolours and encodes figures (figure_saving.py,
# renditions.py, backend.py). It is in every result's key, so
# results whose figures the current code would draw differently are stale: raise it with
# any change that moves a pixel or a byte of a stored figure. (1: every result stored
# before it existed; 2: savefig's tight box, the dark rendition redrawn, not replayed;
# 3: a 400 px rendition for 1x phones; plt.show() ends the figures drawn so far; an
# undescribed figure's text names its kind and axis labels.)
FIGURE_PIPELINE = 3


@dataclass(frozen=True)
class KernelPolicy:
    figure_format: str = "png"  # png | svg: the site's; a block's fig-format overrides it
    figure_dpi: float = FIGURE_DPI
    dark_figures: bool = True  # also save each figure recoloured for the dark theme
    max_figures: int = 50  # figures shown per block
    max_figure_pixels: int = 25_000_000  # a larger figure is dropped with a notice
    max_output: int = 1_000_000  # bytes of output per block (the flood guard's budget is twice this)

    def install_source(self, snapshots: dict | None = None, imports: list[str] = ()) -> str:
        """The hidden first cell: binds only `__execblocks__` in the article's namespace.
        `snapshots`: where the kernel keeps its state after each block; `imports`: the
        top-level modules the article's blocks import by name (hooks.install)."""
        fields = {**asdict(self), "imports": sorted(imports)}
        if snapshots is not None:
            fields["snapshots"] = snapshots
        return f"import execkernel.hooks as __execblocks__\n__execblocks__.install(**{fields!r})"
