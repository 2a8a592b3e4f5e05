"""Chinese and ASCII text as PostgreSQL full-text lexemes, with no extension (no zhparser,
no pg_jieba): a run of CJK characters becomes its overlapping character bigrams, an ASCII
word its lower-cased self.

Bigrams need no dictionary and find any two-character substring, so "垃圾" finds
"后巷垃圾堆积" and a phrase finds the texts holding all its bigrams. A run also yields its
last character alone (a one-character run yields just that), so a one-character query,
matched as a prefix, finds every character of every run: each one starts a bigram or ends
its run.

The lexemes go into `array_to_tsvector` and the query into a `::tsquery` cast, never through
PostgreSQL's parser, so the result does not depend on the database's locale.
"""

from __future__ import annotations

import re
import unicodedata

# CJK unified ideographs (with extension A and the compatibility block); extension B and up
# sit outside the BMP and are rare in street names and complaints.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[a-z0-9]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
MAX_QUERY_TOKENS = 32  # a pasted paragraph is not a query; its first bigrams narrow enough


def _runs(text: str) -> list[str]:
    # NFKC folds full-width letters and digits (ＡＢＣ１２) into ASCII before matching.
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).lower())


def _bigrams(run: str) -> list[str]:
    return [run[i:i + 2] for i in range(len(run) - 1)]


def document_tokens(*texts: str | None) -> list[str]:
    """The lexemes a document is indexed under, sorted and unique."""
    tokens: set[str] = set()
    for text in texts:
        for run in _runs(text or ""):
            if _IS_CJK.match(run):
                tokens.update(_bigrams(run))
                tokens.add(run[-1])
            else:
                tokens.add(run)
    return sorted(tokens)


def query_tokens(text: str) -> list[str]:
    """The query's lexemes in order of appearance, unique; a one-character CJK run is
    returned as a prefix (`X:*`)."""
    tokens: list[str] = []
    for run in _runs(text):
        if not _IS_CJK.match(run):
            tokens.append(run)
        elif len(run) == 1:
            tokens.append(f"{run}:*")
        else:
            tokens.extend(_bigrams(run))
    return list(dict.fromkeys(tokens))[:MAX_QUERY_TOKENS]


def tsquery(text: str) -> str | None:
    """A tsquery matching documents holding every lexeme of the query (None if the query has
    no letters, digits or CJK characters at all)."""
    tokens = query_tokens(text)
    if not tokens:
        return None
    return " & ".join(_quoted(t) for t in tokens)


def _quoted(token: str) -> str:
    word, prefix, _ = token.partition(":*")
    # Tokens hold only letters, digits and CJK; quoting keeps tsquery syntax out regardless.
    return "'" + word.replace("'", "''") + "'" + (":*" if prefix else "")
