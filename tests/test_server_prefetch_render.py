"""`render_prefetch` quotes a call's token values once (cds_service/hooks/prefetch.py): every
service's URLs are still those `render_template` gives per template."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cds_service.hooks.prefetch import render_prefetch, render_template
from cds_service.hooks.services import service_definitions

SERVICES = list(service_definitions("org.pannet-cds.pathology-report-sign").values())
TOKEN_NAMES = sorted(
    {
        name.strip()
        for service in SERVICES
        for spec in service.prefetch.values()
        for name in spec.template.replace("}}", "{{").split("{{")[1::2]
    }
    | {"context.unused", "userPatientId"}
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(TOKEN_NAMES), st.text(min_size=0, max_size=12)))
def test_each_url_is_the_one_render_template_gives(tokens):
    for service in SERVICES:
        expected = {
            key: url
            for key, spec in service.prefetch.items()
            if (url := render_template(spec.template, tokens)) is not None
        }
        assert render_prefetch(service, tokens) == expected


def test_templates_name_tokens():
    assert "context.patientId" in TOKEN_NAMES
