"""One assessment → one CDS Hooks card (cds-api.md "Cards", clinical.md §5).

The draft orders arrive ready-made (built by `fhir_mappers.orders`); this module only wraps them
in suggestions. Whether the card is shown at all is `policy.should_show_card`'s decision.
"""

from __future__ import annotations

import hashlib
import uuid as uuid_lib
from collections.abc import Callable, Sequence
from typing import Any

from cds_service.cards.detail import build_detail, build_out_of_scope_detail
from cds_service.cards.errors import CardBuildError
from cds_service.cards.indicator import choose_indicator
from cds_service.cards.models import (
    Action,
    ActionType,
    Card,
    Link,
    LinkType,
    SelectionBehavior,
    Suggestion,
    uuid_bytes,
)
from cds_service.cards.override_reasons import override_reason_codings, override_reason_wires
from cds_service.cards.source import build_source, source_wire
from cds_service.cards.summary import build_summary
from cds_service.cards.wire import mark_built, mark_json_ready, model_json
from scoring.assessment import Assessment

EXTENSION_KEY = "org.pannet-cds.assessment"
SMART_LINK_LABEL = "Open the NET surveillance app"
ABSOLUTE_LINK_LABEL = "Open the NET surveillance app (without EHR launch)"

# (key, label): the key seeds the suggestion uuid, so feedback can tell CT from MRI.
_MODALITIES: tuple[tuple[str, str], ...] = (
    ("ct", "Schedule surveillance with CT"),
    ("mri", "Schedule surveillance with MRI"),
)


# The enum values the wire dicts carry, read once (`.value` is a property call on each read).
_CREATE = ActionType.CREATE.value
_SMART = LinkType.SMART.value
_ABSOLUTE = LinkType.ABSOLUTE.value
_AT_MOST_ONE = SelectionBehavior.AT_MOST_ONE.value


