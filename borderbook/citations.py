"""The citation style of the book: pybtex's plain style, with web references that read like
the paper's footnotes ("URL … (last accessed on September 26, 2021)")."""

from datetime import date

from pybtex.style.formatting.plain import Style as Plain
from pybtex.style.template import field, href, optional, sentence, words


class Style(Plain):
    """Plain, except for the access date of web sources."""

    def format_web_refs(self, e):
        url = field("url", raw=True)
        accessed = e.fields.get("urldate")
        return sentence[
            optional[words["URL:", href(url)[url],
                           f"(last accessed on {_long_date(accessed)})" if accessed else ""]],
            optional[self.format_doi(e)],
        ]


def _long_date(iso: str) -> str:
    """2021-09-26 → September 26, 2021, as the paper writes access dates."""
    day = date.fromisoformat(iso)
    return f"{day:%B} {day.day}, {day.year}"
