"""verify: rerun an article elsewhere and say how far it drifted from its stored results.

    run.py        `invoke verify`: select -> rerun -> observe -> compare -> report -> record
    rerun.py      a scratch copy of the project (this machine or a Dask worker), or the
                  reader's bundle in its own venv with plain `jupyter execute`
    observe.py    a notebook -> comparable items (inline values, table cells, lines, figures)
    compare.py    items against items within tolerances; figures by their pixels
    tolerance.py  EXECBLOCKS_VERIFY: site, article, block
    drift.py      the drift table and the summary line
    summary.py    what the records say: the footer's sentence, `invoke status`
    machine.py    where a rerun ran

The records themselves are the store's (store/records.py Verification, written and read
by store/results_folder.py).
"""
