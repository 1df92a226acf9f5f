"""SFT records: one schema, the formats it is read from and written to, validation with file:line:field.

Reads JSONL and Parquet files and Hugging Face dataset ids (with the optional `datasets` package);
writes JSONL or Parquet atomically. The canonical record is

    {"messages": [{"role", "content"}, ...],   # the prompt turns
     "response": "<think>...</think>answer",    # the assistant turn, reasoning kept verbatim
     "answer": reference or null, "id": query id, "meta": {...}}

Input formats are declared, never guessed per row (`format=`):
- `sft`: `messages` (the prompt turns) and a separate `response`;
- `chat`: `messages` whose last turn is the assistant's response;
- `prompt_completion`: `prompt` (text or turns) and `completion` (text or one assistant turn);
- `released`: the study's published schema, `message` (turns), `response`, `answer`; other columns
  (`advantage`, ...) are kept in `meta` and written back as columns;
- `queries`: prompts without responses (`messages`, `message`, `prompt` or `question`; optional `answer`),
  the input of teacher sampling.
`auto` decides once per file from its columns (the Parquet schema; the first JSONL object's keys) and
then holds every row to that format. Every bad row is collected; reading raises one `UserError` listing
them all after the last row, and the writers here only rename their output into place on success, so a
pipeline streaming records into a writer leaves nothing behind when any row is bad.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from sftlab.errors import UserError

log = logging.getLogger(__name__)

ROLES = ("system", "user", "assistant")
FORMATS = ("sft", "chat", "prompt_completion", "released", "queries")
WRITE_FORMATS = ("sft", "released")
PARQUET_BATCH = 1024


@dataclass
class Record:
    messages: list[dict]  # prompt turns, ending with the user's
    response: str  # "" only for queries
    answer: str | None = None  # the reference answer, when known
    id: str = ""  # the query's id: every response to the same prompt shares it
    meta: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"id": self.id, "messages": self.messages, "response": self.response,
                "answer": self.answer, "meta": self.meta}


def query_id(messages: list[dict]) -> str:
    """A stable id from the prompt turns, for inputs that carry none."""
    blob = json.dumps(messages, sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha1(blob).hexdigest()[:16]


# -- deciding the format -----------------------------------------------------------------------

def detect_format(columns: Iterable[str], source: str) -> str:
    """The format a file's columns declare; ambiguous or unknown column sets are an error."""
    cols = set(columns)
    found = []
    if "message" in cols and "response" in cols:
        found.append("released")
    if "prompt" in cols and "completion" in cols:
        found.append("prompt_completion")
    if "messages" in cols:
        found.append("sft" if "response" in cols else "chat")
    if len(found) == 1:
        return found[0]
    why = f"columns {sorted(cols)} match {found}" if found else f"no known format has columns {sorted(cols)}"
    raise UserError(f"{source}: cannot decide the format ({why}); pass format= one of {', '.join(FORMATS)}")


# -- one row -----------------------------------------------------------------------------------

def _turns(value: object, field_name: str, problems: list[str]) -> list[dict] | None:
    if not isinstance(value, list) or not value:
        problems.append(f"{field_name}: expected a non-empty list of {{role, content}} turns, got {_show(value)}")
        return None
    ok = True
    for i, turn in enumerate(value):
        where = f"{field_name}[{i}]"
        if not isinstance(turn, dict):
            problems.append(f"{where}: expected a {{role, content}} object, got {_show(turn)}")
            ok = False
            continue
        if turn.get("role") not in ROLES:
            problems.append(f"{where}.role: expected {'|'.join(ROLES)}, got {_show(turn.get('role'))}")
            ok = False
        if not isinstance(turn.get("content"), str):
            problems.append(f"{where}.content: expected text, got {_show(turn.get('content'))}")
            ok = False
    return [{"role": t["role"], "content": t["content"]} for t in value] if ok else None


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _text_or_turns(value: object, field_name: str, problems: list[str]) -> list[dict] | None:
    if isinstance(value, str):
        if not value.strip():
            problems.append(f"{field_name}: empty prompt")
            return None
        return [{"role": "user", "content": value}]
    return _turns(value, field_name, problems)


def _completion(value: object, problems: list[str]) -> str | None:
    if isinstance(value, list):
        turns = _turns(value, "completion", problems)
        if turns is None:
            return None
        if len(turns) != 1 or turns[0]["role"] != "assistant":
            problems.append("completion: expected exactly one assistant turn")
            return None
        return turns[0]["content"]
    return value  # checked as a response below


