"""What the verification records say, in a sentence: the page's footer and `invoke status`.

Pure functions on store.records.Verification (the store reads and writes the records).
"""

from __future__ import annotations

from execblocks.store.records import Verification

VALUES = ("value", "verdict", "cell", "line")  # every compared item but figures


def of_results(verifications: list[Verification], digest: str) -> list[Verification]:
    """Those that checked the results whose record.json has this sha256."""
    return [v for v in verifications if v.results == digest]


def footer_line(verifications: list[Verification]) -> str:
    """The "Run it yourself" sentence, from the records only: the latest verification of
    each kind (scratch copy, bundle, cluster) on each machine, the weakest of them quoted.
    "" when the shown results were never verified."""
    if not verifications:
        return ""
    latest: dict[tuple, Verification] = {}
    for verification in verifications:
        latest[(verification.machine.identity, verification.how)] = verification
    runs = list(latest.values())
    count = len({v.machine.identity for v in runs})
    machines = f"{count} machine{'s' if count > 1 else ''}"
    values = min((v.within(VALUES) for v in runs), key=lambda c: (c[0] - c[1], c[0]))
    figures = min((v.within(("figure",)) for v in runs), key=lambda c: (c[0] - c[1], c[0]))
    rel = max(v.tolerance.get("rel", 0.0) for v in runs)
    head = "Reproduced on" if all(v.passed for v in runs) else "Rerun on"
    text = f"{head} {machines}: {values[0]}/{values[1]} values within {rel * 100:g} %"
    if figures[1]:
        text += f", {figures[0]}/{figures[1]} figures"
    return text


def status_line(verifications: list[Verification], digest: str) -> str:
    """`invoke status`: the last verification, one line."""
    if not verifications:
        return "never verified"
    last = verifications[-1]
    values, figures = last.within(VALUES), last.within(("figure",))
    text = (f"{'passed' if last.passed else 'FAILED'} {last.at[:16].replace('T', ' ')} ({last.how}, "
            f"{last.machine.device}): {values[0]}/{values[1]} values, {figures[0]}/{figures[1]} figures")
    return text + ("" if last.results == digest else " [of earlier results]")
