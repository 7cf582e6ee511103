"""How the book cites: the pybtex style ``borderbook`` and the Sphinx side of citations.

The style is pybtex's plain style, with what a reader of this edition needs to know:

- an access date only where one was recorded (``urldate``: the date the paper gives);
- "Read from a copy at …" where this edition read a mirror or reprint (``mirror``: a URL,
  or a description when the copy's address was not recorded);
- "Not consulted by this edition." where the work could not be found (``consulted = {no}``);
- the page the paper cites: for a book, ``pages`` holds it ("p. 239", "pp. 64–80"); an
  article keeps its volume and issue even without pages ("18(137)"), and a page where the
  paper pins one ("10(142), p. 18");
- "n.d." for an undated work, with the date its content refers to where known (``datenote``).

The Sphinx side (:mod:`borderbook.sphinxext.citations`) uses :func:`labels`:

- year suffixes: two works whose author-year labels would read alike ("President.tj 2021")
  get 2021a, 2021b (undated ones n.d.-a, n.d.-b), in the order of their dates and titles, in the
  labels and in the entries alike;
- each footnote citation links to the work's entry on the bibliography page.
"""

import re
from collections import defaultdict
from datetime import date

from pybtex.richtext import Text
from pybtex.style.formatting.plain import Style as Plain
from pybtex.style.template import field, href, join, optional, optional_field, sentence, tag, words

#: the bibliography page, and the anchor of each entry on it (``bibtex_cite_id``)
UNDATED = "n.d."


class Style(Plain):
    """Plain, with access dates, copies, pinpoint pages and undated works as above."""

    def get_article_template(self, e):
        journal = [tag("em")[field("journal")]]
        if "volume" in e.fields:
            journal.append(join[field("volume"), optional["(", field("number"), ")"]])
        elif "number" in e.fields:
            journal.append(field("number"))
        return self._toplevel(e, [
            self.format_names("author"),
            self.format_title(e, "title"),
            sentence[(*journal, *_pages(e), _date(e))],
            sentence[optional_field("note")],
        ])

    def get_book_template(self, e):
        return self._toplevel(e, [
            self.format_author_or_editor(e),
            self.format_btitle(e, "title"),
            self.format_volume_and_series(e),
            sentence[(field("publisher"), optional_field("address"), self.format_edition(e),
                      _date(e), *_pages(e))],
            optional[sentence[self.format_isbn(e)]],
            sentence[optional_field("note")],
        ])

    def get_misc_template(self, e):
        return self._toplevel(e, [
            optional[sentence[self.format_names("author")]],
            optional[self.format_title(e, "title")],
            sentence[optional[field("howpublished")], _date(e)],
            sentence[optional_field("note")],
        ])

    def get_techreport_template(self, e):
        return self._toplevel(e, [
            sentence[self.format_names("author")],
            self.format_title(e, "title"),
            sentence[words[optional_field("type"), optional_field("number")],
                     field("institution"), optional_field("address"), _date(e)],
            sentence[optional_field("note")],
        ])

    def _toplevel(self, e, parts):
        from pybtex.style.formatting import toplevel

        return toplevel[(*parts, self.format_web_refs(e))]

    def format_web_refs(self, e):
        accessed = e.fields.get("urldate")
        url = field("url", raw=True)
        parts = [optional[sentence[field("datenote")]]]
        parts.append(optional[sentence[words["URL:", href(url)[url],
                                             f"(last accessed on {_long_date(accessed)})" if accessed else ""]]])
        mirror = e.fields.get("mirror", "")
        if mirror.startswith(("http://", "https://")):
            copy = field("mirror", raw=True)
            parts.append(sentence[words["Read from a copy at", href(copy)[copy]]])
        elif mirror:
            parts.append(sentence[words["Read from a copy", field("mirror")]])
        if e.fields.get("consulted", "").lower() == "no":
            parts.append(sentence["Not consulted by this edition"])
        parts.append(optional[sentence[self.format_doi(e)]])
        return join(sep=" ")[tuple(parts)]


def _date(e):
    """Month and year, or "n.d." (the year field may carry a suffix: 2021a, n.d.-b)."""
    if "year" in e.fields:
        return words[optional_field("month"), field("year")]
    return Text(UNDATED)


def _pages(e):
    """The cited page(s): "p. 18", "pp. 64–80" (nothing when the entry has none)."""
    pages = e.fields.get("pages", "")
    if not pages:
        return ()
    parts = [part for part in re.split(r"-+|–", pages) if part]
    return (("pp. " if len(parts) > 1 else "p. ") + "–".join(parts),)


def _long_date(iso: str) -> str:
    """2021-09-26 → September 26, 2021, as the paper writes access dates."""
    day = date.fromisoformat(iso)
    return f"{day:%B} {day.day}, {day.year}"


def labels(entries) -> dict[str, str]:
    """The year each entry shows in its author-year label and in its date: the entry's year,
    or "n.d.", with a suffix (a, b, …; n.d.-a, …) where two works would share a label.
    Works sharing one are ordered by date, then title. ``entries`` maps keys to pybtex entries, whose
    original year is kept in the field ``borderbook-year`` once suffixed."""
    from sphinxcontrib.bibtex.style.referencing.author_year import AuthorYearReferenceStyle

    style = AuthorYearReferenceStyle()   # bibtex_reference_style: the labels' author part
    author = style.person.author_or_editor_or_title(full=False)
    groups = defaultdict(list)
    for key, entry in entries.items():
        year = _original_year(entry) or UNDATED
        who = str(author.format_data({"entry": entry, "style": style}))
        groups[who, year].append(key)
    shown = {}
    for (_, year), keys in groups.items():
        if len(keys) == 1:
            shown[keys[0]] = year
            continue
        keys.sort(key=lambda key: (entries[key].fields.get("date", ""),
                                   str(entries[key].fields.get("title", "")).lower(), key))
        for index, key in enumerate(keys):
            letter = chr(ord("a") + index)
            shown[key] = f"{year}-{letter}" if year == UNDATED else f"{year}{letter}"
    return shown


def _original_year(entry) -> str:
    if "borderbook-year" in entry.fields:
        return entry.fields["borderbook-year"]
    return entry.fields.get("year", "")
