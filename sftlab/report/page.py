"""The static report: `build_report(run_dirs, out_dir)` writes index.html, its PNG figures, tables.md and CSVs.

Reads each run's results.sqlite (through the analysis, and for the sample browser), metrics.jsonl and
data/card.json (both optional); writes `out_dir/index.html`, `*.png`, `tables.md`, `checkpoints-<run>.csv`
and, for several runs, `schedule.csv` and `model_data.csv`. Every file is written atomically; the page needs
no server and loads nothing from the internet (figures are relative files beside it).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import jinja2
import pandas as pd

from sftlab.analysis import analyze, default_out
from sftlab.analysis.tables import markdown, model_data_wide
from sftlab.evaluate.store import ResultsStore
from sftlab.io import atomic_write_text
from sftlab.report import figures
from sftlab.report.summary import checkpoint_table, display_columns, format_cell, headline_rows, summary_lines

log = logging.getLogger(__name__)
SAMPLES_PER_BENCHMARK = 2  # items shown per benchmark and checkpoint in the sample browser
MAX_CHARS = 4000  # longer responses are cut in the browser (the store keeps them whole)


def read_metrics(path: Path) -> list[dict]:
    """metrics.jsonl rows; a torn last line (a crash mid-append) is skipped, as append_jsonl promises."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return [r for r in rows if isinstance(r, dict) and "step" in r]


def read_card(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        return json.dumps(json.loads(path.read_text(encoding="utf-8")), indent=2, ensure_ascii=False)
    except json.JSONDecodeError as e:
        log.warning("%s: not valid JSON (%s); the data card is left out of the report", path, e)
        return None


def _cut(text: str) -> str:
    return text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + f"\n… [{len(text) - MAX_CHARS} more characters]"


def sample_browser(df: pd.DataFrame, per_benchmark: int = SAMPLES_PER_BENCHMARK) -> list[dict]:
    """The same few items of every benchmark at every checkpoint (the first by item id, sample 0), by step.

    Fixed items let a reader follow one problem through training. Texts are plain; the template escapes them.
    """
    first = df[df["sample"] == 0]
    chosen = {b: sorted(g["item_id"].unique())[:per_benchmark] for b, g in first.groupby("benchmark")}
    keep = first[[item in chosen[b] for b, item in zip(first["benchmark"], first["item_id"])]]
    out = []
    for step, rows in keep.sort_values(["step", "domain", "benchmark", "item_id"]).groupby("step", sort=True):
        samples = [dict(benchmark=r.benchmark, domain=r.domain, item_id=r.item_id, score=r.score, answer=r.answer,
                        tokens=r.response_tokens, finish=r.finish_reason, truncated=bool(r.truncated),
                        prompt=_cut(r.prompt), response=_cut(r.response)) for r in rows.itertuples()]
        out.append(dict(step=int(step), mean_score=float(rows["score"].mean()), samples=samples))
    return out


def _html_table(table: pd.DataFrame) -> dict:
    cols = display_columns(table)
    return dict(columns=cols, rows=[[format_cell(table, row, c) for c in cols] for _, row in table.iterrows()])


def _plain_table(frame: pd.DataFrame, percent: Sequence[str] = ()) -> dict:
    """A frame as header + string cells for the template; `percent` columns (0..1) shown in percent."""
    def cell(col: str, v: object) -> str:
        if v is None or (isinstance(v, float) and pd.isna(v)):
            return "–"
        return f"{100 * float(v):.1f}" if col in percent else str(v)

    return dict(columns=list(frame.columns),
                rows=[[cell(c, v) for c, v in zip(frame.columns, row)] for row in frame.itertuples(index=False)])


def tables_markdown(findings: dict, tables: dict[str, pd.DataFrame]) -> str:
    parts = ["# sftlab report tables\n"]
    for run in findings["runs"]:
        t = tables[run["name"]]
        shown = pd.DataFrame([[format_cell(t, row, c) for c in display_columns(t)] for _, row in t.iterrows()],
                             columns=display_columns(t))
        parts += [f"## {run['name']}: per checkpoint\n", markdown(shown)]
        head = pd.DataFrame(headline_rows(run))
        if not head.empty:
            parts += [f"### {run['name']}: base vs final (95% intervals)\n", markdown(head)]
    if len(findings["runs"]) > 1:
        parts += ["## Fixed-budget schedules\n", findings["tables"]["schedule_md"],
                  "## Models x data (in-domain / OOD / general, %)\n", findings["tables"]["model_data_md"]]
    return "\n".join(parts)


def _comparison(findings: dict) -> dict:
    pct = ("in-domain", "ood", "general", "safety")
    model_long = pd.DataFrame(findings["tables"]["model_data"])
    return dict(schedule=_plain_table(pd.DataFrame(findings["tables"]["schedule"]), pct),
                model_data=_plain_table(model_data_wide(model_long)))


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _render(context: dict) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sftlab.report", "templates"),
        autoescape=True,  # responses are model-written text: never let them become markup
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("index.html.jinja").render(**context)


def build_report(run_dirs: Sequence[Path], out_dir: Path | None = None, findings: dict | None = None,
                 seed: int = 0) -> Path:
    """Analyse the runs (unless `findings` are given) and write the report; returns the index.html path."""
    run_dirs = [Path(d) for d in run_dirs]
    out_dir = Path(out_dir) if out_dir else default_out(run_dirs) / "report"
    out_dir.mkdir(parents=True, exist_ok=True)
    findings = findings or analyze(run_dirs, seed=seed)
    log.info("drawing figures into %s", out_dir)
    runs = findings["runs"]
    metrics = {r["name"]: read_metrics(Path(r["run_dir"]) / "metrics.jsonl") for r in runs}
    figs = dict(trajectory=figures.trajectory_figure(runs, out_dir), training=figures.training_figure(metrics, out_dir),
                patterns=figures.patterns_figure(runs, out_dir), safety=figures.safety_figure(runs, out_dir))
    tables = {r["name"]: checkpoint_table(r) for r in runs}
    for name, t in tables.items():
        atomic_write_text(out_dir / f"checkpoints-{_slug(name)}.csv", t.to_csv(index=False))
    if len(runs) > 1:
        atomic_write_text(out_dir / "schedule.csv", pd.DataFrame(findings["tables"]["schedule"]).to_csv(index=False))
        atomic_write_text(out_dir / "model_data.csv", pd.DataFrame(findings["tables"]["model_data"]).to_csv(index=False))
    atomic_write_text(out_dir / "tables.md", tables_markdown(findings, tables))
    pages = []
    for run in runs:
        # The sample browser shows the first seed's responses: what one model wrote, not a blend of several.
        with ResultsStore(Path(run["store"])) as results:
            rows = results.frame(run=run["members"][0]["name"], with_text=True)
        pages.append(dict(name=run["name"], run_dir=run["run_dir"], seeds=run["seeds"], members=run["members"],
                          headline=headline_rows(run),
                          table=_html_table(tables[run["name"]]), csv=f"checkpoints-{_slug(run['name'])}.csv",
                          samples=sample_browser(rows), card=read_card(Path(run["run_dir"]) / "data" / "card.json"),
                          safety=run["safety"], stages=run["length_stages"], target=run["regime_target"]))
    html = _render(dict(runs=pages, figures=figs, summary=summary_lines(findings), regimes=figures.REGIME_COLORS,
                        comparison=_comparison(findings) if len(runs) > 1 else None,
                        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")))
    index = out_dir / "index.html"
    atomic_write_text(index, html)
    return index
