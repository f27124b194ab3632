"""Human-readable reports of plans: the `invoke status` table."""

from __future__ import annotations

from execblocks.execute.plan import ArticlePlan

HEADER = ("article", "state", "last run", "took", "device", "ran on", "why")


def status_table(plans: list[ArticlePlan]) -> str:
    if not plans:
        return "No executable articles."
    rows = [HEADER]
    for plan in plans:
        provenance = plan.entry.provenance if plan.entry else None
        record = plan.entry.record if plan.entry else None
        rows.append((
            plan.article.rel_path,
            plan.state,
            provenance.executed_at[:16].replace("T", " ") if provenance else "-",
            f"{provenance.duration_s:.1f} s" if provenance else "-",
            record.environment.device if record else "-",
            (provenance.worker or "this machine") if provenance else "-",
            "; ".join(plan.reasons) if plan.reasons else "-",
        ))
        for note in plan.notes:
            rows.append(("",) * (len(HEADER) - 1) + (f"(environment: {note})",))
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]

    def line(row):
        return "  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths)) + "  " + row[-1]

    lines = [line(rows[0]), line(tuple("-" * w for w in widths) + ("---",))] + [line(r) for r in rows[1:]]
    counts: dict[str, int] = {}
    for plan in plans:
        counts[plan.state] = counts.get(plan.state, 0) + 1
    lines += ["", ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))]
    return "\n".join(lines)
