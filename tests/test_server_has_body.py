"""`blueprints.hooks._has_body` says what `bool(request.content_length) or "Transfer-Encoding" in
request.headers` said, for any Content-Length and Transfer-Encoding a client may send."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from werkzeug.wrappers import Request

from cds_service.blueprints.hooks import _has_body

LENGTHS = st.one_of(
    st.none(),
    st.sampled_from(["", "0", "1", "12", "-1", " 3 ", "1_0", "abc", "00", "+5", "9" * 30]),
    st.integers(min_value=-5, max_value=10**6).map(str),
)
ENCODINGS = st.one_of(st.none(), st.sampled_from(["", "chunked", "gzip", "Chunked", "identity"]))


@given(LENGTHS, ENCODINGS)
def test_has_body_is_the_request_headers_check(length: str | None, encoding: str | None) -> None:
    environ: dict[str, object] = {"REQUEST_METHOD": "POST", "wsgi.input": None}
    if length is not None:
        environ["CONTENT_LENGTH"] = length
    if encoding is not None:
        environ["HTTP_TRANSFER_ENCODING"] = encoding
    request = Request(environ)
    expected = bool(request.content_length) or "Transfer-Encoding" in request.headers
    assert _has_body(environ) == expected
