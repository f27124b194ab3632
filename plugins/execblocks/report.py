"""Human-readable reports of plans: the `invoke status` table."""

from __future__ import annotations

from .plan import ArticlePlan


def status_table(plans: list[ArticlePlan]) -> str:
    if not plans:
        return "No executable articles."
    rows = [("article", "state", "why")]
    for plan in plans:
        why = "; ".join(plan.reasons) if plan.reasons else "-"
        rows.append((plan.article.rel_path, plan.state, why))
        for note in plan.notes:
            rows.append(("", "", f"(environment: {note})"))
    width = [max(len(r[i]) for r in rows) for i in range(2)]
    lines = [f"{a:<{width[0]}}  {s:<{width[1]}}  {w}" for a, s, w in rows]
    lines.insert(1, f"{'-' * width[0]}  {'-' * width[1]}  ---")
    counts = {}
    for plan in plans:
        counts[plan.state] = counts.get(plan.state, 0) + 1
    lines.append("")
    lines.append(", ".join(f"{n} {state}" for state, n in sorted(counts.items())))
    return "\n".join(lines)
