"""Words from the findings: the per-checkpoint table, the base-vs-final headline, and the CLI's closing lines.

Pure functions over the findings dict of `sftlab.analysis.analyze`; the page and `tables.md` both use them.
"""

from __future__ import annotations

import math

import pandas as pd

HEADLINE_LABELS = {"in-domain:score": "In-domain accuracy", "ood:score": "OOD mean accuracy",
                   "safety:score": "Safety ASR", "all:response_tokens": "Mean response length (tokens)"}


def _num(x: float | None, percent: bool) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{100 * x:.1f}%" if percent else f"{x:.0f}"


def interval(est: dict | None, percent: bool = True) -> str:
    """`59.0% [53.1, 64.8]` from a {mean, lo, hi} dict."""
    if not est:
        return "–"
    return f"{_num(est['mean'], percent)} [{_num(est['lo'], percent).rstrip('%')}, {_num(est['hi'], percent).rstrip('%')}]"


def checkpoint_table(run: dict) -> pd.DataFrame:
    """One row per checkpoint: regime, in-domain, each OOD benchmark, OOD mean, general, ASR, length, truncation.

    Values are fractions (tokens for length); `*_lo`/`*_hi` columns hold the group intervals for the CSV.
    """
    curves = pd.DataFrame(run["curves"])
    bench = pd.DataFrame(run["benchmarks"])
    length = pd.DataFrame(run["length"])
    regimes = {r["step"]: r["regime"] for r in run["regimes"]}
    table = pd.DataFrame({"step": run["steps"]})
    table["regime"] = table["step"].map(regimes).fillna("")

    def add(frame: pd.DataFrame, name: str, with_ci: bool) -> None:
        at = frame.set_index("step")
        table[name] = table["step"].map(at["mean"])
        if with_ci:
            table[f"{name}_lo"] = table["step"].map(at["lo"])
            table[f"{name}_hi"] = table["step"].map(at["hi"])

    if "in-domain" in set(curves["group"]):
        add(curves[curves["group"] == "in-domain"], "in-domain", True)
    ood = bench[bench["domain"] == "ood"] if not bench.empty else bench
    for name in sorted(ood["benchmark"].unique()) if not ood.empty else []:
        add(ood[ood["benchmark"] == name], name, False)
    for group, name in (("ood", "OOD mean"), ("general", "general"), ("safety", "ASR")):
        if group in set(curves["group"]):
            add(curves[curves["group"] == group], name, True)
    overall = length[length["group"] == "all"].set_index("step")
    table["mean tokens"] = table["step"].map(overall["mean"])
    table["truncated"] = table["step"].map(overall["truncation"])
    return table


def display_columns(table: pd.DataFrame) -> list[str]:
    """The table's columns worth showing (interval columns are folded into their value)."""
    return [c for c in table.columns if not c.endswith(("_lo", "_hi"))]


def format_cell(table: pd.DataFrame, row: pd.Series, col: str) -> str:
    v = row[col]
    if col in ("step", "regime"):
        return str(v)
    if col == "mean tokens":
        return _num(v, False)
    if f"{col}_lo" in table.columns:
        return interval(dict(mean=v, lo=row[f"{col}_lo"], hi=row[f"{col}_hi"]))
    return _num(v, True)


def headline_rows(run: dict) -> list[dict]:
    """Base vs final, with 95% intervals and the paired change, for in-domain, OOD mean, ASR and length."""
    rows = []
    for key, label in HEADLINE_LABELS.items():
        h = run["headline"].get(key)
        if not h:
            continue
        pct = not key.endswith("response_tokens")
        d = h["diff"]
        change = "–" if not d else (
            f"{'+' if d['diff'] >= 0 else ''}{_num(d['diff'], pct).rstrip('%')}{' pts' if pct else ' tokens'} "
            f"[{_num(d['lo'], pct).rstrip('%')}, {_num(d['hi'], pct).rstrip('%')}], p={d['p']:.3g}")
        rows.append(dict(label=label, base=interval(h["base"], pct), final=interval(h["final"], pct),
                         final_step=h["final_step"], change=change))
    return rows


def _dip_line(dip: dict) -> str:
    parts = [f"baseline {_num(dip['baseline'], True)}"]
    if dip["dip_step"] is not None:
        sig = "significant" if dip["dip_significant"] else "not significant"
        parts.append(f"dips {100 * dip['dip_depth']:.1f} pts at step {dip['dip_step']} ({sig})")
    if dip["recovery_step"] is not None:
        parts.append(f"recovers at step {dip['recovery_step']}")
    if dip["exceed_step"] is not None:
        parts.append(f"exceeds baseline from step {dip['exceed_step']}")
    parts.append(f"peak {_num(dip['peak_mean'], True)} at step {dip['peak_step']}")
    parts.append(f"final gain {100 * dip['final_gain']:+.1f} pts")
    return ", ".join(parts)


def summary_lines(findings: dict) -> list[str]:
    """A few lines per run for the end of a command: base vs final and the shape of the curves."""
    lines = []
    for run in findings["runs"]:
        lines.append(f"{run['name']}: {len(run['steps'])} checkpoints, steps {run['steps'][0]}..{run['steps'][-1]}")
        for row in headline_rows(run):
            lines.append(f"  {row['label']}: base {row['base']} -> step {row['final_step']} {row['final']}")
        for group in ("ood", "in-domain"):
            if group in run["dips"]:
                lines.append(f"  {group} trajectory: {_dip_line(run['dips'][group])}")
        stages = run["length_stages"]
        if stages["settle_step"] is not None:
            lines.append(f"  response length spikes at step {stages['spike_step']} and settles from step "
                         f"{stages['settle_step']} at {stages['settled_mean']:.0f} tokens")
        length = pd.DataFrame(run["length"])
        final = length[(length["group"] == "all") & (length["step"] == run["steps"][-1])]
        if not final.empty:
            lines.append(f"  truncated responses at the last checkpoint: {_num(final['truncation'].iloc[0], True)}")
        s = run["safety"]
        if s and s["rho_step"] is not None:
            lines.append(f"  ASR trend over steps: Spearman rho {s['rho_step']:+.2f} (p={s['p_step']:.3g})")
    return lines
