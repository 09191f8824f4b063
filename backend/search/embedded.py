"""Embedded search index for local mode: SQLite FTS5 (text) + R*Tree (viewport), no server.

It lives in its own file (`<data_dir>/search.db`), not in trinity.db: it is derived data fed by the
same change log and sync worker as Meilisearch, so it can be deleted and rebuilt at will, and its
writes never queue behind bookings for trinity.db's single write lock.

Each full rebuild writes a new *generation* of tables (docs_N, geo_N, fts_N) and then flips
`meta.generation` in one transaction: the SQLite counterpart of Meilisearch's swap-indexes.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from backend.search.port import (
    WORLD,
    HotelDoc,
    PriceMatch,
    Progress,
    SearchQuery,
    SearchResult,
    Sort,
)

DOC_COLUMNS = [
    "id", "name", "city", "country", "lat", "lng", "rating", "amenities", "description",
    "currency", "price_min", "price_max", "max_capacity",
]  # fmt: skip
ORDER_BY = {
    Sort.PRICE_ASC: "d.price_min ASC, d.id ASC",
    Sort.PRICE_DESC: "d.price_min DESC, d.id ASC",
    Sort.RATING_DESC: "d.rating DESC, d.id ASC",
}
# Field weights for relevance, in the order of the fts columns: a name match beats a city match
# beats a description match (Meilisearch's `attribute` ranking rule says the same).
BM25 = "bm25(fts_{g}, 10.0, 5.0, 1.0)"
WORD = re.compile(r"\w+", re.UNICODE)


def fts_expression(text: str) -> str | None:
    """Every word must match; the last one as a prefix (people are still typing it)."""
    words = WORD.findall(text)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def _amenity_keys(amenities: Iterable[str]) -> str:
    # ",wifi,pool," lets `instr` test membership of ",wifi," without a join.
    return "," + ",".join(a.strip().lower() for a in amenities) + ","


class EmbeddedIndex:
    def __init__(self, path: Path, busy_timeout_s: float = 5.0) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._ready = False

    # -- connections ---------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout_s,
                isolation_level=None,  # we issue BEGIN/COMMIT ourselves
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        if not self._ready:
            self._create_if_missing(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def _create_if_missing(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER)")
            if conn.execute("SELECT 1 FROM meta WHERE key = 'generation'").fetchone() is None:
                self._create_generation(conn, 1)
                conn.execute("INSERT INTO meta VALUES ('generation', 1)")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._ready = True

    @staticmethod
    def _create_generation(conn: sqlite3.Connection, g: int) -> None:
        conn.execute(
            f"""CREATE TABLE docs_{g} (
                id INTEGER PRIMARY KEY, name TEXT, city TEXT, country TEXT, lat REAL, lng REAL,
                rating REAL, amenities TEXT, amen_keys TEXT, description TEXT, currency TEXT,
                price_min REAL, price_max REAL, max_capacity INTEGER)"""
        )
        conn.execute(f"CREATE INDEX docs_{g}_price ON docs_{g} (price_min, id)")
        conn.execute(f"CREATE INDEX docs_{g}_rating ON docs_{g} (rating DESC, id)")
        conn.execute(
            f"CREATE VIRTUAL TABLE geo_{g} USING rtree(id, min_lat, max_lat, min_lng, max_lng)"
        )
        conn.execute(
            f"CREATE VIRTUAL TABLE fts_{g} USING fts5(name, city, description, "
            "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
        )

    @staticmethod
    def _generation(conn: sqlite3.Connection) -> int:
        return int(conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0])

    # -- writes --------------------------------------------------------------------------------

    def ensure_ready(self) -> None:
        self._conn()

    def upsert(self, docs: Sequence[HotelDoc]) -> None:
        if docs:
            self._write(lambda conn, g: self._put(conn, g, docs))

    def delete(self, ids: Sequence[int]) -> None:
        if ids:
            self._write(lambda conn, g: self._remove(conn, g, ids))

    def _write(self, change: Any) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            change(conn, self._generation(conn))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _remove(conn: sqlite3.Connection, g: int, ids: Sequence[int]) -> None:
        rows = [(i,) for i in ids]
        for table, key in ((f"docs_{g}", "id"), (f"geo_{g}", "id"), (f"fts_{g}", "rowid")):
            conn.executemany(f"DELETE FROM {table} WHERE {key} = ?", rows)

    @classmethod
    def _put(cls, conn: sqlite3.Connection, g: int, docs: Sequence[HotelDoc]) -> None:
        cls._remove(conn, g, [d.id for d in docs])
        conn.executemany(
            f"INSERT INTO docs_{g} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    d.id, d.name, d.city, d.country, d.lat, d.lng, d.rating,
                    json.dumps(d.amenities), _amenity_keys(d.amenities), d.description,
                    d.currency, d.price_min, d.price_max, d.max_capacity,
                )
                for d in docs
            ],
        )  # fmt: skip
        conn.executemany(
            f"INSERT INTO geo_{g} VALUES (?, ?, ?, ?, ?)",
            [(d.id, d.lat, d.lat, d.lng, d.lng) for d in docs],
        )
        conn.executemany(
            f"INSERT INTO fts_{g} (rowid, name, city, description) VALUES (?, ?, ?, ?)",
            [(d.id, d.name, d.city, d.description) for d in docs],
        )

    def rebuild(self, batches: Iterable[Sequence[HotelDoc]], progress: Progress) -> int:
        conn = self._conn()
        current = self._generation(conn)
        self._drop_generations(conn, keep=current)
        fresh = current + 1
        conn.execute("BEGIN IMMEDIATE")
        self._create_generation(conn, fresh)
        conn.execute("COMMIT")
        done = 0
        for batch in batches:
            self._write_to(conn, fresh, batch)
            done += len(batch)
            progress(len(batch))
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (fresh,))
        conn.execute("COMMIT")
        # The old generation stays until the next rebuild: a search that read the old
        # generation number a moment ago can still finish on its tables.
        return done

    def _write_to(self, conn: sqlite3.Connection, g: int, docs: Sequence[HotelDoc]) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._put(conn, g, docs)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @staticmethod
    def _drop_generations(conn: sqlite3.Connection, keep: int) -> None:
        names = [
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if re.fullmatch(r"(docs|geo|fts)_\d+", row[0]) and not row[0].endswith(f"_{keep}")
        ]
        for name in names:
            conn.execute(f"DROP TABLE IF EXISTS {name}")

    def drop(self) -> None:
        self.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        self._ready = False

    # -- reads ---------------------------------------------------------------------------------

    def ping(self) -> None:
        self._conn().execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()

    def count(self) -> int:
        conn = self._conn()
        return int(
            conn.execute(f"SELECT count(*) FROM docs_{self._generation(conn)}").fetchone()[0]
        )

    def search(self, query: SearchQuery) -> SearchResult:
        conn = self._conn()
        conn.execute("BEGIN")  # one snapshot for the generation number and the query
        try:
            g = self._generation(conn)
            sql_from, params, order = self._plan(g, query)
            total = int(conn.execute(f"SELECT count(*) {sql_from}", params).fetchone()[0])
            rows = conn.execute(
                f"SELECT {', '.join('d.' + c for c in DOC_COLUMNS)} {sql_from} "
                f"ORDER BY {order} LIMIT ? OFFSET ?",
                [*params, query.limit, query.offset],
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        return SearchResult(hits=[_doc(row) for row in rows], total=total)

    @staticmethod
    def _plan(g: int, query: SearchQuery) -> tuple[str, list[Any], str]:
        joins: list[str] = []
        where: list[str] = []
        params: list[Any] = []
        box = query.bbox
        source = f"docs_{g} AS d"
        expression = fts_expression(query.text)
        if box is not None and box != WORLD:
            # The R*Tree drives (CROSS JOIN fixes the loop order: left to right); otherwise SQLite
            # may walk the price index for ORDER BY ... LIMIT and probe the box per hotel. Its
            # float32 boxes are rounded outward, so the REAL columns decide the edges.
            # With text, FTS5 drives instead (plain joins, the planner orders them).
            join = "JOIN" if expression else "CROSS JOIN"
            source = f"geo_{g} AS g {join} docs_{g} AS d"
            where.append(
                "g.max_lat >= ? AND g.min_lat <= ? AND g.max_lng >= ? AND g.min_lng <= ? "
                "AND d.id = g.id AND d.lat BETWEEN ? AND ? AND d.lng BETWEEN ? AND ?"
            )
            params += [box.sw_lat, box.ne_lat, box.sw_lng, box.ne_lng] * 2
        order = ORDER_BY.get(query.sort, "d.id ASC")
        if expression is not None:
            joins.insert(0, f"JOIN fts_{g} ON fts_{g}.rowid = d.id AND fts_{g} MATCH ?")
            params.insert(0, expression)
            if query.sort is Sort.RELEVANCE:
                order = f"{BM25.format(g=g)} ASC, d.id ASC"
        where += _price_filters(query, params)
        for amenity in query.amenities:
            where.append("instr(d.amen_keys, ?) > 0")
            params.append(f",{amenity},")
        if query.min_capacity is not None:
            where.append("d.max_capacity >= ?")
            params.append(query.min_capacity)
        sql = f"FROM {source} {' '.join(joins)}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return sql, params, order


def _price_filters(query: SearchQuery, params: list[Any]) -> list[str]:
    where = []
    low_column, high_column = (
        ("d.price_min", "d.price_min")
        if query.price_match is PriceMatch.LOWEST
        else ("d.price_max", "d.price_min")
    )
    if query.min_price is not None:
        where.append(f"{low_column} >= ?")
        params.append(query.min_price)
    if query.max_price is not None:
        where.append(f"{high_column} <= ?")
        params.append(query.max_price)
    return where


def _doc(row: Sequence[Any]) -> HotelDoc:
    values = dict(zip(DOC_COLUMNS, row, strict=True))
    values["amenities"] = json.loads(values["amenities"])
    return HotelDoc(**values)
