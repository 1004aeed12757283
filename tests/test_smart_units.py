"""SMART app pieces on their own: configuration, sessions, what-if parsing, timeline, scopes."""

from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import select

from cds_service.db import create_schema, make_engine
from cds_service.settings import ConfigurationError
from cds_service.smart.config import default_scope, parse_smart_config
from cds_service.smart.errors import SessionExpired, SessionInvalid
from cds_service.smart.page_context import may_create
from cds_service.smart.sessions import (
    SessionStore,
    SmartSession,
    Stage,
    new_launch_id,
    new_secret,
    sessions_table,
)
from cds_service.smart.timeline import build_timeline
from cds_service.smart.whatif import ENTERED_SOURCE, FIELDS, apply_what_if, parse_form
from scoring.assessment import SurveillancePlan, Tier
from scoring.inputs import ClinicalInputs, Fact, ImagingEvent, ImagingState


def test_issuers_are_parsed_and_normalised():
    config = parse_smart_config(
        '{"https://ehr.example.org/fhir/": {"client_id": "a", "client_secret": "hunter2-secret"}}',
        "'self'",
    )
    issuer = config.issuer("https://ehr.example.org/fhir")
    assert issuer is not None and issuer.confidential
    assert "hunter2" not in repr(issuer)  # the secret never shows in a repr or log line
    assert config.issuer("https://other.example.org/fhir") is None
    assert not config.framed


@pytest.mark.parametrize(
    ("issuers", "ancestors", "needle"),
    [
        ("not json", "'self'", "not valid JSON"),
        ("[]", "'self'", "JSON object"),
        ('{"ftp://x/fhir": {"client_id": "a"}}', "'self'", "http(s) FHIR base"),
        ('{"https://x/fhir": {"client_id": ""}}', "'self'", "client_id"),
        ('{"https://x/fhir": {"client_id": "a", "extra": 1}}', "'self'", "extra"),
        ("{}", "https://ehr.example.org; script-src *", "FRAME_ANCESTORS"),
    ],
)
def test_bad_configuration_is_refused_naming_the_variable(issuers, ancestors, needle):
    with pytest.raises(ConfigurationError, match="PANNET_CDS_SMART") as err:
        parse_smart_config(issuers, ancestors)
    assert needle in str(err.value)


def test_framing_by_another_origin_is_detected():
    assert parse_smart_config("{}", "'self' https://ehr.example.org").framed


def test_default_scopes_are_smart_v2():
    scope = default_scope(["Patient", "Observation", "Patient"], ehr_launch=True).split()
    assert scope[:3] == ["launch", "openid", "fhirUser"]
    assert scope.count("patient/Patient.rs") == 1 and "patient/ServiceRequest.c" in scope
    assert default_scope([], ehr_launch=False).startswith("launch/patient ")


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        ("patient/ServiceRequest.c", True),
        ("patient/ServiceRequest.cruds", True),
        ("user/*.cud", True),
        ("patient/ServiceRequest.write", True),
        ("patient/ServiceRequest.rs", False),
        ("patient/Observation.c", False),
        ("", False),
    ],
)
def test_create_permission_from_scopes(scope, allowed):
    assert may_create(scope, "ServiceRequest") is allowed


@pytest.fixture
def store(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 's.sqlite3'}")
    create_schema(engine)
    return SessionStore(engine), engine


def session() -> SmartSession:
    return SmartSession(
        iss="https://ehr/fhir",
        stage=Stage.AUTHORIZING,
        redirect_uri="https://app/cb",
        token_endpoint="https://ehr/token",
        requested_scope="launch",
        code_verifier="VERIFIER",
    )


def test_sessions_are_encrypted_and_bound_to_the_browser(store):
    sessions, engine = store
    secret, lid = new_secret(), new_launch_id()
    sessions.create(lid, secret, session())
    with engine.connect() as conn:
        payload = conn.execute(select(sessions_table.c.payload)).scalar_one()
    assert b"VERIFIER" not in payload and b"https://ehr" not in payload
    assert sessions.load(lid, secret).session.code_verifier == "VERIFIER"
    with pytest.raises(SessionInvalid):
        sessions.load(lid, new_secret())
    with pytest.raises(SessionInvalid):
        sessions.load(lid, None)


def test_a_stale_copy_cannot_overwrite_a_newer_one(store):
    sessions, _ = store
    secret, lid = new_secret(), new_launch_id()
    sessions.create(lid, secret, session())
    first, second = sessions.load(lid, secret), sessions.load(lid, secret)
    sessions.save(first, secret, first.session, extend=True)
    with pytest.raises(SessionInvalid):
        sessions.save(second, secret, second.session, extend=True)


def test_expired_sessions_are_refused(store):
    sessions, engine = store
    secret, lid = new_secret(), new_launch_id()
    sessions.create(lid, secret, session())
    with engine.begin() as conn:
        conn.execute(sessions_table.update().values(expires_at=time.time() - 1))
    with pytest.raises(SessionExpired):
        sessions.load(lid, secret)


