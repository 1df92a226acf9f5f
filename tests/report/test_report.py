import json
import re
import struct
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sftlab.analysis import analyze
from sftlab.report import build_report, summary_lines
from synthetic_run import write_run

STEPS = list(range(0, 81, 10))


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_single_run_report_has_every_checkpoint_figure_and_table(report_index):
    index = report_index
    html = index.read_text()
    # Every image the page shows exists beside it and is a real, non-trivial PNG.
    srcs = re.findall(r'<img src="([^"]+)"', html)
    assert {"trajectory.png", "training.png", "patterns.png", "safety.png"} <= set(srcs)
    for src in srcs:
        w, h = _png_size(index.parent / src)
        assert w > 300 and h > 200
    assert "http://" not in html and "https://" not in html  # nothing fetched from the internet
    # The per-checkpoint table: every step, every OOD benchmark, OOD mean, ASR, length and truncation.
    table = pd.read_csv(index.parent / "checkpoints-demo.csv")
    assert table["step"].tolist() == STEPS
    for col in ("in-domain", "countdown-pm", "digits", "shortest-path", "OOD mean", "ASR", "mean tokens", "truncated"):
        assert table[col].notna().all(), col
    assert table.loc[table["step"] == 10, "truncated"].item() == 0.25  # every 4th response at step 10
    ood = table[["countdown-pm", "digits", "shortest-path"]].mean(axis=1)
    assert (table["OOD mean"] - ood).abs().max() < 1e-12
    assert (table["in-domain_lo"] <= table["in-domain"]).all() and (table["in-domain"] <= table["in-domain_hi"]).all()
    assert table.loc[0, "regime"] == "base"
    for step in STEPS:
        assert f"<td>{step}</td>" in html and f"step {step} ·" in html  # table row and sample-browser entry
    assert "base model (step 0) vs final checkpoint" in html and "Safety ASR" in html
    md = (index.parent / "tables.md").read_text()
    assert md.count("\n| ") >= len(STEPS) + 1 and "base vs final" in md


def test_model_text_and_data_card_are_escaped(report_index):
    html = report_index.read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "<b>bold?</b>" not in html and "&lt;b&gt;bold?&lt;/b&gt;" in html
    assert "3+5=8&lt;22" in html  # the trace itself, shown verbatim


def test_findings_are_strict_json_and_summary_names_base_and_final(synthetic_run, tmp_path):
    findings = analyze([synthetic_run], tmp_path / "analysis.json", n_boot=200)
    text = (tmp_path / "analysis.json").read_text()

    def no_nan(token: str) -> None:
        raise AssertionError(f"non-JSON constant {token} in analysis.json")

    assert json.loads(text, parse_constant=no_nan) == findings
    run = findings["runs"][0]
    assert run["steps"] == STEPS and run["regime_target"] == "ood"
    assert run["length_stages"]["spike_step"] == 10 and run["length_stages"]["settle_step"] == 30
    patterns = pd.DataFrame(run["patterns"])  # mini-lab lexicon chosen from the config's preset model
    cd = patterns[(patterns["step"] == 40) & (patterns["domain"] == "in-domain")].set_index("category")
    assert cd.loc["backtracking", "per_response"] == 1 and cd.loc["decomposition", "per_response"] == 5
    lines = summary_lines(findings)
    assert lines[0].startswith("demo: 9 checkpoints")
    assert any(line.strip().startswith("In-domain accuracy: base") and "step 80" in line for line in lines)
    assert any("OOD mean accuracy" in line for line in lines) and any("Safety ASR" in line for line in lines)


def test_several_runs_get_comparison_tables(tmp_path):
    runs = [write_run(tmp_path / "runs", name=f"b{batch}", seed=batch, items=20,
                      cfg={"model": {"preset": "s"}, "data": {"condition": cond, "samples": 1000},
                           "train": {"global_batch": batch, "epochs": 1.0}})
            for batch, cond in ((16, "cot"), (32, "nocot"))]
    index = build_report(runs, tmp_path / "out")
    schedule = pd.read_csv(index.parent / "schedule.csv")
    assert schedule["run"].tolist() == ["b16", "b32"] and schedule["budget"].tolist() == [80, 80]
    model_data = pd.read_csv(index.parent / "model_data.csv")
    assert model_data["condition"].tolist() == ["base", "cot", "nocot"]
    assert (tmp_path / "runs" / "analysis.json").exists()  # the runs' common parent
    assert "Fixed step budget" in index.read_text()


def test_cli_report_writes_the_page_and_prints_the_summary(synthetic_run, tmp_path):
    from sftlab.cli import app

    result = CliRunner().invoke(app, ["report", str(synthetic_run), "--out", str(tmp_path / "page")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "page" / "index.html").exists()
    assert "In-domain accuracy: base" in result.output and f"report: {tmp_path / 'page' / 'index.html'}" in result.output


def test_cli_analyze_rejects_a_run_without_results(tmp_path):
    from sftlab.cli import app

    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(app, ["analyze", str(tmp_path / "empty")])
    assert result.exit_code != 0 and "no results store" in str(result.exception)


def test_seeds_of_one_config_are_pooled_and_a_shared_store_is_read_by_run(tmp_path):
    from sftlab.cli import app
    from sftlab.evaluate.store import ResultsStore

    cfg = {"model": {"preset": "s"}, "data": {"condition": "cot", "samples": 1000}, "train": {"global_batch": 32}}
    runs = [write_run(tmp_path / "runs", name=f"cot-s{s}", seed=s, items=20, steps=4, cfg={**cfg, "seed": s})
            for s in range(3)]
    runs.append(write_run(tmp_path / "runs", name="other", seed=9, items=20, steps=4, cfg={**cfg, "seed": 0,
                                                                                           "train": {"global_batch": 16}}))
    shared = tmp_path / "shared.sqlite"
    with ResultsStore(shared) as store:
        for run in runs:
            store.merge(run / "results.sqlite")
            (run / "results.sqlite").unlink()

    result = CliRunner().invoke(app, ["report", *map(str, runs), "--store", str(shared), "--out", str(tmp_path / "page")])
    assert result.exit_code == 0, result.output
    findings = json.loads((tmp_path / "runs" / "analysis.json").read_text())
    assert [(r["name"], r["seeds"]) for r in findings["runs"]] == [("cot", [0, 1, 2]), ("other", [0])]
    pooled = pd.DataFrame(findings["runs"][0]["curves"]).set_index(["group", "step"])
    # The pooled mean is the mean of the three seeds' means (each seed alone analysed separately).
    separate = analyze(runs[:3], tmp_path / "separate.json", store=shared, pool_seeds=False, n_boot=100)
    means = [pd.DataFrame(r["curves"]).set_index(["group", "step"]).loc[("in-domain", 30), "mean"]
             for r in separate["runs"]]
    assert pooled.loc[("in-domain", 30), "mean"] == pytest.approx(sum(means) / 3)
    html = (tmp_path / "page" / "index.html").read_text()
    assert "Pooled over 3 seeds (0, 1, 2" in html and "Responses of run cot-s0 (seed 0)" in html