def _prompt_and_response(row: dict, fmt: str, problems: list[str]) -> tuple[list[dict] | None, object]:
    if fmt == "sft":
        return _turns(row.get("messages"), "messages", problems), row.get("response")
    if fmt == "released":
        return _turns(row.get("message"), "message", problems), row.get("response")
    if fmt == "prompt_completion":
        return _text_or_turns(row.get("prompt"), "prompt", problems), _completion(row.get("completion"), problems)
    if fmt == "chat":
        turns = _turns(row.get("messages"), "messages", problems)
        if turns is None:
            return None, None
        if turns[-1]["role"] != "assistant":
            problems.append(f"messages[{len(turns) - 1}].role: expected assistant (the response turn), got {turns[-1]['role']!r}")
            return None, None
        return turns[:-1], turns[-1]["content"]
    key = next((k for k in ("messages", "message", "prompt", "question") if k in row), "messages")
    return _text_or_turns(row.get(key), key, problems), ""


def _answer(value: object, problems: list[str]) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    problems.append(f"answer: expected text or a number, got {_show(value)}")
    return None


_KNOWN = {"id", "messages", "message", "response", "prompt", "completion", "question", "answer", "meta"}


def parse_row(row: object, fmt: str) -> tuple[Record | None, list[str]]:
    """One row of a declared format as a Record, or the list of its problems (`field: what`)."""
    if not isinstance(row, dict):
        return None, [f"expected a JSON object, got {_show(row)}"]
    problems: list[str] = []
    messages, response = _prompt_and_response(row, fmt, problems)
    if messages is not None and not messages:
        problems.append("messages: no prompt turns before the response")
    elif messages is not None and messages[-1]["role"] != "user":
        problems.append(f"messages[{len(messages) - 1}].role: the prompt must end with a user turn, got {messages[-1]['role']!r}")
    if fmt != "queries" and not (isinstance(response, str) and response.strip()):
        name = "completion" if fmt == "prompt_completion" else "response"
        problems.append(f"{name}: expected non-empty text, got {_show(response)}")
    answer = _answer(row.get("answer"), problems)
    meta = row.get("meta") or {}
    if isinstance(meta, str):  # Parquet stores meta as JSON text
        try:
            meta = json.loads(meta)
        except json.JSONDecodeError:
            pass  # reported just below as not an object
    if not isinstance(meta, dict):
        problems.append(f"meta: expected an object, got {_show(meta)}")
    if problems:
        return None, problems
    if fmt == "released":
        meta = {**meta, **{k: v for k, v in row.items() if k not in _KNOWN and v is not None}}
    rid = row.get("id")
    return Record(messages, response, answer, str(rid) if rid is not None else query_id(messages), meta), []


# -- reading -----------------------------------------------------------------------------------

