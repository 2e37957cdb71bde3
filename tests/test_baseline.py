"""Headline numbers of small shipped-scenario runs equal the recorded baseline (see tests/baseline.py)."""

from __future__ import annotations

import json

import pytest

from .baseline import BASELINE, measure


def test_headline_numbers_match_the_recorded_baseline():
    recorded = json.loads(BASELINE.read_text())
    now = measure()
    for scenario, metrics in recorded.items():
        for metric, value in metrics.items():
            got = now[scenario][metric]
            same = got == value if not isinstance(value, float) else got == pytest.approx(value, rel=1e-9, abs=1e-12)
            assert same, f"{scenario}.{metric}: {got} != baseline {value}; if intended, run scripts/update-baseline and say why"
