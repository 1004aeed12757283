"""A local test EHR for the SMART app (`./dev demo` and the tests; never for production): a real
OAuth 2 authorization server built with Authlib (authorization code, PKCE S256 required of every
client, bearer tokens carrying the SMART launch context) in front of a real FHIR server, reached
through a proxy that enforces those tokens and their patient/*.rs|c scopes. It also serves an
"EHR page" that frames the app, as an EHR does.

Run on 127.0.0.1 in a thread; the EHR page is addressed as `localhost` so that the framed app is
cross-site, as it is in production.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import urlencode

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import Flask, Response, jsonify, request

from cds_service.demo.ehr_fhir_proxy import Token, proxy
from cds_service.demo.loopback import BackgroundServer, free_loopback_port, serve_wsgi

FHIR_JSON = "application/fhir+json"
USER = "Practitioner/test-clinician"


@dataclass
class Client:
    client_id: str
    redirect_uris: list[str]
    client_secret: str | None = None

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return scope

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.client_secret is not None and secrets.compare_digest(
            client_secret, self.client_secret
        )

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        expected = "client_secret_basic" if self.client_secret else "none"
        return endpoint != "token" or method == expected

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass
class User:
    def get_user_id(self) -> str:
        return USER


@dataclass
class Code:
    code: str
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None
    context: dict[str, Any]

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class StrictPkce(CodeChallenge):
    """RFC 7636 with S256 required of every client, confidential ones included."""

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge") or data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE with code_challenge_method=S256 is required")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)


@dataclass
class EhrState:
    clients: dict[str, Client] = field(default_factory=dict)
    launches: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    standalone_patient: str | None = None
    token_requests: list[dict[str, str]] = field(default_factory=list)


class LoopbackEhr:
    """Use as a context manager; `iss` is the FHIR base the app is launched with."""

    def __init__(self, upstream_fhir: str, *, token_lifetime_s: int = 3600) -> None:
        self.upstream = upstream_fhir.rstrip("/")
        self.port = free_loopback_port()
        self.root = f"http://127.0.0.1:{self.port}"
        self.iss = f"{self.root}/fhir"
        self.state = EhrState()
        self.token_lifetime_s = token_lifetime_s
        self._server: BackgroundServer | None = None
        self.app = self._build_app()

    # --- test controls -------------------------------------------------------------------
    def register_client(self, client_id: str, redirect_uri: str, secret: str | None = None) -> None:
        self.state.clients[client_id] = Client(client_id, [redirect_uri], secret)

    def new_launch(
        self,
        patient: str | None,
        *,
        app_context: str | None = None,
        need_patient_banner: bool = True,
    ) -> str:
        """A launch from a patient's chart, or with `patient=None` from the EHR's own menu (a
        practitioner launch: no patient in context, user-level scopes)."""
        launch = secrets.token_urlsafe(12)
        self.state.launches[launch] = {
            "patient": patient,
            "appContext": app_context,
            "need_patient_banner": need_patient_banner,
        }
        return launch

    def ehr_page_url(self, launch: str, app_launch_url: str) -> str:
        """The EHR's chart page (addressed as localhost: cross-site to the app) framing the app."""
        query = urlencode({"app": app_launch_url, "launch": launch})
        return f"http://localhost:{self.port}/ehr?{query}"

    def expire_tokens(self) -> None:
        for token in self.state.tokens.values():
            token.expires_at = time.time() - 1

    def set_upstream(self, url: str) -> str:
        previous, self.upstream = self.upstream, url.rstrip("/")
        return previous

    # --- server ------------------------------------------------------------------------
    def _build_app(self) -> Flask:
        app = Flask("test-ehr")
        app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": self.token_lifetime_s}
        server = AuthorizationServer(
            app, query_client=self.state.clients.get, save_token=self._save_token
        )
        grant = self._grant_class()
        server.register_grant(grant, [StrictPkce(required=True), self._add_launch_context])
        ehr = self

        @app.get("/fhir/.well-known/smart-configuration")
        def smart_configuration() -> Response:
            return jsonify(
                {
                    "issuer": ehr.root,
                    "authorization_endpoint": f"{ehr.root}/auth/authorize",
                    "token_endpoint": f"{ehr.root}/auth/token",
                    "capabilities": [
                        "launch-ehr",
                        "launch-standalone",
                        "client-public",
                        "client-confidential-symmetric",
                        "context-ehr-patient",
                        "context-standalone-patient",
                        "permission-patient",
                        "permission-user",
                        "permission-v2",
                    ],
                    "code_challenge_methods_supported": ["S256"],
                }
            )

        @app.route("/auth/authorize", methods=["GET", "POST"])
        def authorize() -> Response | tuple[str, int]:
            try:
                consent = server.get_consent_grant(end_user=User())
            except OAuth2Error as exc:
                return (
                    f"<h1>Invalid authorization request</h1><p>{escape(exc.description)}</p>",
                    400,
                )
            problem = ehr._check_launch(request.values)
            if problem:
                return f"<h1>Invalid authorization request</h1><p>{escape(problem)}</p>", 400
            if request.method == "GET":
                return ehr._consent_page(consent.client.client_id, request.values.get("scope", ""))
            user = User() if request.form.get("decision") == "allow" else None
            return server.create_authorization_response(grant_user=user, grant=consent)

        @app.post("/auth/token")
        def token() -> Response:
            basic = request.authorization is not None and request.authorization.type == "basic"
            ehr.state.token_requests.append({**request.form, "basic_auth": str(basic)})
            return server.create_token_response()

        @app.get("/ehr")
        def ehr_page() -> str:
            query = urlencode({"iss": ehr.iss, "launch": request.args["launch"]})
            src = f"{request.args['app']}?{query}"
            return (
                "<!doctype html><title>Test EHR</title><h1 style='font:16px sans-serif'>Test EHR"
                f" chart</h1><iframe id='app' title='PanNET app' src='{escape(src)}'"
                " style='width:100%;height:3200px;border:1px solid #888'></iframe>"
            )

        @app.route("/fhir/<path:path>", methods=["GET", "POST"])
        def fhir(path: str) -> Response:
            return proxy(path, ehr.state.tokens, ehr.upstream, ehr.iss)

        return app

    def _grant_class(self) -> type:
        ehr = self

        class Grant(grants.AuthorizationCodeGrant):
            TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "none")

            def save_authorization_code(self, code: str, req: Any) -> None:
                data = req.payload.data
                ehr.state.codes[code] = Code(
                    code=code,
                    client_id=req.client.client_id,
                    redirect_uri=data.get("redirect_uri"),
                    scope=data.get("scope", ""),
                    code_challenge=data.get("code_challenge"),
                    code_challenge_method=data.get("code_challenge_method"),
                    context=ehr._context_for(data),
                )

            def query_authorization_code(self, code: str, client: Client) -> Code | None:
                found = ehr.state.codes.get(code)
                return found if found and found.client_id == client.client_id else None

            def delete_authorization_code(self, authorization_code: Code) -> None:
                ehr.state.codes.pop(authorization_code.code, None)

            def authenticate_user(self, authorization_code: Code) -> User:
                return User()

        return Grant

    def _add_launch_context(self, grant: Any) -> None:
        """Grant extension: the token response carries the launch context (SMART 2.x)."""

        def add(grant: Any, result: tuple[int, dict, list]) -> None:
            status, body, _ = result
            if status == 200:
                code: Code = grant.request.authorization_code
                body.update({k: v for k, v in code.context.items() if v is not None})
                self.state.tokens[body["access_token"]].patient = code.context["patient"] or ""

        grant.register_hook("after_create_token_response", add)

    def _check_launch(self, values: Any) -> str | None:
        if values.get("aud", "").rstrip("/") != self.iss:
            return "aud must be this server's FHIR base URL"
        scopes = values.get("scope", "").split()
        if values.get("launch"):
            return None if values["launch"] in self.state.launches else "unknown launch"
        if "launch/patient" in scopes and self.state.standalone_patient:
            return None
        if any(s.startswith("user/") for s in scopes):
            return None  # a practitioner signing in to the app on its own: no patient needed
        return (
            "no launch context: EHR launch needs 'launch', standalone needs 'launch/patient' "
            "or user-level scopes"
        )

    def _context_for(self, data: Any) -> dict[str, Any]:
        if data.get("launch"):
            return dict(self.state.launches[data["launch"]])
        if "launch/patient" not in data.get("scope", "").split():
            return {"patient": None, "need_patient_banner": True}
        return {"patient": self.state.standalone_patient, "need_patient_banner": True}

    def _consent_page(self, client_id: str, scope: str) -> str:
        return (
            "<!doctype html><title>Authorize</title><h1>Allow access?</h1>"
            f"<p>{escape(client_id)} asks for: {escape(scope)}</p>"
            "<form method='post'><button name='decision' value='allow'>Allow</button>"
            "<button name='decision' value='deny'>Deny</button></form>"
        )

    def _save_token(self, token: dict[str, Any], req: Any) -> None:
        self.state.tokens[token["access_token"]] = Token(
            scope=set(token.get("scope", "").split()),
            patient="",
            expires_at=time.time() + float(token.get("expires_in", 3600)),
        )

    def __enter__(self) -> LoopbackEhr:
        self._server = serve_wsgi(self.app, port=self.port, quiet=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.stop()
