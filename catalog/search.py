"""What a shopper types into the search box, as words the catalog's texts use.

Pure text handling, no database: ``search_terms`` splits a query into terms, each with the
words that may stand for it (the word itself and its synonyms), so that "pimple" finds acne
products and "retinol" finds retinoids. ``catalog.selectors.product_list`` turns the terms into
a PostgreSQL full-text query (stemmed, English) or, on SQLite, into substring matches.
"""

import re

# Everyday words shoppers use for what the product texts call otherwise. Keys are lower case;
# a key's plural is found through the same entry (the stemmer on PostgreSQL, a trailing "s"
# dropped on SQLite).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "pimple": ("acne", "spot"),
    "zit": ("acne", "spot"),
    "spot": ("acne",),
    "breakout": ("acne",),
    "blemish": ("acne", "spot"),
    "retinol": ("retinoid", "adapalene"),
    "retinoid": ("adapalene",),
    "retin": ("retinoid", "adapalene"),
    "bpo": ("benzoyl",),
    "bha": ("salicylic",),
    "salicylic": ("bha",),
    "sunblock": ("sunscreen", "spf"),
    "sunscreen": ("spf",),
    "spf": ("sunscreen",),
    "moisturiser": ("moisturizer",),
    "moisturizer": ("moisturiser",),
    "cream": ("moisturizer",),
    "wash": ("cleanser",),
    "cleanser": ("wash",),
    "scar": ("post-acne", "marks"),
    "mark": ("post-acne",),
    "oily": ("oil", "oiliness", "shine"),
    "greasy": ("oiliness", "shine"),
    "red": ("redness",),
    "blackhead": ("comedone", "blackheads"),
    "whitehead": ("comedone", "whiteheads"),
}

# Words too short or too common to narrow anything down.
STOP_WORDS = frozenset({"a", "an", "and", "for", "the", "of", "with", "to", "my", "in", "on"})

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")


def _singular(word: str) -> str:
    """A crude singular for the synonym lookup: "pimples" → "pimple", "blemishes" → "blemish"."""
    for ending, keep in (("ies", "y"), ("shes", "sh"), ("es", "e"), ("s", "")):
        if len(word) > len(ending) + 2 and word.endswith(ending):
            candidate = word[: -len(ending)] + keep
            if candidate in SYNONYMS or ending == "s":
                return candidate
    return word


def search_terms(text: str) -> list[tuple[str, ...]]:
    """The query's terms, each as the words any of which may match it: the word first, then
    its synonyms. Every term must be matched (by one of its words) for a product to be found.

    >>> search_terms("Pimples, gel")
    [('pimples', 'pimple', 'acne', 'spot'), ('gel',)]
    """
    terms: list[tuple[str, ...]] = []
    for word in _WORD.findall(text.lower()):
        if word in STOP_WORDS:
            continue
        singular = _singular(word)
        alternatives = dict.fromkeys((word, singular, *SYNONYMS.get(singular, ())))
        term = tuple(alternatives)
        if term not in terms:
            terms.append(term)
    return terms
