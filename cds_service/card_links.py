"""Where a card's links point: the SMART app launch URL (with appContext) and an absolute
fallback (cds-api.md "Cards": PANNET_CDS_SMART_APP_URL, default this server's own app)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlencode

from cds_service.hooks.request import HookRequest
from cds_service.settings import Settings


@dataclass(frozen=True)
class CardLinks:
    smart_launch_url: str
    absolute_url: str
    app_context: dict[str, str]


# `json.dumps(..., separators=(",", ":"))` builds a new encoder on every call; this is that
# encoder, built once (the same output: `dumps` only passes its arguments on to it).
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def app_context_json(app_context: dict[str, str]) -> str:
    """The SMART link's `appContext`: the context as compact JSON."""
    return _COMPACT.encode(app_context)


def card_links(settings: Settings, host_url: str, hook: HookRequest, card_uuid: str) -> CardLinks:
    base = (settings.base_url or host_url).rstrip("/")
    launch = settings.smart_app_url or f"{base}/smart/launch"
    context = {"patientId": hook.context.patient_id, "card": card_uuid}
    absolute = (
        f"{base}/smart/launch?{urlencode({'iss': hook.fhir_server})}"
        if hook.fhir_server
        else f"{base}/smart/"
    )
    return CardLinks(smart_launch_url=launch, absolute_url=absolute, app_context=context)
