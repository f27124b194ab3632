"""Paired comparisons over seeds, and the verdict words the article prints.

Two variants trained with the same seed share their initial weights and their batch
order (batched.fit), so the unit of evidence is the per-seed difference d_s = b_s - a_s,
oriented so that a positive d_s means "b is better". The rule, declared before any run:

    better / worse   every seed's difference has the same sign (sign count n of n) and
                     the mean difference lies beyond the equivalence margin
    level            every seed's difference lies inside +-margin
    unresolved       anything else: the seeds disagree, or the effect is inside the
                     margin on some seeds and outside on others

A difference that changes sign between seeds is inside the seed spread and is not an
effect, however large its mean. With 5 seeds, "5 of 5" has a one-sided sign-test p of
1/32 = 0.03; with 3 seeds it is 1/8.

Each measure has its margin (MARGINS). Measures that vary over decades (gradient change,
smoothness, drift, steps to a threshold) are compared as log10 ratios, so their margin is
in decades.
"""

from dataclasses import dataclass

import numpy as np

# Equivalence margins, declared before the experiments were run (units of the measure).
MARGINS = {
    "accuracy": 0.02,      # 2 percentage points of accuracy
    "loss": 0.05,          # nats of cross-entropy
    "cosine": 0.02,        # cosine between gradients
    "log": 0.1,            # decades (a factor of 1.26) for log-compared measures
    "decades": 0.5,        # width of a learning-rate window: one step of a half-decade grid
    "count": 0.5,          # a count of swept values: any whole difference is beyond it
}


@dataclass(frozen=True)
class Paired:
    """b against a, seed by seed. diff: (seeds,) b - a (or log10 b - log10 a), with the
    sign flipped when lower is better, so positive = b better."""

    diff: np.ndarray
    margin: float
    log: bool = False              # diff is in decades
    lower_is_better: bool = False
    dropped: int = 0               # seeds left out: a value was not finite (a run diverged)

    @property
    def n(self) -> int:
        return len(self.diff)

    @property
    def wins(self) -> int:
        """Seeds on which b is better than a."""
        return int((self.diff > 0).sum())

    @property
    def raw(self) -> np.ndarray:
        """Per-seed b - a in the measure's own direction (not flipped)."""
        return -self.diff if self.lower_is_better else self.diff

    @property
    def mean(self) -> float:
        return float(self.raw.mean())

    @property
    def verdict(self) -> str:
        d = self.diff
        if len(d) == 0:
            return "unresolved"
        if np.all(np.abs(d) <= self.margin):
            return "level"
        if (np.all(d > 0) or np.all(d < 0)) and abs(d.mean()) > self.margin:
            return "better" if d.mean() > 0 else "worse"
        return "unresolved"

    def word(self, better: str, worse: str, level: str = "level with",
             unresolved: str = "not distinguishable from") -> str:
        return {"better": better, "worse": worse, "level": level,
                "unresolved": unresolved}[self.verdict]

    def effect(self, fmt: str = "{:+.2f}") -> str:
        """'mean (min to max), k/n seeds': the per-seed differences b - a (or the ratio
        b / a for log measures) and how many seeds favour b."""
        if self.log:
            r = 10 ** self.raw
            body = f"×{r.mean():.2g} (×{r.min():.2g} to ×{r.max():.2g})"
        else:
            body = f"{fmt.format(self.raw.mean())} ({fmt.format(self.raw.min())} to " \
                   f"{fmt.format(self.raw.max())})"
        out = f"{body}, {self.wins}/{self.n} seeds"
        return out + (f" ({self.dropped} left out: diverged)" if self.dropped else "")


def paired(a, b, measure: str, lower_is_better: bool = False, log: bool = False) -> Paired:
    """Compare per-seed values b against a (same seeds, same order). `measure` names the
    margin (MARGINS); `log`: compare log10 values (margin in decades)."""
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired comparison needs the same seeds: {a.shape} vs {b.shape}")
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.log10(b) - np.log10(a) if log else b - a
    margin = MARGINS["log"] if log else MARGINS[measure]
    ok = np.isfinite(d)  # a diverged run has no value: its seed is left out, and said so
    d = d[ok]
    return Paired(-d if lower_is_better else d, margin, log, lower_is_better,
                  int((~ok).sum()))
