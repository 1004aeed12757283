"""The one way this service makes an outbound HTTP session (FHIR servers, JWK Sets, the SMART
app's EHR calls): pooled, no retries, no cookies, nothing taken from the environment.

- Cookies: a FHIR server's `Set-Cookie` on one caller's call must never ride along on another
  caller's (or another SMART user's) request, so the jar refuses every cookie
  (`DefaultCookiePolicy(allowed_domains=[])` accepts and returns none).
- `trust_env = False`: no `~/.netrc` credentials, proxy variables or CA bundle variables of the
  host are applied to requests that carry a caller's bearer token.
"""

from __future__ import annotations

from http.cookiejar import DefaultCookiePolicy

import requests
from requests.adapters import HTTPAdapter

USER_AGENT = "pannet-cds"


def refusing_cookie_jar() -> requests.cookies.RequestsCookieJar:
    return requests.cookies.RequestsCookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def outbound_session(pool_connections: int = 16, pool_maxsize: int = 32) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.cookies = refusing_cookie_jar()
    # Connection pooling for FHIR servers; retries are not wanted inside a time budget.
    adapter = HTTPAdapter(
        pool_connections=pool_connections, pool_maxsize=pool_maxsize, max_retries=0
    )
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session
