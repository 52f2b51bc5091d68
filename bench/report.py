"""Tables of results, as aligned text for the terminal or Markdown for bench/README.md, and the JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Row = dict[str, Any]

RATIO_BASE = "overcast"
FLOOR = "null"  # the do-nothing server: compared with through the paired column, not the ratio columns


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        if value >= 100:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    return str(value)


def _ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or not theirs or ours < 0 or theirs < 0:
        return ""  # a difference of two noisy numbers can fall below zero: no meaningful ratio
    ratio = ours / theirs
    # Two decimals, but never rounded to nothing: a 200x gap shows as 0.005x, not 0.00x.
    return f"{ratio:.2f}x" if ratio >= 0.1 else f"{ratio:.2g}x"


def _note(row: Row, limit: int = 70) -> str:
    text = row.get("error") or row.get("note") or ""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _base_row(rows: list[Row], row: Row, keys: tuple[str, ...]) -> Row | None:
    for other in rows:
        if other["target"] == RATIO_BASE and all(other.get(k) == row.get(k) for k in keys):
            return other
    return None


def small_ops_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    header = ["workload", "mode", "target", "ops/s", "p50 ms", "p99 ms", "server CPU ms/op", "client CPU %",
              "Overcast ÷ target ops/s", "Overcast ÷ target CPU/op", "target ÷ floor (paired)", "note"]
    body = []
    for row in rows:
        if row["kind"] != "ops":
            continue
        base = _base_row(rows, row, ("workload", "mode"))
        # The floor's own row gets no ratio: the paired column compares with it under the same drift.
        is_base = row["target"] in (RATIO_BASE, FLOOR)
        body.append([
            row["title"], row["mode"], row["target"], _fmt(row.get("ops_s")), _fmt(row.get("p50_ms"), 2),
            _fmt(row.get("p99_ms"), 2), _fmt(row.get("cpu_ms_per_op"), 3), _fmt(row.get("client_cpu_pct"), 0),
            "" if is_base or base is None else _ratio(base.get("ops_s"), row.get("ops_s")),
            "" if is_base or base is None or row["target"] == FLOOR
            else _ratio(base.get("cpu_ms_per_op"), row.get("cpu_ms_per_op")),
            f"{row['vs_floor']:.2f}x" if row.get("vs_floor") else "",
            _note(row),
        ])
    return header, body


def large_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    header = ["workload", "target", "MB/s", "seconds", "server RSS growth MB", "server peak RSS MB",
              "Overcast ÷ target MB/s", "note"]
    body = []
    for row in rows:
        if row["kind"] != "large":
            continue
        base = _base_row(rows, row, ("workload",))
        is_base = row["target"] == RATIO_BASE
        body.append([
            row["title"], row["target"], _fmt(row.get("mb_s")), _fmt(row.get("seconds"), 2),
            _fmt(row.get("rss_growth_mb")), _fmt(row.get("peak_rss_mb")),
            "" if is_base or base is None else _ratio(base.get("mb_s"), row.get("mb_s")),
            _note(row),
        ])
    return header, body


def metric_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    header = ["scenario", "metric", "target", "value", "unit", "Overcast ÷ target", "note"]
    body = []
    for row in rows:
        if row["kind"] != "metric":
            continue
        base = _base_row(rows, row, ("workload", "metric"))
        is_base = row["target"] == RATIO_BASE
        body.append([
            row["title"], row["metric"], row["target"], _fmt(row.get("value"), 2), row.get("unit", ""),
            "" if is_base or base is None else _ratio(base.get("value"), row.get("value")),
            _note(row, 150),
        ])
    return header, body


def start_table(rows: list[Row]) -> tuple[list[str], list[list[str]]]:
    header = ["target", "start to first request ms (median)", "all starts ms", "idle RSS MB", "idle CPU %",
              "RSS after all workloads MB",
              "Overcast ÷ target start", "Overcast ÷ target RSS", "note"]
    body = []
    for row in rows:
        if row["kind"] != "start":
            continue
        base = _base_row(rows, row, ())
        is_base = row["target"] in (RATIO_BASE, FLOOR)
        body.append([
            row["target"], _fmt(row.get("start_ms"), 0), " ".join(f"{v:.0f}" for v in row.get("start_ms_all", [])),
            _fmt(row.get("idle_rss_mb")), _fmt(row.get("idle_cpu_pct")), _fmt(row.get("end_rss_mb")),
            "" if is_base or base is None else _ratio(base.get("start_ms"), row.get("start_ms")),
            "" if is_base or base is None else _ratio(base.get("idle_rss_mb"), row.get("idle_rss_mb")),
            _note(row),
        ])
    return header, body


def _text(header: list[str], body: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in [header, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _markdown(header: list[str], body: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in body]
    return "\n".join(lines)


def render(rows: list[Row], *, markdown: bool = False) -> str:
    out = []
    for title, table in (("Small operations", small_ops_table), ("Large objects (raw socket, UNSIGNED-PAYLOAD)",
                                                                  large_table),
                         ("Scenarios (lower or higher is better as the metric says)", metric_table),
                         ("Start-up", start_table)):
        header, body = table(rows)
        if not body:
            continue
        out.append(f"### {title}" if markdown else f"== {title} ==")
        out.append((_markdown if markdown else _text)(header, body))
        out.append("")
    return "\n".join(out)


def write_json(path: Path, meta: dict[str, Any], rows: list[Row]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
