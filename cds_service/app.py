"""The Flask application factory: one blueprint per concern, resources set up per app."""

from __future__ import annotations

from flask import Flask
from flask_cors import CORS

from cds_service.blueprints import feedback, hooks, ops
from cds_service.blueprints.response_json import OrjsonProvider
from cds_service.errors import register_error_handlers
from cds_service.observability.flask_ext import init_observability
from cds_service.observability.logs import configure_logging
from cds_service.settings import Settings
from cds_service.smart.blueprint import bp as smart_bp
from cds_service.state import init_app


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
        resources={r"/cds-services*": {"origins": "*"}},
        send_wildcard=True,
        supports_credentials=False,
        allow_headers=["Authorization", "Content-Type"],
        methods=["GET", "POST", "OPTIONS"],
        max_age=3600,
    )
    return app