def _jsonl_rows(path: Path, problems: list[str]) -> Iterator[tuple[int, object]]:
    with open(path, "rb") as f:
        for line_no, raw in enumerate(f, 1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                problems.append(f"{path}:{line_no}: not valid UTF-8 (byte {raw[e.start]:#04x} at column {e.start + 1})")
                continue
            if not text.strip():
                continue
            try:
                yield line_no, json.loads(text.rstrip("\r\n"))
            except json.JSONDecodeError as e:
                problems.append(f"{path}:{line_no}: malformed JSON: {e.msg} at column {e.colno}")


def _parquet_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for a broken file
        raise UserError(f"{path}: not a readable Parquet file ({e})") from None

    def rows() -> Iterator[tuple[int, dict]]:
        n = 0
        for batch in pf.iter_batches(batch_size=PARQUET_BATCH):
            for row in batch.to_pylist():
                n += 1
                yield n, row

    return pf.schema_arrow.names, rows()


def _hub_rows(source: str, split: str) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    try:
        import datasets
    except ImportError:
        raise UserError(f"{source}: not a local file; reading a hub dataset needs `pip install datasets`") from None
    ds = datasets.load_dataset(source, split=split, streaming=True)
    first = next(iter(ds), {})
    return list(first), ((i, row) for i, row in enumerate(ds, 1))


def _source_rows(source: str | Path, fmt: str, split: str, problems: list[str]):
    path = Path(source)
    if path.suffix == ".jsonl" or path.suffix == ".json":
        if not path.exists():
            raise UserError(f"{path}: file not found")
        rows = _jsonl_rows(path, problems)
        if fmt != "auto":
            return fmt, rows
        first = next(rows, None)
        if first is None:
            return "sft", iter(())
        columns = first[1] if isinstance(first[1], dict) else {}
        return detect_format(columns, f"{path}:{first[0]}"), _chain(first, rows)
    if path.suffix == ".parquet":
        if not path.exists():
            raise UserError(f"{path}: file not found")
        columns, rows = _parquet_rows(path)
    elif path.exists():
        raise UserError(f"{path}: unknown data file type {path.suffix!r}; expected .jsonl or .parquet")
    else:
        columns, rows = _hub_rows(str(source), split)
    return (detect_format(columns, str(source)) if fmt == "auto" else fmt), rows


def _chain(first, rest):
    yield first
    yield from rest


def iter_records(source: str | Path, format: str = "auto", split: str = "train") -> Iterator[Record]:
    """Stream the valid records of a file or hub dataset; after the last row, raise if any row was bad.

    The error lists every bad row as `source:line: field: problem`.
    """
    if format not in (*FORMATS, "auto"):
        raise UserError(f"unknown data format {format!r}; expected auto or one of {', '.join(FORMATS)}")
    problems: list[str] = []
    fmt, rows = _source_rows(source, format, split, problems)
    log.debug("%s: reading as %s", source, fmt)
    for line_no, row in rows:
        record, row_problems = parse_row(row, fmt)
        if record is None:
            problems.extend(f"{source}:{line_no}: {p}" for p in row_problems)
        elif not problems:  # once a row is bad, nothing downstream should see more rows
            yield record
    if problems:
        raise UserError(f"{len(problems)} problem(s) in {source} (format {fmt}):\n  " + "\n  ".join(problems))


def read_records(source: str | Path, format: str = "auto", split: str = "train") -> list[Record]:
    return list(iter_records(source, format, split))


# -- writing -----------------------------------------------------------------------------------

@contextlib.contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """A temporary path beside `path`, renamed onto it only when the block finishes without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _row(record: Record, format: str) -> dict:
    if format == "released":
        return {"message": record.messages, "response": record.response, "answer": record.answer, **record.meta}
    return record.to_dict()


def _arrow_schema(format: str, first_rows: list[dict]):
    import pyarrow as pa

    turns = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
    if format == "sft":
        return pa.schema([("id", pa.string()), ("messages", turns), ("response", pa.string()),
                          ("answer", pa.string()), ("meta", pa.string())])
    fixed = [("message", turns), ("response", pa.string()), ("answer", pa.string())]
    extras = [{k: v for k, v in row.items() if k not in ("message", "response", "answer")} for row in first_rows]
    inferred = pa.Table.from_pylist(extras).schema if any(extras) else pa.schema([])
    return pa.schema(fixed + [(f.name, f.type) for f in inferred])


class RecordWriter:
    """Streams records into a JSONL or Parquet file (by suffix); the file appears only when the block succeeds.

        with RecordWriter(Path("data/train.jsonl")) as out:
            for record in records:
                out.write(record)
    """

    def __init__(self, path: Path, format: str = "sft") -> None:
        self.path = Path(path)
        if format not in WRITE_FORMATS:
            raise UserError(f"cannot write format {format!r}; expected one of {', '.join(WRITE_FORMATS)}")
        if self.path.suffix not in (".jsonl", ".parquet"):
            raise UserError(f"{self.path}: output must end in .jsonl or .parquet")
        self.format = format
        self.count = 0
        self._batch: list[dict] = []
        self._parquet = None

    def __enter__(self) -> RecordWriter:
        self._target = atomic_target(self.path)
        self._tmp = self._target.__enter__()
        self._jsonl = open(self._tmp, "w", encoding="utf-8") if self.path.suffix == ".jsonl" else None
        return self

    def write(self, record: Record) -> None:
        row = _row(record, self.format)
        self.count += 1
        if self._jsonl is not None:
            self._jsonl.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        if self.format == "sft":
            row["meta"] = json.dumps(row["meta"], ensure_ascii=False)
        self._batch.append(row)
        if len(self._batch) == PARQUET_BATCH:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self._tmp, _arrow_schema(self.format, self._batch))
        self._parquet.write_table(pa.Table.from_pylist(self._batch, schema=self._parquet.schema))
        self._batch.clear()

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if self._jsonl is not None:
                self._jsonl.flush()
                os.fsync(self._jsonl.fileno())
                self._jsonl.close()
            elif exc_type is None:
                if self._batch or self._parquet is None:  # an empty input still gets a file with the schema
                    self._flush()
                self._parquet.close()
            elif self._parquet is not None:
                self._parquet.close()
        finally:
            self._target.__exit__(exc_type, exc, tb)


def write_records(path: Path, records: Iterable[Record], format: str = "sft") -> int:
    """Write records as JSONL or Parquet (by suffix), atomically; returns how many were written."""
    with RecordWriter(path, format) as out:
        for record in records:
            out.write(record)
    return out.count
