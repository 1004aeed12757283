"""The framework floor: a Flask endpoint that parses the same JSON body and returns one fixed
card, served by the same gunicorn configuration as pannet-cds (`cds_service.server`)."""

from __future__ import annotations

import json
import sys

from flask import Flask, Response, request
from gunicorn.app.base import BaseApplication

from cds_service.server import server_options
from cds_service.settings import Settings

CARD = {
    "cards": [
        {
            "uuid": "7d3b9c1e-2f4a-4b5c-8d6e-9f0a1b2c3d4e",
            "summary": "Recurrence risk: intermediate",
            "indicator": "warning",
            "source": {"label": "floor"},
        }
    ]
}


def create_floor_app() -> Flask:
    app = Flask(__name__)

    @app.post("/cds-services/<service_id>")
    def call(service_id: str) -> Response:
        body = json.loads(request.get_data(cache=False))
        if not isinstance(body, dict) or "hookInstance" not in body:
            return Response("bad", status=400)
        return app.response_class(json.dumps(CARD), mimetype="application/json")

    @app.get("/healthz")
    def healthz() -> Response:
        return app.response_class('{"status":"ok"}', mimetype="application/json")

    return app


class _Floor(BaseApplication):
    def __init__(self, options: dict[str, object]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_floor_app()


if __name__ == "__main__":
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    options = server_options(Settings(), host="127.0.0.1", port=port, workers=workers)
    # no metrics and nothing of pannet-cds to warm up here
    options.pop("child_exit")
    options.pop("post_worker_init")
    _Floor(options).run()
