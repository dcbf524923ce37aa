"""Quality floors: the extraction F1 on the shared corpora, the LIAR test accuracy and claim
mining on the dev sets (R-precision and recall@2x|gold| per language, candidates per 100
on-topic sentences under the budget), recomputed with the benchmarks' own code, must not drop
below bench/quality_floors.json.

The figures come from a fixed subset (documented in the JSON: "subset"), so the page counts
are checked too. Without ../shared the figures cannot be computed: the tests skip locally
and fail under CI=true (conftest.require_shared)."""

from __future__ import annotations

import importlib.util
import json

import pytest
from conftest import REPO, require_shared

FLOORS = json.loads((REPO / "bench" / "quality_floors.json").read_text(encoding="utf-8"))
SUBSET = FLOORS["subset"]


def _bench(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def below_floor(measured: dict[str, float], floors: dict[str, dict]) -> list[str]:
    """One line per figure under its floor, or not measured at all (a figure that vanishes
    must not pass by its absence)."""
    problems = []
    for name, entry in floors.items():
        if name not in measured:
            problems.append(f"{name}: not measured (floor {entry['floor']})")
        elif measured[name] < entry["floor"]:
            problems.append(f"{name}: {measured[name]:.4f} is below its floor {entry['floor']} "
                            f"(measured {entry['measured']} when the floor was set)")
    return problems


@pytest.fixture(scope="module")
def extraction():
    for corpus in ("scrapinghub-aeb", "trafilatura-eval"):
        require_shared("corpora", corpus)
    bench = _bench("extraction_quality")
    results = bench.measure(limit=SUBSET["extraction_limit"], systems={"framecheck": bench.framecheck})
    return {label: {"pages": row["pages"], "f1": row["framecheck"][2]} for label, row in results.items()}


@pytest.fixture(scope="module")
def liar():
    bench = _bench("liar_baselines")
    result = bench.run(require_shared("corpora", "liar"), train_limit=SUBSET["liar_train_limit"])
    assert result["trained_on"] == SUBSET["liar_train_limit"]
    return {model: accuracy["test"] for model, accuracy in result["accuracy"].items()}


def test_extraction_f1_holds_its_floors(extraction):
    floors = FLOORS["extraction_f1"]
    print({label: round(row["f1"], 4) for label, row in extraction.items()})
    # the subset is the one the floors were measured on
    assert {label: extraction[label]["pages"] for label in floors if label in extraction} == \
           {label: entry["pages"] for label, entry in floors.items() if label in extraction}
    problems = below_floor({label: row["f1"] for label, row in extraction.items()}, floors)
    assert not problems, "\n".join(problems)


def test_liar_test_accuracy_holds_its_floors(liar):
    print(liar)
    problems = below_floor(liar, FLOORS["liar_test_accuracy"])
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def claim_mining():
    corpora = require_shared("corpora", "en-scs-texts").parent
    require_shared("corpora", "cctv-xwlb")
    by_language = _bench("claim_mining").pipeline_figures(corpora)
    return {f"{lang} {key}": value for lang, figures in by_language.items() for key, value in figures.items()
            if isinstance(value, (int, float))}


def test_claim_mining_holds_its_floors_and_the_candidate_budget(claim_mining):
    entry = FLOORS["claim_mining"]
    print({name: claim_mining.get(name) for name in (*entry["floors"], *entry["ceilings"])})
    problems = below_floor(claim_mining, entry["floors"])
    problems += [f"{name}: {claim_mining.get(name)} is above its ceiling {c['ceiling']}"
                 for name, c in entry["ceilings"].items()
                 if claim_mining.get(name) is None or claim_mining[name] > c["ceiling"]]
    assert not problems, "\n".join(problems)


def test_floor_check_fails_a_figure_below_its_floor_or_missing():
    floors = {"kept": {"floor": 0.90, "measured": 0.91}, "dropped": {"floor": 0.50, "measured": 0.51}}
    assert below_floor({"kept": 0.90, "dropped": 0.51}, floors) == []
    assert below_floor({"kept": 0.95, "dropped": 0.4999}, floors) == [
        "dropped: 0.4999 is below its floor 0.5 (measured 0.51 when the floor was set)"]
    assert below_floor({"kept": 0.95}, floors) == ["dropped: not measured (floor 0.5)"]


def test_every_floor_sits_just_below_its_measured_figure():
    """The file's own rule: floor = measured - 0.01, so no floor is quietly lowered."""
    entries = {**FLOORS["extraction_f1"], **{f"LIAR {m}": e for m, e in FLOORS["liar_test_accuracy"].items()}}
    assert len(entries) == 9
    for name, entry in entries.items():
        assert entry["floor"] == pytest.approx(entry["measured"] - 0.01, abs=1e-9), name
