"""Prefetch templates rendered from their parts split once (`hooks.prefetch.render_template`)
give what substituting every `{{token}}` in the template gives."""

from __future__ import annotations

import re
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from cds_service.hooks.prefetch import _TOKEN, render_template
from cds_service.hooks.services import service_definitions

TEMPLATES = sorted(
    {
        spec.template
        for service in service_definitions().values()
        for spec in service.prefetch.values()
    }
    | {
        "Patient/{{context.patientId}}",
        "{{ context.patientId }}x{{userPractitionerId}}",
        "plain",
        "",
    }
)
NAMES = sorted({m.group(1) for t in TEMPLATES for m in _TOKEN.finditer(t)})


def _by_substitution(template: str, tokens: dict[str, str]) -> str | None:
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        value = tokens.get(match.group(1))
        if value is None:
            missing = True
            return ""
        return quote(value, safe="/")

    rendered = _TOKEN.sub(fill, template)
    return None if missing else rendered


@given(
    st.sampled_from(TEMPLATES),
    st.dictionaries(st.sampled_from(NAMES), st.text(max_size=8), max_size=len(NAMES)),
)
def test_rendering_is_substitution(template: str, tokens: dict[str, str]) -> None:
    assert render_template(template, tokens) == _by_substitution(template, tokens)
