"""One bad resource costs only itself (issue 9), data of another patient is never used
(issue 11.5), implausible values are refused (issue 11.11). Each invalid or foreign resource is
left out with a warning naming it; the rest of the record is read."""

from __future__ import annotations

import pytest
from test_mappers_factories import cc, loinc_obs, obs, patient, procedure, qty, record

from fhir_mappers.payload import resources_from_payload
from fhir_mappers.record import inputs_from_resources

KI67 = loinc_obs("k", "29593-1", valueQuantity=qty(4, "%"))


def warned(out, *parts: str) -> bool:
    return any(all(p in w for p in parts) for w in out.warnings)


# --- invalid resources ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("bad", "why"),
    [
        # two value[x]
        (loinc_obs("x", "33728-7", valueQuantity=qty(3, "cm"), valueString="3 cm"), "value"),
        # wrong JSON types
        (loinc_obs("x", "33728-7", valueQuantity={"value": "big", "unit": "cm"}), "valueQuantity"),
        (loinc_obs("x", "33728-7", valueQuantity={"value": 3, "unit": 5}), "valueQuantity.unit"),
        # a bad date, and a numeric one
        (loinc_obs("x", "33728-7", when="2024-13-45", valueQuantity=qty(3, "cm")), "effective"),
        (
            loinc_obs("x", "33728-7", when=None, valueQuantity=qty(3, "cm"))
            | {"effectiveDateTime": 0},
            "must be a JSON string",
        ),
        # a missing required element (Observation.component.code 1..1)
        (
            loinc_obs("x", "33728-7", valueQuantity=qty(3, "cm"))
            | {"component": [{"valueQuantity": qty(2, "cm")}]},
            "component",
        ),
    ],
)
def test_an_invalid_observation_is_skipped_naming_it(bad, why):
    out = record(bad, KI67)
    assert out.ki67_percent.value == 4  # the rest of the record is read
    assert out.tumor_size_cm.value is None
    assert warned(out, "Observation/x: not valid FHIR R4", why, "not used"), out.warnings


def test_a_status_that_is_not_a_status_is_named():
    out = record(loinc_obs("x", "33728-7", status=3, valueQuantity=qty(3, "cm")), KI67)
    assert out.tumor_size_cm.value is None and out.ki67_percent.value == 4
    assert warned(out, "Observation/x", "status '3' not used")


def test_invalid_resources_no_mapper_reads_cost_nothing_and_say_nothing():
    """Validation is lazy: an invalid vital sign is never read, so it is neither validated nor
    warned about; the record is read as without it."""
    junk = obs("vitals", cc(text="Heart rate"), valueQuantity={"value": "fast"})
    out = record(junk, KI67)
    assert out.ki67_percent.value == 4
    assert not any("Observation/vitals" in w for w in out.warnings)


NODES = loinc_obs("nodes", "21894-1", valueQuantity={"value": 12})
SNOMED = "http://snomed.info/sct"


def tnm_grouper(**changes: object) -> dict:
    # MII onko TNM classification (Observation-TNM-Klassifikation-Observation-2.json, which
    # itself carries status 'completed'), grouping node Observations no mapper reads through it
    grouper = obs(
        "tnm",
        cc(SNOMED, "399588009", display="Pathologic TNM stage grouping"),
        hasMember=[{"reference": "Observation/nodes"}],
    )
    return {**grouper, **changes}


@pytest.mark.parametrize(
    ("grouper", "why"),
    [
        (tnm_grouper(status="completed"), "status 'completed' is not a FHIR R4 Observation status"),
        (tnm_grouper(effectiveDateTime=20240308), "not valid FHIR R4"),
        (tnm_grouper(valueString="x", valueBoolean=True), "not valid FHIR R4"),
        # any grouper (hasMember), whatever its code: a CAP eCC section, say
        (
            {**tnm_grouper(effectiveDateTime=20240308), "code": cc(text="TUMOR")},
            "not valid FHIR R4",
        ),
    ],
)
def test_an_invalid_clinically_relevant_observation_no_mapper_reads_is_named(grouper, why):
    out = record(grouper, NODES, KI67)
    assert warned(out, "Observation/tnm", why), out.warnings
    assert out.nodes_examined.value == 12 and out.ki67_percent.value == 4  # its members are read


def test_an_invalid_procedure_costs_only_itself():
    bad = procedure("bad", performed=None) | {"performedDateTime": "yesterday"}
    out = record(bad, KI67)
    assert out.resection is not None and out.resection.source == "Procedure/surgery"
    assert warned(out, "Procedure/bad: not valid FHIR R4")


def test_unknown_resource_type_is_skipped_naming_it():
    out = record({"resourceType": "Tumour", "id": "t1", "size": 3}, KI67)
    assert out.ki67_percent.value == 4
    assert warned(out, "Tumour/t1", "not a FHIR R4 resource type")


