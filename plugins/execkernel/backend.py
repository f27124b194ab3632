"""The article kernel's matplotlib backend (MPLBACKEND=module://execkernel.backend).

Agg draws, as before; what this adds is `plt.show()`: as in Jupyter's inline backend and in
Quarto, it ends the figures drawn so far. They go through the engine's figure pipeline at
that point (saved, recoloured, sized, displayed in order) and are closed, so `plot, show,
plot, show` is two figures. Whatever is still open when the block ends is saved by the
post_run_cell hook, as without a show(). This is matplotlib's documented backend-module
interface (a module with FigureCanvas, FigureManager and show), the one
matplotlib-inline implements.
"""

from __future__ import annotations

from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg

FigureCanvas = FigureCanvasAgg
FigureManager = FigureManagerBase


def show(*args, **kwargs) -> None:
    from execkernel import figure_saving

    figure_saving.show_figures()
