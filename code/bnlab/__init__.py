"""bnlab: the experiments of the BatchNorm article, one module per claim.

    data.py          wine and MNIST-1D, generated offline with fixed seeds
    layers.py        a hand-written BatchNorm and Santurkar et al.'s "noisy" BatchNorm
    models.py        one MLP builder: depth, width, activation, where BN goes
    train.py         a small SGD loop with callbacks (the histogram figure's one run)
    batched.py       many runs (seeds x settings) of one MLP at once, and their SGD loop
    probes.py        ICS (Def. 2.1), the landscape along -g, per-step distribution shift
    paired.py        per-seed paired comparisons and the verdict rule
    plots.py         the shared style and figure helpers
    schematic.py     the BatchNorm layer, drawn

    scaling.py       claim 1: normalisation vs standardisation of the inputs
    ioffe.py         claim 2: Ioffe & Szegedy (2015) Fig. 1, BN trains faster
    sensitivity.py   claim 3: less sensitive to learning rate and initialisation
    ics.py           claim 4: internal covariate shift, measured (Santurkar Def. 2.1)
    smoothness.py    claim 5: loss and gradient along the gradient direction
    linear_chain.py  claim 6: Goodfellow et al. §8.7.1, the deep linear chain
    placement.py     claim 7: BN before or after the activation
    histograms.py    the picture of what BN does to a batch

Every experiment module has a `XConfig` dataclass (`quick()` for a CPU, `full()`
near the papers' sizes), `run(config, device) -> XResult` and `plot(result) -> [Figure, ...]` (one panel each).
"""
