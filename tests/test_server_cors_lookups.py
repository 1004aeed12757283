"""The two header look-ups of the app's direct CORS answer (cds_service/app.py) say what
`header in headers` says: the private-network request header by its WSGI environ key, and a CORS
header already on the response by `getlist` (neither raises werkzeug's BadRequestKeyError)."""

from __future__ import annotations

from flask_cors.core import ACL_ORIGIN, ACL_REQUEST_HEADER_PRIVATE_NETWORK
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import EnvironHeaders, Headers

from cds_service.app import _PRIVATE_NETWORK_ENVIRON_KEY

ENVIRON_KEYS = [
    _PRIVATE_NETWORK_ENVIRON_KEY,
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD",
    "HTTP_ORIGIN",
    "CONTENT_TYPE",
    "CONTENT_LENGTH",
    "ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK",
    "HTTP_ACCESS_CONTROL_REQUEST_PRIVATE_NETWORKX",
]
NAMES = [
    ACL_ORIGIN,
    ACL_ORIGIN.lower(),
    ACL_ORIGIN.upper(),
    "Access-Control-Allow-Origins",
    "Access-Control-Allow-Methods",
    "Content-Type",
    "Vary",
]


@given(st.dictionaries(st.sampled_from(ENVIRON_KEYS), st.sampled_from(["", "true", "x"])))
def test_the_environ_key_is_the_request_header(environ: dict[str, str]) -> None:
    headers = EnvironHeaders(environ)
    assert (ACL_REQUEST_HEADER_PRIVATE_NETWORK in headers) == (
        _PRIVATE_NETWORK_ENVIRON_KEY in environ
    )


@given(st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(["*", "", "x"]))))
def test_getlist_tells_a_response_header_as_in_does(pairs: list[tuple[str, str]]) -> None:
    headers = Headers(pairs)
    assert bool(headers.getlist(ACL_ORIGIN)) == (ACL_ORIGIN in headers)
