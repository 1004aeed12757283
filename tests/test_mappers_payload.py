"""resources_from_payload: Bundles of any type, arrays, contained and nested Bundles, errors."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_mappers_factories import LOINC, bundle, cc, loinc_obs, patient, qty

from fhir_mappers.errors import FhirInputError
from fhir_mappers.payload import resources_from_payload
from fhir_mappers.record import inputs_from_resources


@pytest.mark.parametrize(
    "btype",
    ["collection", "searchset", "transaction", "batch-response", "document", "message", "history"],
)
def test_any_bundle_type_is_unpacked(btype):
    out = resources_from_payload(bundle(patient(), loinc_obs("o", "33728-7"), btype=btype))
    assert [r["resourceType"] for r in out] == ["Patient", "Observation"]


def test_bare_array_and_single_resource():
    assert len(resources_from_payload([patient(), loinc_obs("o", "33728-7")])) == 2
    assert resources_from_payload(patient()) == [patient()]


def test_empty_bundle_and_null_entry_give_nothing():
    assert resources_from_payload({"resourceType": "Bundle", "type": "searchset"}) == []
    assert resources_from_payload({"resourceType": "Bundle", "entry": None}) == []


def test_contained_results_of_a_report_are_flattened_after_it():
    contained = loinc_obs("k", "29593-1", valueQuantity=qty(5, "%"))
    report = {
        "resourceType": "DiagnosticReport",
        "id": "dr",
        "status": "final",
        "code": cc(LOINC, "60568-3"),
        "contained": [contained],
        "result": [{"reference": "#k"}],
    }
    out = resources_from_payload(bundle(patient(), report))
    assert out[-1] is contained


def test_nested_results_bundle_is_unpacked():
    results = bundle(loinc_obs("k", "29593-1"), btype="searchset")
    out = resources_from_payload(bundle(patient(), results))
    assert [r.get("id") for r in out] == ["pt", "k"]


def test_entries_without_resource_in_responses_are_skipped():
    payload = {
        "resourceType": "Bundle",
        "type": "batch-response",
        "entry": [{"response": {"status": "404"}}, {"resource": patient()}],
    }
    assert len(resources_from_payload(payload)) == 1


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("text", "payload must be a JSON object"),
        (42, "got number"),
        (None, "got null"),
        ({"id": "x"}, "payload has no resourceType"),
        ({"resourceType": 5}, "resourceType must be a non-empty string"),
        ({"resourceType": "Bundle", "id": "b1", "entry": {}}, "Bundle/b1: entry must be an array"),
    ],
)
def test_unreadable_payloads_are_refused_naming_the_culprit(payload, message):
    """Shapes that leave nothing to read are refused whole."""
    with pytest.raises(FhirInputError) as err:
        resources_from_payload(payload)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("payload", "warning"),
    [
        ({"resourceType": "Bundle", "id": "b1", "entry": [5]}, "Bundle/b1 entry[0]: not a JSON"),
        (
            {"resourceType": "Bundle", "id": "b1", "entry": [{"fullUrl": "x"}]},
            "Bundle/b1 entry[0]: has no resource object",
        ),
        (
            {"resourceType": "Bundle", "id": "b1", "entry": [{"resource": {"id": "p"}}]},
            "Bundle/b1 entry[0] resource: no resourceType",
        ),
        (
            {"resourceType": "Bundle", "id": "b1", "entry": [{"resource": {"resourceType": 3}}]},
            "Bundle/b1 entry[0] resource: resourceType is not a non-empty string",
        ),
        (["x"], "item [2]: not a JSON object"),
        (
            {"resourceType": "DiagnosticReport", "id": "d", "contained": {}},
            "DiagnosticReport/d: contained is not an array",
        ),
        (
            {"resourceType": "DiagnosticReport", "id": "d", "contained": [7]},
            "DiagnosticReport/d contained[0]: not a resource object",
        ),
    ],
)
def test_items_that_are_not_resources_cost_only_themselves(payload, warning):
    """Issue 9: an unreadable item is skipped with a warning naming where it was; the rest of
    the record is read."""
    items = payload if isinstance(payload, list) else [payload]
    resources = resources_from_payload(
        [patient(), loinc_obs("k", "29593-1", valueQuantity=qty(5, "%")), *items]
    )
    out = inputs_from_resources(resources)
    assert any(w.startswith(warning) and w.endswith("not used") for w in out.warnings), out.warnings
    assert out.ki67_percent.value == 5


def test_deeply_nested_bundles_are_refused():
    payload: dict = patient()
    for _ in range(12):
        payload = bundle(payload)
    with pytest.raises(FhirInputError, match="nested more than"):
        resources_from_payload(payload)


def test_real_r4_shaped_bundle_from_json_text_parses():
    text = json.dumps(bundle(patient(), loinc_obs("o", "33728-7", valueQuantity=qty(12, "mm"))))
    out = inputs_from_resources(resources_from_payload(json.loads(text)))
    assert out.tumor_size_cm.value == pytest.approx(1.2)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "resourceType",
                    "entry",
                    "resource",
                    "id",
                    "code",
                    "status",
                    "contained",
                    "valueQuantity",
                    "gender",
                    "coding",
                    "subject",
                    "text",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)
_resource_types = st.sampled_from(
    [
        "Patient",
        "Observation",
        "Condition",
        "Procedure",
        "Bundle",
        "DiagnosticReport",
        "MedicationRequest",
        "ServiceRequest",
        "ImagingStudy",
        "Specimen",
        "Foo",
    ]
)


@st.composite
def _junk_resource(draw):
    body = draw(
        st.dictionaries(
            st.sampled_from(
                [
                    "id",
                    "status",
                    "code",
                    "valueQuantity",
                    "gender",
                    "subject",
                    "entry",
                    "contained",
                    "effectiveDateTime",
                    "performedDateTime",
                    "component",
                    "result",
                    "specimen",
                ]
            ),
            _json,
            max_size=6,
        )
    )
    body["resourceType"] = draw(_resource_types)
    return body


@settings(max_examples=300, deadline=None)
@given(st.one_of(_json, _junk_resource(), st.lists(_junk_resource(), max_size=5)))
def test_random_junk_only_ever_raises_fhir_input_error(payload):
    with contextlib.suppress(FhirInputError):
        inputs_from_resources(resources_from_payload(payload))


_codes = st.sampled_from(
    [
        "33728-7",
        "29593-1",
        "33732-9",
        "33761-8",
        "21894-1",
        "21893-3",
        "21900-6",
        "92837-4",
        "9811-1",
        "79103-8",
        "21901-4",
        "85319-2",
    ]
)


@st.composite
def _plausible_record(draw):
    """Well-shaped resources with known codes and junk values: exercises the readers."""
    out = [{"resourceType": "Patient", "id": "pt", "gender": draw(_json)}]
    for i in range(draw(st.integers(0, 4))):
        out.append(
            {
                "resourceType": "Observation",
                "id": f"o{i}",
                "status": draw(st.sampled_from(["final", "amended", "preliminary", 3])),
                "code": {"coding": [{"system": LOINC, "code": draw(_codes)}]},
                "subject": {"reference": "Patient/pt"},
                draw(
                    st.sampled_from(
                        [
                            "valueQuantity",
                            "valueString",
                            "valueInteger",
                            "valueCodeableConcept",
                            "component",
                            "effectiveDateTime",
                            "specimen",
                        ]
                    )
                ): draw(_json),
            }
        )
    out.append(
        {
            "resourceType": draw(
                st.sampled_from(["Procedure", "Condition", "MedicationRequest", "ServiceRequest"])
            ),
            "id": "x",
            "status": "completed",
            "code": cc(text="Whipple jaundice"),
            "subject": {"reference": "Patient/pt"},
            draw(
                st.sampled_from(
                    [
                        "performedDateTime",
                        "onsetDateTime",
                        "authoredOn",
                        "medicationCodeableConcept",
                    ]
                )
            ): draw(_json),
        }
    )
    return out


@settings(max_examples=300, deadline=None)
@given(_plausible_record())
def test_plausible_junk_only_ever_raises_fhir_input_error(resources):
    with contextlib.suppress(FhirInputError):
        inputs_from_resources(resources_from_payload(resources))
