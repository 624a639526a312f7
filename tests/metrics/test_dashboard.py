"""The Grafana dashboard of ``docs/grafana-dashboard.json`` charts what fastws exposes, all of it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastws import metrics
from fastws.metrics.prometheus import families

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana-dashboard.json"


def _exposed() -> dict[str, str]:
    """Every sample name fastws exposes (a counter's with ``_total``), by its family's name."""
    return {
        f"{family.name}_total" if family.kind == "counter" else family.name: family.name
        for family in families(metrics.snapshot())
    }


def test_every_query_names_an_exposed_metric_and_every_metric_is_charted() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]
    named = {name for expr in exprs for name in re.findall(r"\bfastws_[a-z_]+", expr)}
    exposed = _exposed()
    assert named - exposed.keys() == set()  # no query on a name fastws does not expose
    assert exposed.keys() - named == set()  # no metric left off the dashboard


def test_counters_are_charted_as_rates_and_gauges_as_they_are() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            for name in re.findall(r"\bfastws_[a-z_]+", target["expr"]):
                around_a_counter = re.search(rf"(rate|increase)\({name}\[", target["expr"])
                assert bool(around_a_counter) == name.endswith("_total"), target["expr"]
