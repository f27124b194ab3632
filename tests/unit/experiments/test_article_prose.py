"""The BatchNorm article's verdicts are computed: no verdict word is typed in a verdict
or takeaway sentence, and every takeaway paragraph quotes at most three numbers."""

import re
from pathlib import Path

ARTICLE = Path(__file__).resolve().parents[3] / "content" / "batchnorm.md"
INLINE = re.compile(r"`\{python\} .*?`(?!`)")
VERDICT_WORDS = re.compile(
    r"\b(supported|supports|contradicted|contradicts|level|faster|slower|smoother|rougher|"
    r"better|worse|unresolved|holds|reproduces|more ICS|less ICS)\b")


def _paragraphs(prefix):
    return [p for p in ARTICLE.read_text().split("\n\n") if p.startswith(prefix)]


def test_verdict_paragraphs_type_no_verdict_word():
    paras = _paragraphs("**Verdict")
    assert len(paras) >= 6
    for p in paras:
        typed = INLINE.sub("", p)
        assert not VERDICT_WORDS.search(typed), (VERDICT_WORDS.search(typed).group(), p[:80])


def test_takeaways_quote_at_most_three_numbers():
    """'What it shows' and 'Verdict' paragraphs: at most three computed values that
    print as numbers (inline expressions formatting a number or a span)."""
    for p in _paragraphs("**What it shows") + _paragraphs("**Verdict"):
        numeric = [e for e in INLINE.findall(p)
                   if re.search(r"span\(|:\.\d|:g}|\.effect\(|n_diverged|decades\(", e)]
        assert len(numeric) <= 3, (len(numeric), p[:80])
