"""What the SMART app holds per Flask app: its configuration and session store, built once when
the blueprint is registered (after `cds_service.state.init_app`)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from cds_service.smart.config import SmartConfig, parse_smart_config
from cds_service.smart.sessions import SessionStore, sessions_table
from cds_service.state import ServiceState

_EXTENSION = "pannet_cds_smart"


@dataclass(frozen=True)
class SmartState:
    config: SmartConfig
    store: SessionStore


def init_smart(app: Flask) -> SmartState:
    service: ServiceState = app.extensions["pannet_cds"]
    settings = service.settings
    sessions_table.create(service.engine, checkfirst=True)
    state = SmartState(
        config=parse_smart_config(settings.smart_issuers_json, settings.smart_frame_ancestors),
        store=SessionStore(service.engine),
    )
    app.extensions[_EXTENSION] = state
    return state


def smart_state() -> SmartState:
    return current_app.extensions[_EXTENSION]