@pytest.mark.parametrize("item", [7, "text", None, [1, 2], {"id": "no-type"}])
def test_non_resource_items_are_skipped_naming_their_place(item):
    payload = {
        "resourceType": "Bundle",
        "id": "b",
        "type": "collection",
        "entry": [{"resource": patient()}, {"resource": KI67}, {"resource": item}],
    }
    out = inputs_from_resources(resources_from_payload(payload))
    assert out.ki67_percent.value == 4
    assert warned(out, "Bundle/b entry[2]", "not used"), out.warnings


def test_a_bad_contained_result_does_not_cost_its_report():
    report = {
        "resourceType": "DiagnosticReport",
        "id": "path",
        "status": "final",
        "subject": {"reference": "Patient/pt"},
        "code": cc(text="Whipple resection specimen"),
        "contained": [
            loinc_obs("bad", "33728-7", valueQuantity={"value": "x"}),
            loinc_obs("ok", "29593-1", valueQuantity=qty(7, "%")),
        ],
        "result": [{"reference": "#bad"}, {"reference": "#ok"}, {"reference": "#gone"}],
    }
    out = record(report)
    assert out.ki67_percent.value == 7
    assert out.ki67_percent.sources == ("DiagnosticReport/path#ok",)
    assert warned(out, "DiagnosticReport/path#bad: not valid FHIR R4")
    # issue 12: a dangling contained reference is named
    assert warned(out, "DiagnosticReport/path", "'#gone' names no contained resource")


# --- other patient's data (issue 11.5) ------------------------------------------------------
def with_subject(subject: object) -> dict:
    out = loinc_obs("k2", "29593-1", valueQuantity=qty(40, "%"))
    if subject is None:
        del out["subject"]
    else:
        out["subject"] = subject
    return out


@pytest.mark.parametrize(
    ("subject", "why"),
    [
        (None, "no subject"),
        ({"identifier": {"system": "urn:mrn", "value": "pt"}}, "identifier or display only"),
        ({"display": "Jane"}, "identifier or display only"),
        ({"reference": "Patient/other"}, "about Patient/other"),
        ({"reference": "Group/pt"}, "about Group/pt"),
        ({"reference": "http://elsewhere.example/fhir/Patient/other"}, "not Patient/pt"),
    ],
)
def test_observation_not_tied_to_the_patient_is_dropped(subject, why):
    out = record(KI67, with_subject(subject))
    assert out.ki67_percent.value == 4  # the 40 % of someone else is never used
    assert warned(out, "Observation/k2", why, "not used"), out.warnings


def test_absolute_reference_to_the_patient_is_accepted_without_a_known_base():
    out = record(with_subject({"reference": "http://any.example/fhir/Patient/pt"}))
    assert out.ki67_percent.value == 40


def test_absolute_reference_must_be_on_the_record_server_when_known():
    resources = [patient(), with_subject({"reference": "https://other.example/fhir/Patient/pt"})]
    out = inputs_from_resources(resources, fhir_base="https://ehr.example/fhir/")
    assert out.ki67_percent.value is None
    assert warned(out, "Observation/k2", "other.example", "not used")
    same = [patient(), with_subject({"reference": "https://ehr.example/fhir/Patient/pt"})]
    assert (
        inputs_from_resources(same, fhir_base="https://ehr.example/fhir").ki67_percent.value == 40
    )


def test_urn_uuid_reference_to_the_patient_full_url_is_accepted():
    # Synthea and transaction Bundles reference the Patient by its entry's fullUrl
    payload = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": "urn:uuid:1111", "resource": patient()},
            {"fullUrl": "urn:uuid:2222", "resource": with_subject({"reference": "urn:uuid:1111"})},
            {
                "fullUrl": "urn:uuid:3333",
                "resource": loinc_obs(
                    "x", "33728-7", valueQuantity=qty(3, "cm"), subject="urn:uuid:9999"
                ),
            },
        ],
    }
    out = inputs_from_resources(resources_from_payload(payload))
    assert out.ki67_percent.value == 40
    assert out.tumor_size_cm.value is None
    assert warned(out, "Observation/x", "urn:uuid:9999")


def test_contained_resource_inherits_its_container_subject():
    report = {
        "resourceType": "DiagnosticReport",
        "id": "r",
        "status": "final",
        "code": cc(text="Pathology"),
        "subject": {"reference": "Patient/pt"},
        "contained": [with_subject(None) | {"id": "c"}],
        "result": [{"reference": "#c"}],
    }
    assert record(report).ki67_percent.value == 40
    foreign = report | {"subject": {"reference": "Patient/other"}}
    out = record(foreign)
    assert out.ki67_percent.value is None
    assert warned(out, "DiagnosticReport/r#c", "container is not the patient's")


def test_contained_resource_with_another_subject_is_dropped():
    report = {
        "resourceType": "DiagnosticReport",
        "id": "r",
        "status": "final",
        "code": cc(text="Pathology"),
        "subject": {"reference": "Patient/pt"},
        "contained": [with_subject({"reference": "Patient/other"}) | {"id": "c"}],
    }
    assert record(report).ki67_percent.value is None