def test_what_if_overrides_only_unknown_inputs_and_marks_them():
    inputs = ClinicalInputs(tumor_size_cm=Fact(2.4, ("Observation/size",)))
    allowed = [f for f in FIELDS if f.name != "tumor_size_cm"]
    form, error = parse_form({"ki67_percent": "12.5", "symptomatic": "yes"}, allowed)
    assert error == ""
    changed = apply_what_if(inputs, form)
    assert changed.ki67_percent == Fact(12.5, (ENTERED_SOURCE,), "not from the record")
    assert changed.symptomatic.value is True and changed.tumor_size_cm == inputs.tumor_size_cm
    form, error = parse_form({"tumor_size_cm": "1"}, allowed)
    assert form is None and "already has a value" in error


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"ki67_percent": "101"}, "Ki-67"),
        ({"ki67_percent": "abc"}, "Ki-67"),
        ({"nodes_examined": "3", "nodes_positive": "5"}, "cannot exceed"),
        ({"symptomatic": "maybe"}, "Symptomatic"),
    ],
)
def test_what_if_rejects_bad_values_naming_the_field(raw, needle):
    form, error = parse_form(raw, list(FIELDS))
    assert form is None and needle in error


def test_timeline_states_follow_the_plan():
    plan = SurveillancePlan(
        tier=Tier.HIGH,
        basis="b",
        anchor_date="2024-03-04",
        schedule_months=[6, 12, 18, 24],
        schedule_dates=["2024-09-04", "2025-03-04", "2025-09-04", "2026-03-04"],
        next_due="2025-09-04",
        due_now=True,
        overdue=True,
        overdue_since="2025-03-04",
        missed_dates=["2025-03-04", "2025-09-04"],
    )
    imaging = (
        ImagingEvent(date(2024, 9, 10), ImagingState.DONE, "ImagingStudy/a"),
        ImagingEvent(date(2023, 1, 1), ImagingState.DONE, "ImagingStudy/before-surgery"),
    )
    timeline = build_timeline(plan, imaging, date(2025, 11, 1))
    # an exam never done is "missed", not a neutral "past"; the one the plan is overdue for
    assert [e.state for e in timeline.exams] == ["done", "missed", "overdue", "planned"]
    assert [m.source for m in timeline.imaging] == ["ImagingStudy/a"]
    xs = [e.x for e in timeline.exams]
    assert xs == sorted(xs) and xs[0] >= 40 and xs[-1] <= 960
    assert build_timeline(plan.model_copy(update={"anchor_date": None}), (), date.today()) is None
    listed = [(m.when.isoformat(), m.state) for m in timeline.as_list()]
    assert listed[:3] == [("2024-09-04", "done"), ("2024-09-10", "done"), ("2025-03-04", "missed")]
    assert ("2025-11-01", "today") in listed and listed[-1] == ("2026-03-04", "planned")
    # on a narrow screen: the next two planned exams, the later ones summed up in one line
    more = ["2026-09-04", "2027-03-04", "2027-09-04"]
    long = plan.model_copy(
        update={
            "schedule_months": [6, 12, 18, 24, 30, 36, 42],
            "schedule_dates": [*plan.schedule_dates, *more],
        }
    )
    tail = build_timeline(long, imaging, date(2025, 11, 1)).as_list()
    assert [m.state for m in tail[-4:]] == ["today", "planned", "planned", "more"]
    assert tail[-1].label == "2 more planned exams, to 2027-09-04"
    later = plan.model_copy(update={"overdue": False, "due_now": False, "next_due": "2026-03-04"})
    assert build_timeline(later, imaging, date(2025, 11, 1)).exams[-1].state == "planned"


def test_unknown_inputs_a_failed_query_may_have_held_are_named():
    from cds_service.smart.unread_inputs import INPUT_SOURCE_TYPES, unread_inputs
    from scoring.assessment import InputResult

    inputs = [
        InputResult(id="ki67_percent", label="Ki-67", value=None),
        InputResult(id="tumor_size_cm", label="Size", value=2.4, sources=["Observation/s"]),
        InputResult(id="resection", label="Resection", value=None),
        InputResult(id="not_in_the_table", label="Other", value=None),
    ]
    assert [i.id for i in unread_inputs(inputs, {"Observation"})] == ["ki67_percent"]
    assert [i.id for i in unread_inputs(inputs, {"Procedure"})] == ["resection"]
    assert unread_inputs(inputs, set()) == []
    assert all(types for types in INPUT_SOURCE_TYPES.values())


def test_the_unread_table_names_real_inputs():
    import json
    from pathlib import Path

    from cds_service.scoring_pipeline import assess_resources
    from cds_service.smart.unread_inputs import INPUT_SOURCE_TYPES

    bundle = json.loads((Path(__file__).parent / "data/cases/p04.bundle.json").read_text())
    assessment = assess_resources([e["resource"] for e in bundle["entry"]], today=date(2026, 1, 1))
    assert set(INPUT_SOURCE_TYPES) <= {i.id for i in assessment.inputs}


def test_a_past_exam_covered_only_by_an_order_is_ordered_not_done():
    # Seen in the side-panel screenshot: month 30 overdue, a CT ordered today, and the timeline
    # then said month 30 was "done". Ordered is not done: the exam still has to happen.
    plan = SurveillancePlan(
        tier=Tier.HIGH,
        basis="b",
        anchor_date="2024-03-04",
        schedule_months=[6, 12, 18],
        schedule_dates=["2024-09-04", "2025-03-04", "2025-09-04"],
        next_due="2025-09-04",
        missed_dates=["2024-09-04"],
    )
    imaging = (ImagingEvent(date(2025, 3, 20), ImagingState.ORDERED, "ServiceRequest/o"),)
    timeline = build_timeline(plan, imaging, date(2025, 4, 1))
    assert [e.state for e in timeline.exams] == ["missed", "ordered", "planned"]
    done = (ImagingEvent(date(2025, 3, 25), ImagingState.DONE, "ImagingStudy/d"), *imaging)
    assert build_timeline(plan, done, date(2025, 4, 1)).exams[1].state == "done"
