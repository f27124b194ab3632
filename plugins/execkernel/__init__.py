"""execkernel: what runs inside an article's Jupyter kernel.

Imported by the hidden cells the engine (execblocks) adds to the notebook it runs; never
by article code, and it imports nothing from the engine (tests/unit/test_engine_shape.py checks
that). The engine hands it its policy in one way only: the first hidden cell calls
`hooks.install(**KernelPolicy fields)`; later hidden cells change the figure options
before the blocks that ask for other ones.

    policy.py      KernelPolicy: figure format, dpi, dark renditions, caps (a dataclass)
    hooks.py       installs the rest; records files read; reports what a run used
    figure_saving.py after each block (and at plt.show()): save, recolour, show every open figure
    renditions.py  a figure -> its PNG renditions (light, dark, phone widths)
    backend.py     the matplotlib backend whose show() ends the figures drawn so far
    flood_guard.py a block's output past its budget is counted, not sent
"""
