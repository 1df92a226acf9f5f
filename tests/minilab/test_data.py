from sftlab.config import DataConfig, PretrainConfig
from sftlab.evaluate.benchmarks import get
from sftlab.minilab.data import pretrain_records, sft_records


def test_evaluation_problems_are_the_same_for_every_seed_and_in_no_seeds_training_data():
    # Replicates with different seeds must be scored on the same problems (so the analysis can pair them),
    # and no seed may train on the problems the benchmarks ask.
    for name in ("countdown", "signs"):
        assert [i.id for i in get(name)(None, seed=3).load()] == [i.id for i in get(name)(None, seed=0).load()]
    asked_prompts = {i.question for name in ("countdown", "countdown_pm", "signs", "path", "refusal")
                     for i in get(name)(None).load()}
    for seed in (0, 1, 2):
        trained = {r["messages"][0]["content"] for r in sft_records(DataConfig(samples=400), seed)}
        trained |= {r["messages"][0]["content"] for r in pretrain_records(PretrainConfig(), seed, 3)}
        assert trained and not trained & asked_prompts, f"seed {seed} trains on evaluation problems"
