"""`app_context_json` reuses one compact encoder; it must give what
`json.dumps(context, separators=(",", ":"))` gives (the call it replaced in blueprints/hooks.py)."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from cds_service.card_links import app_context_json


@given(st.dictionaries(st.text(), st.text()))
def test_agrees_with_json_dumps(context):
    assert app_context_json(context) == json.dumps(context, separators=(",", ":"))


def test_the_two_keys_a_card_link_carries():
    context = {"patientId": "p-1", "card": "0b0c8e0e-6a39-4bd2-9c54-9b6c5f1f7a01"}
    assert app_context_json(context) == (
        '{"patientId":"p-1","card":"0b0c8e0e-6a39-4bd2-9c54-9b6c5f1f7a01"}'
    )
