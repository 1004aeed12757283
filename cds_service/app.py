"""The Flask application factory: one blueprint per concern, resources set up per app."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_cors import CORS
from flask_cors.core import ACL_ORIGIN, ACL_REQUEST_HEADER_PRIVATE_NETWORK, FLASK_CORS_EVALUATED

from cds_service.blueprints import feedback, hooks, ops
from cds_service.blueprints.response_json import OrjsonProvider
from cds_service.errors import register_error_handlers
from cds_service.observability.flask_ext import init_observability
from cds_service.observability.logs import configure_logging
from cds_service.settings import Settings
from cds_service.smart.blueprint import bp as smart_bp
from cds_service.state import init_app

# The CORS resource (a regex flask_cors matches at the start of the path: "/cds-service", then
# any number of "s") and the prefix every path it matches starts with.
_CORS_RESOURCE = r"/cds-services*"
_CORS_PREFIX = "/cds-service"
# Where the WSGI environ holds the private-network request header, as werkzeug's request headers
# look it up: `key in request.environ` answers `header in request.headers` without the
# BadRequestKeyError (an HTTP exception, costly to build) a missing header raises there.
_PRIVATE_NETWORK_ENVIRON_KEY = "HTTP_" + ACL_REQUEST_HEADER_PRIVATE_NETWORK.upper().replace(
    "-", "_"
)


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings.from_env(serving=True)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    # Key order as built (no sorting); bodies encoded by orjson (blueprints/response_json.py).
    app.json = OrjsonProvider(app)
    configure_logging(settings.log_format)
    state = init_app(app, settings)
    init_observability(app, state)
    register_error_handlers(app)
    app.register_blueprint(ops.bp)
    app.register_blueprint(hooks.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(smart_bp)
    # Browser-based EHRs and the public CDS Hooks sandbox call the CDS endpoints cross-origin.
    # `Access-Control-Allow-Origin: *`, never an echo of the caller's Origin and never with
    # credentials: clients authenticate with a bearer JWT, not with cookies.
    CORS(
        app,
        resources={_CORS_RESOURCE: {"origins": "*"}},
        send_wildcard=True,
        supports_credentials=False,
        allow_headers=["Authorization", "Content-Type"],
        methods=["GET", "POST", "OPTIONS"],
        max_age=3600,
    )
    _answer_simple_cors_directly(app)
    return app


def _answer_simple_cors_directly(app: Flask) -> None:
    """flask_cors's after-request function, with its commonest case answered directly.

    For a request that is not a preflight, to a path under `/cds-services` (without `%`, which
    flask_cors decodes once more before matching), without the private-network header, the
    configuration above gives exactly one header, `Access-Control-Allow-Origin: *` (whatever
    the Origin); flask_cors works that out anew per call (resource regexes, option lookups,
    debug-log arguments), ~20 us. Every other request, and a response that already carries
    CORS headers, goes to flask_cors as before (tests/test_server_cors.py compares the two)."""
    functions = app.after_request_funcs[None]
    (index,) = [i for i, f in enumerate(functions) if f.__name__ == "cors_after_request"]
    flask_cors_after_request = functions[index]

    def cors_after_request(response: Response) -> Response:
        # The request once, not through its proxy at every use.
        req = request._get_current_object()  # type: ignore[attr-defined]
        path = req.path
        headers = response.headers
        if (
            req.method == "OPTIONS"
            or not path.startswith(_CORS_PREFIX)
            or "%" in path
            or _PRIVATE_NETWORK_ENVIRON_KEY in req.environ
            # `ACL_ORIGIN in response.headers` without the KeyError an absent header raises
            or headers.getlist(ACL_ORIGIN)
            or hasattr(response, FLASK_CORS_EVALUATED)
        ):
            return flask_cors_after_request(response)
        headers.add(ACL_ORIGIN, "*")
        return response

    functions[index] = cors_after_request