def test_record_without_a_patient_uses_no_patient_data():
    """Conservative: nothing can be tied to a patient, so nothing is scored as theirs."""
    out = inputs_from_resources([KI67])
    assert out.ki67_percent.value is None
    assert warned(out, "Observation/k", "no Patient to tie it to")


def test_specimen_without_subject_is_accepted_through_the_patients_report():
    specimen = {"resourceType": "Specimen", "id": "sp", "type": cc(text="Whipple specimen")}
    report = {
        "resourceType": "DiagnosticReport",
        "id": "path",
        "status": "final",
        "subject": {"reference": "Patient/pt"},
        "code": cc(text="Surgical pathology"),
        "specimen": [{"reference": "Specimen/sp"}],
        "result": [{"reference": "Observation/res"}],
    }
    res = loinc_obs("res", "29593-1", valueQuantity=qty(2, "%"), when="2024-03-01")
    later = loinc_obs("later", "29593-1", valueQuantity=qty(9, "%"), when="2024-06-01")
    assert record(specimen, report, res, later).ki67_percent.value == 2
    foreign = specimen | {"subject": {"reference": "Patient/other"}}
    assert record(foreign, report, res, later).ki67_percent.value == 9


# --- plausibility (issue 11.11): sanity bounds, not clinical cut-offs -------------------------
@pytest.mark.parametrize(
    ("observation", "field"),
    [
        (loinc_obs("x", "33728-7", valueQuantity=qty(1e308, "cm")), "tumor_size_cm"),
        (loinc_obs("x", "33728-7", valueQuantity=qty(51, "cm")), "tumor_size_cm"),
        (loinc_obs("x", "33728-7", valueString="1e308 cm"), "tumor_size_cm"),
        (loinc_obs("x", "21894-1", valueInteger=1_000_000), "nodes_examined"),
        (loinc_obs("x", "21893-3", valueQuantity=qty(201, "1")), "nodes_positive"),
        (loinc_obs("x", "21893-3", valueInteger=-1), "nodes_positive"),
        (obs("x", cc(text="Mitotic count per 2 mm2"), valueInteger=5000), "mitoses_per_2mm2"),
        (loinc_obs("x", "29593-1", valueQuantity=qty(140, "%")), "ki67_percent"),
    ],
)
def test_implausible_values_are_refused_naming_the_resource(observation, field):
    out = record(observation)
    assert getattr(out, field).value is None
    assert warned(out, "Observation/x"), out.warnings


@pytest.mark.parametrize(
    ("observation", "field", "value"),
    [
        (loinc_obs("x", "33728-7", valueQuantity=qty(50, "cm")), "tumor_size_cm", 50),
        (loinc_obs("x", "21894-1", valueInteger=200), "nodes_examined", 200),
        (loinc_obs("x", "21893-3", valueInteger=0), "nodes_positive", 0),
        (obs("x", cc(text="Mitotic count per 2 mm2"), valueInteger=0), "mitoses_per_2mm2", 0),
    ],
)
def test_values_at_the_sanity_bounds_are_used(observation, field, value):
    assert getattr(record(observation), field).value == value


def test_implausible_warning_gives_the_bound_and_its_reason():
    out = record(loinc_obs("x", "33728-7", valueQuantity=qty(1e308, "cm")))
    assert warned(out, "Observation/x", "outside the plausible range", "50 cm")


def test_report_results_by_urn_uuid_resolve_to_their_entries():
    # Synthea / transaction Bundles: DiagnosticReport.result by fullUrl, not Type/id
    report = {
        "resourceType": "DiagnosticReport",
        "id": "path",
        "status": "final",
        "subject": {"reference": "urn:uuid:pt"},
        "code": cc(text="Surgical pathology, Whipple resection"),
        "result": [{"reference": "urn:uuid:res"}],
    }
    res = loinc_obs("res", "29593-1", valueQuantity=qty(2, "%"), when="2024-03-01")
    later = loinc_obs("later", "29593-1", valueQuantity=qty(9, "%"), when="2024-06-01")
    payload = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:pt", "resource": patient()},
            {"fullUrl": "urn:uuid:path", "resource": report},
            {"fullUrl": "urn:uuid:res", "resource": res},
            {"fullUrl": "urn:uuid:later", "resource": later},
        ],
    }
    out = inputs_from_resources(resources_from_payload(payload))
    assert out.ki67_percent.value == 2  # from the resection report, though older


def test_patient_without_id_is_tied_by_its_full_url():
    payload = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:p", "resource": {"resourceType": "Patient"}},
            {"resource": with_subject({"reference": "urn:uuid:p"})},
            {"resource": loinc_obs("x", "33728-7", valueQuantity=qty(3, "cm"))},
        ],
    }
    out = inputs_from_resources(resources_from_payload(payload))
    assert out.ki67_percent.value == 40
    assert out.tumor_size_cm.value is None  # "Patient/pt" is not this Patient
