"""The picture the 2019 post promised: what a BatchNorm layer computes, drawn by code.

One hidden layer's pre-activations z for a mini-batch (rows: examples, columns: units)
flow top to bottom through the four steps of Ioffe & Szegedy's Algorithm 1.
"""

import numpy as np
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from . import plots

STEPS = (
    ("mini-batch of pre-activations", r"$z_{b,j}$: example $b$, unit $j$"),
    ("statistics over the batch, per unit",
     r"$\mu_j = \frac{1}{m}\sum_b z_{b,j}, \quad \sigma_j^2 = \frac{1}{m}\sum_b (z_{b,j} - \mu_j)^2$"),
    ("normalise", r"$\hat z_{b,j} = (z_{b,j} - \mu_j)\,/\,\sqrt{\sigma_j^2 + \epsilon}$"),
    ("scale and shift (learnt)", r"$y_{b,j} = \gamma_j \hat z_{b,j} + \beta_j$"),
    ("to the activation", r"$h_{b,j} = \phi(y_{b,j})$"),
)


def draw():
    """The schematic as one figure (axes hidden)."""
    fig, ax = plots.figure(figsize=(plots.PHONE_WIDTH, 3.4))
    ax.set_axis_off()
    ax.set(xlim=(0, 1), ylim=(0, 1), title="A BatchNorm layer, one mini-batch")
    ys = np.linspace(0.9, 0.08, len(STEPS))
    colors = ["0.92", plots.OI["sky"], plots.OI["sky"], plots.OI["orange"], "0.92"]
    for y, (name, formula), col in zip(ys, STEPS, colors):
        ax.add_patch(FancyBboxPatch((0.03, y - 0.075), 0.94, 0.15,
                                    boxstyle="round,pad=0.005,rounding_size=0.02",
                                    facecolor=col, edgecolor="0.3", linewidth=0.8,
                                    alpha=0.35 if col != "0.92" else 1.0))
        ax.text(0.5, y + 0.035, name, ha="center", va="center", fontsize=9.5,
                fontweight="bold")
        ax.text(0.5, y - 0.03, formula, ha="center", va="center", fontsize=10)
    for top, bottom in zip(ys[:-1], ys[1:]):
        ax.add_patch(FancyArrowPatch((0.5, top - 0.077), (0.5, bottom + 0.077),
                                     arrowstyle="-|>", mutation_scale=10, color="0.3"))
    return fig
