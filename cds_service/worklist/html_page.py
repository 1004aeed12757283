"""The worklist as one self-contained HTML page (`pannet-cds worklist --format html`): counts per
state, the cohort's tier distribution as an inline SVG chart, and one sortable table in the
worklist's urgency order. No external resource: the CSS and the sorting script are inlined and
a Content-Security-Policy allows exactly those two (by hash) and nothing else.

The sections (`render_worklist_body`) are shared with the SMART app's worklist page, which
frames them with its own page and serves the same CSS and script as files. Every value is
escaped by Jinja2's autoescape: a patient's name is whatever the EHR recorded.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from functools import cache
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from cds_service.worklist.html_view import PageView, page_view
from cds_service.worklist.models import Worklist

_ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def keep_dates_whole(text: str) -> Markup:
    """`text` escaped, with each ISO date kept on one line (a browser breaks at its hyphens
    otherwise: "2025-" / "10-27"). The pattern matches digits and hyphens only, so wrapping
    the escaped text cannot let markup through."""
    return Markup(_ISO_DATE.sub(r'<span class="wl-fact">\g<0></span>', str(escape(text))))


@cache
def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("cds_service.worklist", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=False,
    )
    environment.filters["dates"] = keep_dates_whole
    return environment


@cache
def asset(name: str) -> str:
    """One of the page's files (worklist.css, worklist.js, page.css), as text."""
    return files("cds_service.worklist").joinpath("assets", name).read_text(encoding="utf-8")


def _hash(source: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()


def render_worklist_body(
    worklist: Worklist, patient_href: Callable[[str], str] | None = None
) -> Markup:
    """The summary, chart and table sections; `patient_href(id)` links each row."""
    return _body(page_view(worklist, patient_href))


def _body(view: PageView) -> Markup:
    return Markup(_environment().get_template("_body.html").render(view=view))


def render_worklist_html(worklist: Worklist) -> str:
    css = asset("page.css") + asset("worklist.css")
    js = asset("worklist.js")
    # `</` would end the element early; the assets are ours, so this guards an edit of them.
    if "</" in css or "</" in js:
        raise ValueError("an inlined asset contains '</'")
    csp = (
        f"default-src 'none'; style-src '{_hash(css)}'; script-src '{_hash(js)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    view = page_view(worklist)
    return (
        _environment()
        .get_template("page.html")
        .render(
            view=view,
            body=_body(view),
            css=Markup(css),
            js=Markup(js),
            csp=csp,
        )
    )
