"""Random texts made of given pieces, and the check that two spellings of a text pattern match
the same spans: for the tests of the mappers' rewritten patterns (`text_patterns.word_start`,
literal stems)."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator


def random_texts(pieces: tuple[str, ...], *, seed: int, count: int, most: int) -> Iterator[str]:
    """`count` texts of 0 to `most` pieces each, the same ones for the same seed."""
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(pieces) for _ in range(rng.randint(0, most)))


def same_matches(fast: str, plain: str, texts: Iterable[str]) -> int:
    """Assert that `fast` finds exactly what `plain` finds in each text (spans and search);
    the number of texts `plain` matched, so a test can check that its texts reach it."""
    fast_re, plain_re = re.compile(fast), re.compile(plain)
    assert fast_re.pattern != plain_re.pattern
    matched = 0
    for text in texts:
        want = [m.span() for m in plain_re.finditer(text)]
        matched += bool(want)
        assert [m.span() for m in fast_re.finditer(text)] == want, text
        assert bool(fast_re.search(text)) == bool(plain_re.search(text)), text
    return matched
