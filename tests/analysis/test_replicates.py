import pandas as pd

from sftlab.analysis.replicates import Member, experiment_name, group_replicates
from sftlab.analysis.trajectory import matrices


def _member(name: str, seed: int | None, lr: float = 1e-3) -> Member:
    cfg = {"name": name, "model": {"preset": "s"}, "train": {"lr": lr}}
    if seed is not None:
        cfg["seed"] = seed
    rows = pd.DataFrame(dict(run=name, step=[0, 0], benchmark="b", domain="ood", item_id=["i0", "i1"], sample=0,
                             score=[float(seed or 0), 1.0]))
    return Member(name, f"runs/{name}", cfg, rows, f"runs/{name}/results.sqlite")


def test_runs_differing_only_in_seed_pool_into_one_experiment():
    runs = [_member("cot-s0", 0), _member("nocot", 0, lr=5e-4), _member("cot-s1", 1), _member("cot-s2", 2)]
    exps = group_replicates(runs)
    assert [(e.name, e.seeds) for e in exps] == [("cot", [0, 1, 2]), ("nocot", [0])]
    frame = exps[0].frame()
    assert sorted(frame["seed"].unique()) == [0, 1, 2] and len(frame) == 6
    assert [e.name for e in group_replicates(runs, pool=False)] == ["cot-s0", "nocot", "cot-s1", "cot-s2"]


def test_runs_without_a_seed_in_their_config_or_with_the_same_seed_stay_apart():
    assert len(group_replicates([_member("a", None), _member("b", None)])) == 2
    assert len(group_replicates([_member("a", 3), _member("b", 3)])) == 2


def test_experiment_name_strips_a_seed_suffix_or_joins():
    assert experiment_name(["lr1e-3_seed1", "lr1e-3_seed2"]) == "lr1e-3"
    assert experiment_name(["alpha", "beta"]) == "alpha+beta"


def test_matrices_of_pooled_rows_are_seeds_by_items_by_samples():
    frame = group_replicates([_member("cot-s0", 0), _member("cot-s1", 1)])[0].frame()
    mat = matrices(frame)["b"][0]
    assert mat.shape == (2, 2, 1)
    assert mat[:, :, 0].tolist() == [[0.0, 1.0], [1.0, 1.0]]
