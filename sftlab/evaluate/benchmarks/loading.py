"""Reading published benchmark files: jsonl, json, parquet, csv, or a Hugging Face dataset id.

Every record remembers where it came from (`file:line` or `hub-id[index]`) so a missing or mistyped
field is reported as `data/gpqa_diamond.csv:12: Correct Answer: missing`.
Reads the benchmark file named by the user; writes nothing.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sftlab.errors import UserError

_HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
_MISSING = object()


@dataclass(frozen=True)
class Record:
    """One row of a benchmark file and where it is, for error messages."""

    data: dict
    where: str

    def get(self, field: str, kind: type | tuple[type, ...] = str, default: Any = _MISSING) -> Any:
        """The field's value, checked against `kind`; a missing field without a default is an error."""
        value = self.data.get(field)
        if value is None or (isinstance(value, float) and value != value):  # None or NaN from pandas
            if default is not _MISSING:
                return default
            raise UserError(f"{self.where}: {field}: missing")
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else "|".join(k.__name__ for k in kind)
            raise UserError(f"{self.where}: {field}: expected {names}, got {type(value).__name__} {value!r:.60}")
        return value

    def fail(self, field: str, problem: str) -> UserError:
        return UserError(f"{self.where}: {field}: {problem}")


def resolve(path: str | Path | None, names: tuple[str, ...], hub_id: str, benchmark: str) -> str:
    """The file (or hub id) to read: `path` itself, one of `names` inside a directory, or the hub id."""
    if path is None:
        return hub_id
    p = Path(path)
    if p.is_dir():
        for candidate in (p / n for n in names):
            if candidate.exists():
                return str(candidate)
        for candidate in (p / benchmark / n for n in names):
            if candidate.exists():
                return str(candidate)
        raise UserError(f"{p}: no {' or '.join(names)} for benchmark {benchmark} in this directory")
    return str(path)


def read_records(
    source: str | Path, *, split: str = "test", config: str | None = None, csv_header: bool = True
) -> list[Record]:
    """All records of a local file (by suffix) or of a hub dataset split."""
    path = Path(source)
    if not path.exists():
        if _HUB_ID.match(str(source)) and not str(source).startswith((".", "/")):
            return _read_hub(str(source), split, config)
        raise UserError(f"{source}: no such file")
    name = path.name.lower().removesuffix(".gz")
    if name.endswith(".jsonl"):
        return _read_json_lines(path)
    if name.endswith(".json"):
        return _read_json(path)
    if name.endswith(".parquet"):
        return _read_parquet(path)
    if name.endswith(".csv"):
        return _read_csv(path, csv_header)
    raise UserError(f"{path}: unknown file type; expected .jsonl, .json, .parquet or .csv")


def _open_text(path: Path):
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8", newline="")


def _read_json_lines(path: Path) -> list[Record]:
    records = []
    with _open_text(path) as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as e:
                raise UserError(f"{path}:{number}: not valid JSON ({e.msg})") from None
            if not isinstance(data, dict):
                raise UserError(f"{path}:{number}: expected a JSON object, got {type(data).__name__}")
            records.append(Record(data, f"{path}:{number}"))
    return records


def _read_json(path: Path) -> list[Record]:
    """A JSON list of objects; some benchmarks (HaluEval) publish JSON lines under a .json name."""
    with _open_text(path) as f:
        text = f.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":
            return _read_json_lines(path)
        raise UserError(f"{path}:{e.lineno}: not valid JSON ({e.msg})") from None
    if isinstance(data, dict) and len(data) == 1 and isinstance(next(iter(data.values())), list):
        data = next(iter(data.values()))  # {"data": [...]} wrappers
    elif isinstance(data, dict):
        return _read_json_lines(path)  # JSON lines holding a single record
    if not isinstance(data, list):
        raise UserError(f"{path}: expected a JSON list of objects, got {type(data).__name__}")
    for i, row in enumerate(data):
        if not isinstance(row, dict):
            raise UserError(f"{path}: item {i}: expected a JSON object, got {type(row).__name__}")
    return [Record(row, f"{path}: item {i}") for i, row in enumerate(data)]


def _read_parquet(path: Path) -> list[Record]:
    import pyarrow.parquet as pq

    try:
        rows = pq.read_table(path).to_pylist()
    except Exception as e:  # noqa: BLE001 - pyarrow raises many types for a damaged file
        raise UserError(f"{path}: not a readable parquet file ({e})") from None
    return [Record(row, f"{path}: row {i}") for i, row in enumerate(rows)]


def _read_csv(path: Path, header: bool) -> list[Record]:
    with _open_text(path) as f:
        rows = list(csv.reader(f))
    if header:
        if not rows:
            raise UserError(f"{path}: empty file, expected a header row")
        columns = rows[0]
        # line numbers count the header as line 1
        return [Record(dict(zip(columns, row)), f"{path}:{i}") for i, row in enumerate(rows[1:], start=2) if row]
    return [Record({str(k): v for k, v in enumerate(row)}, f"{path}:{i}") for i, row in enumerate(rows, 1) if row]


def _read_hub(hub_id: str, split: str, config: str | None) -> list[Record]:
    try:
        import datasets
    except ImportError:
        raise UserError(
            f"{hub_id}: not a local file; reading a hub dataset needs `pip install datasets` and hub access, "
            "or pass the benchmark's published file with --data-dir or benchmarks[].path"
        ) from None
    try:
        rows = datasets.load_dataset(hub_id, config, split=split)
    except Exception as e:  # noqa: BLE001 - network, auth and missing-split errors all end here
        raise UserError(f"{hub_id}: could not load split {split!r} from the hub ({e})") from None
    return [Record(dict(row), f"{hub_id}[{i}]") for i, row in enumerate(rows)]


def require_items(records: list[Record], source: str) -> list[Record]:
    if not records:
        raise UserError(f"{source}: no items")
    return records
