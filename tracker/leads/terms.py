"""Watch terms: the words and phrases that identify news about a recommendation.

Editors write them one per line (`Recommendation.watch_terms`, and `watch_exclude` for words that
rule an item out). Where a recommendation has none, defaults are derived from its short title and
its wording: the title itself when it is short, and the names it uses (runs of capitalised words
such as “Child Protection Authority” or “Disclosure and Barring Service”).
"""

import re

# Phrases that occur in nearly every item an official feed publishes on this subject, or that
# name an owner rather than a recommendation: as a term they would match everything.
TOO_GENERAL = {
    "child sexual abuse",
    "child sexual exploitation",
    "child sexual abuse and exploitation",
    "independent inquiry",
    "independent inquiry into child sexual abuse",
    "the inquiry",
    "uk government",
    "welsh government",
    "home office",
    "ministry of justice",
    "department for education",
    "national audit",
    "united kingdom",
    "england and wales",
    "secretary of state",
    "house of commons",
    "house of lords",
}
ARTICLES = ("a ", "an ", "the ")
# Words that may join the capitalised words of one name ("Disclosure and Barring Service").
JOINERS = {"and", "of"}
# Capitalised words that start sentences or headings rather than names.
NOT_NAME_STARTS = {"A", "An", "The", "This", "That", "These", "In", "On", "For", "Recommendation"}
WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\u2019\-]*")
MAX_TITLE_WORDS = 5
MAX_DEFAULT_TERMS = 8


def split_terms(value: str) -> list[str]:
    """One term per line; blank lines and surrounding spaces dropped, duplicates kept once."""
    seen: dict[str, None] = {}
    for line in value.splitlines():
        term = " ".join(line.split())
        if term and term.casefold() not in {t.casefold() for t in seen}:
            seen[term] = None
    return list(seen)


def join_terms(terms: list[str]) -> str:
    return "\n".join(split_terms("\n".join(terms)))


def _without_article(phrase: str) -> str:
    lowered = phrase.casefold()
    for article in ARTICLES:
        if lowered.startswith(article):
            return phrase[len(article) :]
    return phrase


def capitalised_names(text: str) -> list[str]:
    """Runs of two or more capitalised words (joined by "and", "of"…), e.g. "Children Act 1989"."""
    names = []
    run: list[str] = []
    pending_joiners: list[str] = []

    def close() -> None:
        significant = [w for w in run if w.lower() not in JOINERS]
        if len(significant) >= 2:
            names.append(" ".join(run))

    previous_end = 0
    for match in WORD.finditer(text):
        word = match.group()
        gap, previous_end = text[previous_end : match.start()], match.end()
        if run and gap.strip():  # punctuation between words ends a name
            close()
            run, pending_joiners = [], []
        if word[0].isupper() or (run and word.isdigit() and len(word) == 4):
            if not run and word in NOT_NAME_STARTS:
                continue
            run.extend(pending_joiners)
            run.append(word)
            pending_joiners = []
        elif run and word in JOINERS:
            pending_joiners.append(word)
        else:
            if run:
                close()
            run, pending_joiners = [], []
    if run:
        close()
    return names


def default_watch_terms(title: str, text: str) -> list[str]:
    """Terms derived from a recommendation's short title and its wording."""
    candidates = []
    short_title = _without_article(" ".join(title.split())).rstrip(".")
    if short_title and len(short_title.split()) <= MAX_TITLE_WORDS:
        candidates.append(short_title[0].lower() + short_title[1:])
    candidates += capitalised_names(title) + capitalised_names(text)
    terms = []
    for term in candidates:
        term = _without_article(term)
        if term.casefold() in TOO_GENERAL or len(term) < 4:
            continue
        if term.casefold() not in {t.casefold() for t in terms}:
            terms.append(term)
    return terms[:MAX_DEFAULT_TERMS]


def terms_in_use(recommendation) -> list[str]:
    """The editor's terms, or the defaults where there are none."""
    return split_terms(recommendation.watch_terms) or default_watch_terms(
        recommendation.title, recommendation.text
    )
