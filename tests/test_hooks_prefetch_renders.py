"""`hooks.prefetch.renders` says exactly when `render_template` gives a URL (not None), and
gathering builds URLs only for the keys it fetches: the keys skipped, fetched and named in a
412 are the ones the rendered URLs of every key gave before (`render_prefetch`)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cds_service.hooks.prefetch import _TOKEN, render_prefetch, render_template, renders
from cds_service.hooks.services import service_definitions

SERVICES = service_definitions()
TEMPLATES = sorted(
    {spec.template for service in SERVICES.values() for spec in service.prefetch.values()}
    | {"Patient/{{context.patientId}}", "{{ context.patientId }}x{{userPractitionerId}}", "", "x"}
)
NAMES = sorted({m.group(1) for t in TEMPLATES for m in _TOKEN.finditer(t)} | {"other"})


@given(
    st.sampled_from(TEMPLATES),
    st.dictionaries(st.sampled_from(NAMES), st.text(max_size=8), max_size=len(NAMES)),
)
def test_renders_is_render_template_not_none(template: str, tokens: dict[str, str]) -> None:
    assert renders(template, tokens) == (render_template(template, tokens) is not None)


@given(st.dictionaries(st.sampled_from(NAMES), st.text(max_size=8), max_size=len(NAMES)))
def test_the_keys_that_render_are_render_prefetchs_keys(tokens: dict[str, str]) -> None:
    for service in SERVICES.values():
        rendered = render_prefetch(service, tokens)
        assert [k for k, s in service.prefetch.items() if renders(s.template, tokens)] == list(
            rendered
        )
        for key, url in rendered.items():
            assert render_template(service.prefetch[key].template, tokens) == url