def uuid5_text(namespace: bytes, name: str) -> str:
    """`str(uuid.uuid5(UUID(bytes=namespace), name))`, without building the UUID object (its
    checks and formatting cost ~25x the SHA-1): the digest's first 16 bytes with the version
    (5) and RFC 4122 variant bits set, as hex in 8-4-4-4-12 groups."""
    digest = bytearray(hashlib.sha1(namespace + name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def suggestion_uuid(card_uuid: str, modality: str) -> str:
    """Stable per card and modality, so a repeated call yields the same suggestion ids."""
    return uuid5_text(uuid_lib.UUID(card_uuid).bytes, f"suggestion/{modality}")


def _describe(resource: dict[str, Any]) -> str:
    kind = resource["resourceType"]
    code = resource.get("code")
    text = None
    if isinstance(code, dict):
        text = code.get("text")
        codings = code.get("coding")
        if not text and isinstance(codings, list) and codings and isinstance(codings[0], dict):
            text = codings[0].get("display")
    return (
        f"Create draft {kind}: {text}" if isinstance(text, str) and text else f"Create draft {kind}"
    )


def _actions(resources: Sequence[dict[str, Any]], modality: str, json_ready: bool) -> list[Action]:
    actions = [Action.model_validate(wire) for wire in _action_wires(resources, modality)]
    if json_ready:
        for action in actions:
            mark_json_ready(action, action.resource)
    return actions


def build_suggestions(
    card_uuid: str,
    ct_orders: Sequence[dict[str, Any]],
    mri_orders: Sequence[dict[str, Any]],
    *,
    orders_json_ready: bool = False,
    namespace: bytes | None = None,
) -> list[Suggestion]:
    """CT and MRI are alternatives (clinical.md §4): one suggestion each, none recommended.
    `namespace`: `UUID(card_uuid).bytes`, if the caller parsed it already.

    `isRecommended` is sent even though CDS Hooks 2.0 makes it optional: some clients'
    response models require it (healthchain's `Suggestion`) and would reject the whole card."""
    suggestions = []
    if namespace is None:
        namespace = uuid_lib.UUID(card_uuid).bytes if ct_orders or mri_orders else b""
    for (key, label), orders in zip(_MODALITIES, (ct_orders, mri_orders), strict=True):
        if orders:
            suggestions.append(
                Suggestion(
                    label=label,
                    uuid=uuid5_text(namespace, f"suggestion/{key}"),
                    is_recommended=False,
                    actions=_actions(orders, key, orders_json_ready),
                )
            )
    return suggestions


def build_links(smart_launch_url: str, absolute_url: str, app_context: str) -> list[Link]:
    # autoLaunchable stated, not left to the default: as with isRecommended, some clients'
    # models require it; the app opens only when the clinician chooses to.
    return [
        Link.model_validate(wire)
        for wire in link_wires(smart_launch_url, absolute_url, app_context)
    ]


def _check_uuid(card_uuid: str) -> bytes:
    """The uuid's 16 bytes (the suggestions' uuid5 namespace), or CardBuildError."""
    try:
        return uuid_bytes(card_uuid)
    except CardBuildError:
        raise
    except ValueError as exc:
        raise CardBuildError(f"card_uuid is not a UUID: {card_uuid!r}") from exc


def _action_wires(resources: Sequence[dict[str, Any]], modality: str) -> list[dict[str, Any]]:
    """The wire dicts of the actions creating `resources` (passed through as they are; `_actions`
    validates them into models)."""
    actions = []
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise CardBuildError(
                f"{modality} order #{index} is not a FHIR resource (no resourceType)"
            )
        actions.append(
            {
                "type": _CREATE,
                "description": _describe(resource),
                "resource": resource,
            }
        )
    return actions


def suggestion_wires(
    namespace: bytes, ct_orders: Sequence[dict[str, Any]], mri_orders: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`build_suggestions`' wire dicts, for JSON-ready orders; `namespace`: the card uuid's
    bytes."""
    suggestions = []
    for (key, label), orders in zip(_MODALITIES, (ct_orders, mri_orders), strict=True):
        if orders:
            suggestions.append(
                {
                    "label": label,
                    "uuid": uuid5_text(namespace, f"suggestion/{key}"),
                    "isRecommended": False,
                    "actions": _action_wires(orders, key),
                }
            )
    return suggestions


def link_wires(smart_launch_url: str, absolute_url: str, app_context: str) -> list[dict[str, Any]]:
    """The SMART and absolute links' wire dicts (`build_links` validates them into models)."""
    smart: dict[str, Any] = {
        "label": SMART_LINK_LABEL,
        "url": smart_launch_url,
        "type": _SMART,
    }
    if app_context is not None:  # as `_drop_absent` leaves an absent appContext out
        smart["appContext"] = app_context
    smart["autoLaunchable"] = False
    absolute = {
        "label": ABSOLUTE_LINK_LABEL,
        "url": absolute_url,
        "type": _ABSOLUTE,
        "autoLaunchable": False,
    }
    return [smart, absolute]


def build_assessment_card(
    assessment: Assessment,
    *,
    service_id: str,
    ct_orders: list[dict],
    mri_orders: list[dict],
    smart_launch_url: str,
    absolute_url: str,
    app_context: str,
    card_uuid: str,
    orders_json_ready: bool = False,
) -> Card:
    """The assessment card. An out-of-scope assessment gives the brief "not assessed" card
    (no suggestions, whatever orders were passed). `orders_json_ready`: the orders hold JSON
    types only (as `suggested_orders` builds them), so the card's wire dict holds them as they
    are."""
    namespace = _check_uuid(card_uuid)
    if not assessment.in_scope:
        return build_out_of_scope_card(
            assessment,
            service_id=service_id,
            smart_launch_url=smart_launch_url,
            absolute_url=absolute_url,
            app_context=app_context,
            card_uuid=card_uuid,
        )
    detail = build_detail(assessment)

    def by_models() -> Card:
        return _card_by_models(
            assessment,
            service_id=service_id,
            card_uuid=card_uuid,
            detail=detail,
            suggestions=lambda: build_suggestions(
                card_uuid,
                ct_orders,
                mri_orders,
                orders_json_ready=orders_json_ready,
                namespace=namespace,
            ),
            links=lambda: build_links(smart_launch_url, absolute_url, app_context),
        )

    if not orders_json_ready:
        return by_models()  # only pydantic's dump knows the wire form of the orders
    return _card(
        assessment,
        card_uuid=card_uuid,
        detail=detail,
        suggestions=lambda: suggestion_wires(namespace, ct_orders, mri_orders),
        links=lambda: link_wires(smart_launch_url, absolute_url, app_context),
        by_models=by_models,
    )


def build_out_of_scope_card(
    assessment: Assessment,
    *,
    service_id: str,
    smart_launch_url: str,
    absolute_url: str,
    app_context: str,
    card_uuid: str,
) -> Card:
    _check_uuid(card_uuid)
    detail = build_out_of_scope_detail(assessment)
    return _card(
        assessment,
        card_uuid=card_uuid,
        detail=detail,
        suggestions=list,
        links=lambda: link_wires(smart_launch_url, absolute_url, app_context),
        by_models=lambda: _card_by_models(
            assessment,
            service_id=service_id,
            card_uuid=card_uuid,
            detail=detail,
            suggestions=list,
            links=lambda: build_links(smart_launch_url, absolute_url, app_context),
        ),
    )


def _card(
    assessment: Assessment,
    *,
    card_uuid: str,
    detail: str,
    suggestions: Callable[[], list[dict[str, Any]]],
    links: Callable[[], list[dict[str, Any]]],
    by_models: Callable[[], Card],
) -> Card:
    """The card's wire dict, built once and validated by `Card` in one `model_validate` (the
    nested models are made by pydantic, not one Python call each); `to_wire` then hands out
    that dict rather than dumping the models again. The dict is in wire form by construction:
    record text only in str fields, enum values, the orders JSON-ready, the assessment written
    out as JSON (`model_json`; the card holds the model, which pydantic dumps the same), absent
    fields left out, each model's fields in their declared order (tests/test_cards_built_wire.py
    checks its JSON equals that of pydantic's dump of the card). If it is
    invalid, `by_models` builds the card model by model, whose CardBuildError names the part
    at fault as it always did."""
    try:
        built = suggestions()
        wire: dict[str, Any] = {
            "uuid": card_uuid,
            "summary": build_summary(assessment),
            "detail": detail,
            "indicator": choose_indicator(assessment).value,
            "source": source_wire(assessment),
        }
        if built:
            wire["suggestions"] = built
            wire["selectionBehavior"] = _AT_MOST_ONE
        wire["overrideReasons"] = override_reason_wires()
        wire["links"] = links()
        wire["extension"] = {EXTENSION_KEY: model_json(assessment)}
        # The shared override-reason models themselves, not six new ones per card; the
        # assessment model in the extension, which a second `to_wire` dumps.
        card = Card.model_validate(
            {
                **wire,
                "overrideReasons": override_reason_codings(),
                "extension": {EXTENSION_KEY: assessment},
            }
        )
    except CardBuildError:
        raise
    except ValueError:
        return by_models()
    mark_built(card, wire)
    return card


def _card_by_models(
    assessment: Assessment,
    *,
    service_id: str,
    card_uuid: str,
    detail: str,
    suggestions: Callable[[], list[Suggestion]],
    links: Callable[[], list[Link]],
) -> Card:
    # The parts are built inside the try so every validation failure names the service.
    try:
        built = suggestions()
        card = Card(
            uuid=card_uuid,
            summary=build_summary(assessment),
            detail=detail,
            indicator=choose_indicator(assessment),
            source=build_source(assessment),
            suggestions=built or None,
            selection_behavior=SelectionBehavior.AT_MOST_ONE if built else None,
            override_reasons=override_reason_codings(),
            links=links(),
            extension={EXTENSION_KEY: assessment},
        )
    except CardBuildError:
        raise
    except ValueError as exc:
        raise CardBuildError(f"card for service {service_id!r} is invalid: {exc}") from exc
    return card
