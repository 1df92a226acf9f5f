import math

import pandas as pd
import pytest

from sftlab.analysis.tables import RunInfo, markdown, model_data_table, model_data_wide, pick_step, schedule_table


def _curves(ood, ind=0.5):
    rows = []
    for s, o in zip(range(0, 10 * len(ood), 10), ood):
        rows += [dict(group="ood", step=s, mean=o), dict(group="in-domain", step=s, mean=ind + s / 100)]
    return pd.DataFrame(rows)


def _run(name, model, cond, batch, ood):
    return RunInfo(name, model, cond, batch, 1.0, 1000, _curves(ood))


def test_pick_step():
    c = _curves([0.2, 0.6, 0.4])
    assert (pick_step(c, "final"), pick_step(c, "best"), pick_step(c, 10)) == (20, 10, 10)
    with pytest.raises(ValueError, match="step 15 was not evaluated"):
        pick_step(c, 15)


def test_schedule_table_keeps_shared_budgets_only():
    runs = [_run("a", "s", "cot", 16, [0.1, 0.3, 0.5]), _run("b", "s", "cot", 32, [0.1, 0.2, 0.4]),
            _run("c", "s", "cot", 64, [0.1, 0.2])]  # budget 10: alone
    t = schedule_table(runs)
    assert t["run"].tolist() == ["a", "b"] and t["budget"].tolist() == [20, 20]
    assert t["ood"].tolist() == [0.5, 0.4] and t["in-domain"].tolist() == [0.7, 0.7]
    assert math.isnan(t["general"].iloc[0])
    assert schedule_table(runs, "best")["step"].tolist() == [20, 20]


def test_model_data_table_has_base_and_conditions():
    runs = [_run("s-cot", "s", "cot", 32, [0.2, 0.6]), _run("s-nocot", "s", "nocot", 32, [0.2, 0.3]),
            _run("m-cot", "m", "cot", 32, [0.4, 0.8])]
    long = model_data_table(runs)
    assert long[["model", "condition"]].values.tolist() == [["m", "base"], ["m", "cot"], ["s", "base"], ["s", "cot"],
                                                           ["s", "nocot"]]
    wide = model_data_wide(long)
    assert wide.columns.tolist() == ["model", "base", "cot", "nocot"]
    assert wide.set_index("model").loc["s", "cot"] == "60.0 / 60.0 / –"  # in-domain / OOD / general
    assert wide.set_index("model").loc["m", "nocot"] == ""
    md = markdown(wide)
    assert md.splitlines()[0] == "| model | base | cot | nocot |" and md.count("\n") == 4
