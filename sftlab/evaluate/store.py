"""The results store: one SQLite file per run directory, one row per (run, step, benchmark, item, sample).

Reads and writes `runs/<name>/results.sqlite` (or one store that several runs share: rows are keyed by run).
WAL mode and `INSERT OR IGNORE` on the primary key make writes idempotent and a crashed evaluation
resumable: a re-run asks `stored_counts()` / `done_keys()` and computes only what is missing. Cluster
jobs write shard stores of the same schema that `merge()` folds in.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

import pandas as pd

SCHEMA_VERSION = 1

_COLUMNS = """
    run TEXT NOT NULL,
    step INTEGER NOT NULL,
    benchmark TEXT NOT NULL,
    domain TEXT NOT NULL,
    item_id TEXT NOT NULL,
    sample INTEGER NOT NULL,
    prompt TEXT NOT NULL,
    response TEXT NOT NULL,
    answer TEXT,
    score REAL NOT NULL,
    response_tokens INTEGER NOT NULL,
    reasoning_tokens INTEGER NOT NULL,
    answer_tokens INTEGER NOT NULL,
    finish_reason TEXT NOT NULL,
    truncated INTEGER NOT NULL,
    seconds REAL NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (run, step, benchmark, item_id, sample)
"""


@dataclass(frozen=True)
class SampleRow:
    run: str
    step: int
    benchmark: str
    domain: str
    item_id: str
    sample: int
    prompt: str
    response: str
    answer: str | None
    score: float
    response_tokens: int
    reasoning_tokens: int
    answer_tokens: int
    finish_reason: str  # "stop" | "length"
    truncated: bool  # cut by the token cap or reasoning block never closed: scored as wrong
    seconds: float  # generation time of this sample's batch, shared equally by its sequences
    detail: dict = field(default_factory=dict)


class ResultsStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(f"CREATE TABLE IF NOT EXISTS samples ({_COLUMNS})")
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        found = self._db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if found is None:
            self._db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(found[0]) != SCHEMA_VERSION:
            raise RuntimeError(f"{self.path}: results store schema v{found[0]}, this sftlab reads v{SCHEMA_VERSION}")
        self._db.commit()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def add(self, rows: Iterable[SampleRow]) -> int:
        """Insert rows, ignoring ones already stored; returns how many were new. One transaction."""
        records = []
        for r in rows:
            d = asdict(r)
            d["truncated"] = int(d["truncated"])
            d["detail"] = json.dumps(d["detail"], sort_keys=True)
            records.append(d)
        if not records:
            return 0
        cols = list(records[0])
        before = self._db.total_changes
        with self._db:
            self._db.executemany(
                f"INSERT OR IGNORE INTO samples ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                [tuple(d[c] for c in cols) for d in records],
            )
        return self._db.total_changes - before

    def done_keys(self, run: str, step: int, benchmark: str) -> set[tuple[str, int]]:
        cur = self._db.execute(
            "SELECT item_id, sample FROM samples WHERE run=? AND step=? AND benchmark=?", (run, step, benchmark)
        )
        return set(cur.fetchall())

    def stored_counts(self, run: str, wanted: Iterable[tuple[str, str, int]]) -> dict[tuple[int, str], int]:
        """Per (step, benchmark): how many of the `wanted` (benchmark, item_id, sample) keys are stored.

        One indexed join, so checking a sweep with nothing missing costs milliseconds, not a query per checkpoint.
        """
        with self._db:
            self._db.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (benchmark TEXT, item_id TEXT, sample INTEGER)")
            self._db.execute("DELETE FROM temp.wanted")
            self._db.executemany("INSERT INTO temp.wanted VALUES (?, ?, ?)", wanted)
        cur = self._db.execute(
            "SELECT s.step, s.benchmark, COUNT(*) FROM samples s JOIN temp.wanted w "
            "ON s.benchmark = w.benchmark AND s.item_id = w.item_id AND s.sample = w.sample "
            "WHERE s.run = ? GROUP BY s.step, s.benchmark",
            (run,),
        )
        return {(step, bench): n for step, bench, n in cur.fetchall()}

    def merge(self, shard: Path) -> int:
        """Fold in the rows of another store (a cluster job's shard), ignoring ones already here; returns new rows."""
        if not Path(shard).exists():
            raise FileNotFoundError(f"{shard}: no such results shard")
        with ResultsStore(shard):  # checks the shard's schema version before its rows are trusted
            pass
        before = self._db.total_changes
        self._db.execute("ATTACH DATABASE ? AS shard", (str(shard),))
        try:
            with self._db:
                columns = ", ".join(SampleRow.__dataclass_fields__)
                self._db.execute(f"INSERT OR IGNORE INTO samples ({columns}) SELECT {columns} FROM shard.samples")
        finally:
            self._db.execute("DETACH DATABASE shard")
        return self._db.total_changes - before

    def count(self, run: str | None = None) -> int:
        if run is None:
            return self._db.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
        return self._db.execute("SELECT COUNT(*) FROM samples WHERE run=?", (run,)).fetchone()[0]

    def frame(self, run: str | None = None, with_text: bool = False) -> pd.DataFrame:
        """All rows as a DataFrame (the analysis input); texts only when asked, they are the bulk."""
        cols = "*" if with_text else (
            "run, step, benchmark, domain, item_id, sample, answer, score, response_tokens, reasoning_tokens, "
            "answer_tokens, finish_reason, truncated, seconds"
        )
        query = f"SELECT {cols} FROM samples" + (" WHERE run=?" if run else "")
        df = pd.read_sql_query(query, self._db, params=(run,) if run else ())
        df["truncated"] = df["truncated"].astype(bool)
        return df

    def export(self, path: Path) -> None:
        """Parquet (by suffix .parquet) or CSV of every row, texts included."""
        df = self.frame(with_text=True)
        tmp = Path(path).with_suffix(Path(path).suffix + ".tmp")
        if str(path).endswith(".parquet"):
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)
        tmp.replace(path)
