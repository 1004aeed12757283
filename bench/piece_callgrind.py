"""Instructions per piece of a hook call's work, each counted alone in one process (not part
of CI; needs valgrind, ~2 min):

    PYTHONPATH=. .venv/bin/python -m bench.piece_callgrind [--group card|detail|record]
        [--rounds 3] [--service-root TREE]

`card`: the card path of `bench/card_phases.py` (one whole card, its Markdown detail, the
suggested orders, `build_assessment_card`, `Card.model_validate` of the wire dict, the
assessment's JSON) over the demo and real-world corpus assessments. `detail`: the detail's
sections. `record`: record → inputs, the work floor's validation of the same resources, the
index with its validation, and scoring, over the demo patients.

How a piece is counted alone: each runs under its own C-level iterator of the standard
library (`functools.reduce`, `itertools.starmap`, ...), none of which the code under test
uses, and callgrind collects only inside those (`--toggle-collect`); a piece's count is the
inclusive cost of its iterator, so one run measures every piece of a group, with the
imports, set-up and warm-up left out.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

# (C function callgrind toggles on, how to run `f` over `items` under it)
_RUNNERS: tuple[tuple[str, Callable[[Callable[[Any], Any], list[Any]], None]], ...] = (
    ("functools_reduce", lambda f, xs: functools.reduce(lambda _, x: f(x), xs, None)),
    ("starmap_next", lambda f, xs: list(itertools.starmap(f, ((x,) for x in xs)))),
    ("takewhile_next", lambda f, xs: list(itertools.takewhile(lambda x: [f(x)], xs))),
    ("dropwhile_next", lambda f, xs: list(itertools.dropwhile(lambda x: [f(x)], xs))),
    ("filterfalse_next", lambda f, xs: list(itertools.filterfalse(lambda x: [f(x)], xs))),
    ("accumulate_next", lambda f, xs: list(itertools.accumulate([None, *xs], lambda _, x: f(x)))),
    ("groupby_next", lambda f, xs: list(itertools.groupby(xs, key=f))),
)

Piece = tuple[str, Callable[[Any], Any], list[Any]]


def _card_pieces() -> list[Piece]:
    from types import SimpleNamespace

    from bench.card_phases import READY, SETTINGS, app_context_text, card_uuid_of, cases, one_card
    from cds_service.card_links import card_links
    from cds_service.cards.builder import build_assessment_card, build_detail
    from cds_service.cards.models import Card
    from cds_service.cards.wire import model_json
    from cds_service.suggested_orders import suggested_orders
    from fhir_mappers.order_codes import ImagingModality

    work = cases()
    prepared = []
    for patient_id, assessment in work:
        card_uuid = card_uuid_of(f"svc|{patient_id}")
        hook = SimpleNamespace(context=SimpleNamespace(patient_id=patient_id), fhir_server=None)
        orders = suggested_orders(assessment, patient_id)
        links = card_links(SETTINGS, "http://localhost/", hook, card_uuid)
        arguments = {
            "service_id": "pannet-cds-patient-view",
            "ct_orders": orders.get(ImagingModality.CT, []),
            "mri_orders": orders.get(ImagingModality.MRI, []),
            "smart_launch_url": links.smart_launch_url,
            "absolute_url": links.absolute_url,
            "app_context": app_context_text(links.app_context),
            "card_uuid": card_uuid,
            **READY,
        }
        prepared.append((patient_id, assessment, arguments))
    # The wire dicts `build_assessment_card` validates, caught on their way in.
    wires: list[Any] = []
    validate = Card.model_validate
    own = Card.__dict__.get("model_validate")
    Card.model_validate = lambda obj, *a, **k: (wires.append(obj), validate(obj, *a, **k))[1]
    try:
        for _patient_id, assessment, arguments in prepared:
            build_assessment_card(assessment, **arguments)
    finally:
        if own is None:
            del Card.model_validate
        else:
            Card.model_validate = own
    return [
        (
            "one card (orders, links, card, issued record, wire)",
            lambda p: one_card(p[0], p[1], 1),
            prepared,
        ),
        ("  the Markdown detail (build_detail)", lambda p: build_detail(p[1]), prepared),
        ("  the suggested orders", lambda p: suggested_orders(p[1], p[0]), prepared),
        (
            "  build_assessment_card (detail included)",
            lambda p: build_assessment_card(p[1], **p[2]),
            prepared,
        ),
        ("  Card.model_validate of the wire dict", validate, wires),
        ("  the assessment's JSON (model_json)", lambda p: model_json(p[1]), prepared),
    ]


def _detail_pieces() -> list[Piece]:
    from bench.card_phases import cases
    from cds_service.cards import detail as d
    from cds_service.cards.markdown import flatten_parens

    work = [assessment for _, assessment in cases()]
    texts: list[str] = []
    flatten = d.flatten_parens
    d.flatten_parens = lambda text: (texts.append(text), flatten(text))[1]
    try:
        for assessment in work:
            d.build_detail(assessment)
    finally:
        d.flatten_parens = flatten
    shared = []
    for a in work:
        read = [i for i in a.inputs if i.read_from_text]
        applicable = d.applicable_scores(a)
        shared.append(
            (a, d.missing_words(a), applicable, read, d.schedule_words(a), d.text_sources(a, read))
        )
    return [
        ("build_detail", lambda s: d.build_detail(s[0]), shared),
        (
            "  shared preparation",
            lambda s: (d.missing_words(s[0]), d.applicable_scores(s[0]), d.schedule_words(s[0])),
            shared,
        ),
        (
            "  action, risk, report text, surveillance",
            lambda s: (
                d.action_section(s[0], s[1]),
                d.risk_lines(s[0], s[4]),
                d._report_text_section(s[0], s[3]),
                d._surveillance_section(s[0], s[4]),
            ),
            shared,
        ),
        (
            "  missing data, flags, citations",
            lambda s: (
                d._missing_section(s[0], s[1], s[2]),
                d._flags_section(s[0], s[3]),
                d._citations(s[2]),
            ),
            shared,
        ),
        (
            "  score sections",
            lambda s: d.scores_section(s[0], s[1], applicable=s[2], from_text=s[5]),
            shared,
        ),
        ("  input table", lambda s: d._inputs_section(s[0]), shared),
        ("  flattening nested parentheses (whole text)", flatten_parens, texts),
    ]


def _record_pieces() -> list[Piece]:
    from datetime import date

    from fhir.resources.R4B import get_fhir_model_class

    from cds_service.sandbox.patients import demo_patients
    from cds_service.server import warm_up
    from fhir_mappers.concepts import one_record
    from fhir_mappers.index import RecordIndex
    from fhir_mappers.observation_codes import clinically_relevant
    from fhir_mappers.payload import resources_from_payload
    from fhir_mappers.record import inputs_from_resources
    from scoring.assess import assess

    warm_up()
    records = [resources_from_payload(p.bundle) for p in demo_patients()]
    inputs = [inputs_from_resources(r) for r in records]

    def floor_validation(resources: list[dict]) -> None:
        for resource in resources:
            get_fhir_model_class(resource["resourceType"]).model_validate(resource)

    def indexed(resources: list[dict]) -> None:
        with one_record():
            RecordIndex(resources).validate_where(clinically_relevant)

    today = date.today()
    return [
        ("record → inputs (inputs_from_resources)", inputs_from_resources, records),
        ("  the index and its R4 validation", indexed, records),
        ("the work floor's validation of the same resources", floor_validation, records),
        ("scoring and surveillance plan (assess)", lambda i: assess(i, today=today), inputs),
    ]


_GROUPS = {"card": _card_pieces, "detail": _detail_pieces, "record": _record_pieces}


def _child(group: str, rounds: int) -> None:
    pieces = _GROUPS[group]()
    if len(pieces) > len(_RUNNERS):
        raise SystemExit(f"{group}: more pieces than C iterators to count them under")
    for (_label, f, items), (_name, run) in zip(pieces, _RUNNERS, strict=False):
        for item in items:
            f(item)  # warm-up: lazy imports, pydantic schemas, caches
        run(f, items * rounds)
    for label, _f, items in pieces:
        print(f"{label}\t{len(items) * rounds}")


def _inclusive(out: Path) -> dict[str, int]:
    listing = subprocess.run(
        ["callgrind_annotate", "--inclusive=yes", str(out)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: dict[str, int] = {}
    for name, _run in _RUNNERS:
        match = re.search(rf"^\s*([\d,]+) .*:{name} ", listing, re.M)
        if match:
            found[name] = int(match.group(1).replace(",", ""))
    return found


def _measure(root: Path, group: str, rounds: int) -> Iterable[tuple[str, float]]:
    with tempfile.TemporaryDirectory(prefix="pannet-pieces-") as folder:
        out = Path(folder) / "callgrind.out"
        toggles = [f"--toggle-collect={name}" for name, _run in _RUNNERS]
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                "--collect-atstart=no",
                *toggles,
                sys.executable,
                __file__,
                "--child",
                group,
                "--rounds",
                str(rounds),
            ],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
        counts = _inclusive(out)
    lines = [line.split("\t") for line in done.stdout.splitlines() if "\t" in line]
    for (label, calls), (name, _run) in zip(lines, _RUNNERS, strict=False):
        yield label, counts.get(name, 0) / int(calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", choices=sorted(_GROUPS), default="card")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--service-root", type=Path, default=ROOT)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.rounds)
        return
    root = args.service_root.resolve()
    print(f"{args.group} pieces of {root}, instructions per patient or card:")
    for label, count in _measure(root, args.group, args.rounds):
        print(f"  {count / 1e3:10,.0f} K  {label}")


if __name__ == "__main__":
    main()
