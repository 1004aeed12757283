"""Profile the hook path in one process (not part of CI):

    PYTHONPATH=. .venv/bin/python -m bench.profile_hook [--calls 300] [--database-url URL]

Builds the real app (JWT verification on, a fresh SQLite file unless --database-url), sends
signed patient-view calls with full prefetch through Flask's test client, and prints the
per-call wall time and cProfile's top functions by cumulative and by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import pstats
import tempfile
import time
from pathlib import Path

from bench.run import SERVICE_PATH, bodies, in_process_caller
from cds_service.app import create_app
from cds_service.server import warm_up
from cds_service.settings import Settings
from tests.support.jwt_issuer import JwtIssuer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="pannet-profile-"))
    issuer = JwtIssuer()
    jwks = issuer.write_jwks(work / "jwks.json")
    settings = Settings(
        trusted_issuers_json=json.dumps({issuer.iss: str(jwks)}),
        database_url=args.database_url or f"sqlite:///{work / 'cds.sqlite3'}",
        log_format="text",
        base_url="http://localhost",
    )
    app = create_app(settings)
    logging.disable(logging.INFO)  # the profile is about the call, not the log lines
    warm_up()
    client = app.test_client()
    audience = f"http://localhost{SERVICE_PATH}"
    payloads = bodies(None)
    tokens = [issuer.mint(aud=audience) for _ in range(args.calls + 20)]

    call = in_process_caller(client, SERVICE_PATH, payloads, tokens)

    for n in range(20):
        call(args.calls + n)
    start = time.perf_counter()
    for n in range(args.calls):
        call(n)
    plain = (time.perf_counter() - start) / args.calls
    # fresh tokens for the profiled round: the first ones are spent (replay protection)
    call = in_process_caller(
        client, SERVICE_PATH, payloads, [issuer.mint(aud=audience) for _ in range(args.calls)]
    )
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(args.calls):
        call(n)
    profiler.disable()
    print(f"{plain * 1000:.2f} ms per call without the profiler ({args.calls} calls)")
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
