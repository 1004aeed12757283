"""CPU per call on pathological record text (issue 11.1): `PYTHONPATH=. python -m
bench.text_patterns [--length N] [--limit-ms MS]`.

Standalone (not part of bench/run.py). Maps a demo patient (p01) whose Observations carry a
hostile string in one text slot (valueString, code.text, value text, coding display) through the
whole mapper pipeline (record -> inputs -> assessment), and reports the CPU time per call
against the same record without the string. Exits 1 when any call costs more than --limit-ms
of CPU above the clean baseline: that is the CPU bound per call this benchmark asserts (the
tests assert only that every pattern sees capped text, never a time).

Before the fix, a Ki-67 valueString of "1" + 8,000 spaces + "!" alone took ~2 s (superlinear).
After it (dev machine, 100,000 characters): Observation slots at most +3.2 ms; report and
specimen text up to +92 ms (the word-ending-in-ectomy scan of
clinical_codes.SPECIMEN_RESECTION_TEXT, quadratic within the 4,000-character cap).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from datetime import date
from pathlib import Path

from cds_service.scoring_pipeline import assess_payload

_CASE = Path(__file__).resolve().parent.parent / "tests" / "data" / "cases" / "p01.bundle.json"
_TODAY = date(2025, 6, 1)
_SLOTS = (
    "valueString",
    "code.text",
    "valueCodeableConcept.text",
    "code.coding.display",
    "report code.text",  # a DiagnosticReport (resection-report text pattern, clinical_codes.py)
    "specimen type.text",  # a Specimen of that report (same pattern)
)


def hostile_strings(length: int) -> dict[str, str]:
    return {
        "digit, spaces, !": "1" + " " * length + "!",
        "g, spaces": "g" + " " * length + "x",
        "grade, spaces": "grade" + " " * length,
        "2, spaces, .": "2" + " " * length + ".",
        "digits": "1" * length,
        "x-separated": "1 x " * (length // 4),
        "letters": "a" * length,
        "pn repeated": "pn" * (length // 2),
        "ki67 words": "ki-67 " * (length // 6),
    }


def with_text(bundle: dict, slot: str, text: str) -> dict:
    out = copy.deepcopy(bundle)
    if slot in ("report code.text", "specimen type.text"):
        patient = next(
            e["resource"]["id"] for e in out["entry"] if e["resource"]["resourceType"] == "Patient"
        )
        subject = {"reference": f"Patient/{patient}"}
        report_text = text if slot == "report code.text" else "Pathology report"
        specimen_text = text if slot == "specimen type.text" else "Specimen"
        out["entry"] += [
            {
                "resource": {
                    "resourceType": "Specimen",
                    "id": "bench-sp",
                    "subject": subject,
                    "type": {"text": specimen_text},
                }
            },
            {
                "resource": {
                    "resourceType": "DiagnosticReport",
                    "id": "bench-dr",
                    "status": "final",
                    "subject": subject,
                    "code": {"text": report_text},
                    "specimen": [{"reference": "Specimen/bench-sp"}],
                }
            },
        ]
        return out
    for entry in out["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] != "Observation":
            continue
        if slot in ("valueString", "valueCodeableConcept.text"):
            for key in [k for k in resource if k.startswith("value")]:
                del resource[key]
            resource[slot.split(".")[0]] = text if slot == "valueString" else {"text": text}
        elif slot == "code.text":
            resource["code"]["text"] = text
        else:
            resource["code"]["coding"][0]["display"] = text
    return out


def cpu_ms(payload: dict, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        assess_payload(payload, today=_TODAY)
        best = min(best, time.process_time() - start)
    return best * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--length", type=int, default=100_000, help="hostile string length")
    parser.add_argument("--limit-ms", type=float, default=250.0, help="CPU bound per call")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    bundle = json.loads(_CASE.read_text())
    assess_payload(bundle, today=_TODAY)  # warm-up: model imports
    baseline = cpu_ms(bundle, args.repeat)
    print(f"clean p01: {baseline:.1f} ms CPU per call")
    print(f"| string ({args.length:,} chars) | slot | CPU ms | above clean |")
    print("|---|---|---:|---:|")
    worst = 0.0
    for name, text in hostile_strings(args.length).items():
        for slot in _SLOTS:
            ms = cpu_ms(with_text(bundle, slot, text), args.repeat)
            worst = max(worst, ms - baseline)
            print(f"| {name} | {slot} | {ms:.1f} | {ms - baseline:+.1f} |")
    verdict = "met" if worst <= args.limit_ms else "NOT met"
    print(f"worst: {worst:+.1f} ms above clean; bound {args.limit_ms:g} ms: {verdict}")
    return 0 if worst <= args.limit_ms else 1


if __name__ == "__main__":
    sys.exit(main())
