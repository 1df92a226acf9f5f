"""`sftlab data ...`: sample a teacher, verify its responses, build the training conditions, decontaminate, card."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from sftlab.cli import app
from sftlab.cli.options import ConfigOpt, experiment

data_app = typer.Typer(help="Build training data you can trust: sample, verify, build, decontam, card.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")

FormatOpt = Annotated[str, typer.Option("--format", help="Input format: auto (from the file's columns), sft, chat, "
                                                         "prompt_completion, released, queries.")]
TokenizerOpt = Annotated[Optional[str], typer.Option("--tokenizer", help="Count tokens with this HF tokenizer "
                                                                        "(default: stored counts, else words).")]
LexiconOpt = Annotated[str, typer.Option("--lexicon", help="Reasoning-pattern lexicon for the card: english or minilab.")]


def _command() -> str:
    import sys

    return " ".join(["sftlab", *sys.argv[1:]])


def _counters(tokenizer: str | None, lexicon: str):
    from sftlab.data.card import lexicon_counter, token_counter

    return (token_counter(tokenizer) if tokenizer else None), lexicon_counter(lexicon)


@data_app.command()
def sample(
    queries: Annotated[Path, typer.Argument(help="Queries file (JSONL/Parquet): messages or prompt, answer, id.")],
    model: Annotated[str, typer.Option(help="Teacher model directory or hub id.")],
    out: Annotated[Path, typer.Option(help="Pool file (JSONL) to fill; re-runs add only what is missing.")],
    n: Annotated[int, typer.Option("-n", help="Responses per query.")] = 4,
    temperature: float = 0.6,
    top_p: float = 0.95,
    max_new_tokens: int = 4096,
    seed: int = 0,
    batch_size: int = 64,
    backend: Annotated[str, typer.Option(help="hf or vllm.")] = "hf",
    format: FormatOpt = "queries",
) -> None:
    """Draw N responses per query from a teacher model and store them with their token counts.

    Example: sftlab data sample queries.jsonl --model Qwen/Qwen3-32B --out pool.jsonl -n 8 --backend vllm
    """
    from sftlab.data.teacher import sample_with_model

    made = sample_with_model(queries, out, model, n, temperature=temperature, top_p=top_p,
                             max_new_tokens=max_new_tokens, seed=seed, batch_size=batch_size, backend=backend,
                             format=format)
    print(f"{out}: {made} new responses")


@data_app.command()
def verify(
    pool: Annotated[Path, typer.Argument(help="Response pool with reference answers.")],
    out: Annotated[Path, typer.Option(help="Verified pool to write (JSONL or Parquet).")],
    workers: Annotated[int, typer.Option(help="Worker processes for math-verify.")] = 2,
    timeout: Annotated[float, typer.Option(help="CPU seconds allowed per answer before it counts as a timeout.")] = 5.0,
    format: FormatOpt = "auto",
) -> None:
    """Extract each response's final answer and check it with math-verify; write verdicts and a report.

    Example: sftlab data verify pool.jsonl --out pool.verified.jsonl --workers 2
    """
    from sftlab.data.verify import verify_pool

    result = verify_pool(pool, out, workers=workers, timeout=timeout, format=format)
    print(f"{out}: {result['by_reason']}  verification rate {result['verification_rate']:.3f}")


@data_app.command()
def build(
    pool: Annotated[Optional[Path], typer.Argument(help="Verified pool (from `data verify`); omit with --task.")] = None,
    out: Annotated[Path, typer.Option(help="Output directory: <out>/<condition>/train.jsonl and card.json.")] = Path("data"),
    conditions: Annotated[str, typer.Option(help="Comma-separated: cot,nocot,unverified,wrong,subset.")] = "cot,nocot,unverified,wrong",
    seed: int = 0,
    k: Annotated[Optional[int], typer.Option(help="Queries in the `subset` condition.")] = None,
    max_tokens: Annotated[Optional[int], typer.Option(help="Drop responses longer than this many tokens.")] = None,
    allow_unclosed: Annotated[bool, typer.Option(help="Keep responses whose </think> never closed.")] = False,
    matched: Annotated[bool, typer.Option(help="Keep only queries that also have a wrong response.")] = False,
    task: Annotated[bool, typer.Option("--task", help="Mini-lab: build data.condition of data.task from the config.")] = False,
    config: ConfigOpt = None,
    overrides: Annotated[Optional[list[str]], typer.Option("--set", help="With --task: config override key=value.")] = None,
    tokenizer: TokenizerOpt = None,
    lexicon: LexiconOpt = "english",
    format: FormatOpt = "auto",
) -> None:
    """Build the training conditions from a verified pool, or a mini-lab task family's condition.

    Example: sftlab data build pool.verified.jsonl --out data --conditions cot,nocot,subset --k 2500 --max-tokens 16384
    Example: sftlab data build --task --out runs/demo/data --set data.condition=wrong --lexicon minilab
    """
    from sftlab.data.curate import Filters, build_conditions, build_task_condition

    count_tokens, count_patterns = _counters(tokenizer, lexicon)
    if task:
        cfg = experiment(config, overrides)
        card = build_task_condition(cfg.data, cfg.seed, out, count_tokens, count_patterns, _command())
        print(f"{out}/train.jsonl: {card['counts']['rows']} rows ({cfg.data.task}, {cfg.data.condition})")
        return
    if pool is None:
        raise typer.BadParameter("give a verified pool file, or --task for a mini-lab task family")
    cards = build_conditions(pool, out, tuple(c.strip() for c in conditions.split(",") if c.strip()), seed,
                             Filters(not allow_unclosed, max_tokens), k, matched, format, count_tokens,
                             count_patterns, _command())
    for cond, card in cards.items():
        print(f"{out}/{cond}/train.jsonl: {card['counts']['rows']} rows, {card['counts']['queries']} queries")


@data_app.command()
def decontam(
    data: Annotated[Path, typer.Argument(help="Training file to check.")],
    report: Annotated[Path, typer.Option(help="JSON report of overlapping rows.")],
    questions: Annotated[Optional[list[Path]], typer.Option(help="JSONL of evaluation questions (`question` field).")] = None,
    benchmark: Annotated[Optional[list[str]], typer.Option(help="Registered benchmark, `name` or `name:path`.")] = None,
    out: Annotated[Optional[Path], typer.Option(help="Also write the rows that do not overlap here.")] = None,
    n: Annotated[int, typer.Option(help="Word n-gram length.")] = 13,
    min_share: Annotated[float, typer.Option(help="Flag only rows sharing at least this share of their n-grams.")] = 0.0,
    format: FormatOpt = "auto",
) -> None:
    """Find training queries that overlap evaluation questions (word n-grams); optionally drop them.

    Example: sftlab data decontam data/cot/train.jsonl --benchmark math500:MATH-500/test.jsonl --report decontam.json --out clean.jsonl
    """
    from sftlab.data.decontam import decontaminate, load_questions

    result = decontaminate(data, load_questions(questions or [], benchmark or []), report, out, n, min_share, format)
    print(f"{data}: {result['overlapping']} of {result['rows']} rows overlap; report in {report}")


@data_app.command()
def card(
    data: Annotated[Path, typer.Argument(help="Training file to describe.")],
    out: Annotated[Optional[Path], typer.Option(help="Card path (default: card.json beside the data).")] = None,
    seed: Annotated[Optional[int], typer.Option(help="The seed that built the data, recorded in the card.")] = None,
    tokenizer: TokenizerOpt = None,
    lexicon: LexiconOpt = "english",
    format: FormatOpt = "auto",
) -> None:
    """Write card.json: counts, length distributions, verification rate, reasoning-pattern statistics.

    Example: sftlab data card data/cot/train.jsonl --tokenizer Qwen/Qwen3-8B-Base
    """
    from sftlab.data.card import write_card

    count_tokens, count_patterns = _counters(tokenizer, lexicon)
    result = write_card(data, out, format, count_tokens=count_tokens, count_patterns=count_patterns,
                        command=_command(), seed=seed)
    print(f"{out or data.with_name('card.json')}: {result['counts']['rows']} rows")
