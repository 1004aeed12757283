"""healthchain's CDS Hooks service returning one card (run in its own virtualenv; see run.py).

Served by uvicorn with the same number of worker processes as the other targets: healthchain
is an ASGI (FastAPI) application, so gunicorn's gthread workers cannot serve it."""

from __future__ import annotations

from healthchain.gateway import CDSHooksService, HealthChainAPI
from healthchain.models import Card, CDSRequest, CDSResponse

app = HealthChainAPI(title="bench")
cds = CDSHooksService()


@cds.hook("patient-view", id="bench-patient-view")
def patient_view(request: CDSRequest) -> CDSResponse:
    return CDSResponse(
        cards=[
            Card(
                summary="Recurrence risk: intermediate",
                indicator="warning",
                source={"label": "healthchain"},
            )
        ]
    )


app.register_service(cds)
