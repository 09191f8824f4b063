"""Embedded search index for local mode: SQLite FTS5 (text) + a band-clustered table (viewport).

It lives in its own file (`<data_dir>/search.db`), not in trinity.db: it is derived data fed by the
same change log and sync worker as Meilisearch, so it can be deleted and rebuilt at will, and its
writes never queue behind bookings for trinity.db's single write lock.

Each full rebuild writes a new *generation* of tables (docs_N, spots_N, fts_N) and then flips
`meta.generation` in one transaction: the SQLite counterpart of Meilisearch's swap-indexes.

The viewport used to go through an R*Tree (geo_N). At 1M hotels a region-sized viewport holds
~20k of them, and the R*Tree (a virtual table: one callback per row) plus a docs lookup per row
cost ~1 us a hit: 20-30 ms p95. spots_N (backend/search/embedded_query.py) reads the same hits as
contiguous B-tree ranges with every filter column in the row: 4-5x faster, same results.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from backend.currency import index_euros
from backend.search.embedded_query import (
    DOC_COLUMNS,
    SPOT_COLUMNS,
    Plan,
    band,
    cell_of_sql,
    plan,
)
from backend.search.grid import Grid
from backend.search.port import (
    TOTAL_CAP,
    AreaCount,
    BoundingBox,
    HotelDoc,
    Progress,
    SearchQuery,
    SearchResult,
)

# Reads through a memory map skip a system call and a copy per page; the lookups of a search
# touch pages all over the file. Address space only: the OS page cache holds the data either way.
MMAP_BYTES = 1 << 30
# Up to this many hits, a cluster grid is one pass over them (~10 ms for 10k); above it, a bounded
# scan per cell (at most TOTAL_CAP rows each) costs less than reading every hit.
DENSE_LIMIT = 20_000
SPOTS_FROM_DOCS = (
    "INSERT INTO spots_{g} SELECT band(lat), lng, id, " + ", ".join(SPOT_COLUMNS) + " FROM docs_{g}"
)


def _amenity_keys(amenities: Iterable[str]) -> str:
    # ",wifi,pool," lets `instr` test membership of ",wifi," without a join.
    return "," + ",".join(a.strip().lower() for a in amenities) + ","


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Committed, or rolled back on any error: a connection is kept per thread, so one left
    inside a failed transaction would hold the write lock and fail every later BEGIN."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


class EmbeddedIndex:
    def __init__(
        self, path: Path, busy_timeout_s: float = 5.0, dense_limit: int = DENSE_LIMIT
    ) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self.dense_limit = dense_limit
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
            conn.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
            conn.create_function("band", 1, band, deterministic=True)
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
        with write_transaction(conn):
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER)")
            if conn.execute("SELECT 1 FROM meta WHERE key = 'generation'").fetchone() is None:
                self._create_generation(conn, 1)
                conn.execute("INSERT INTO meta VALUES ('generation', 1)")
            self._upgrade(conn, self._generation(conn))
        self._ready = True

    @classmethod
    def _create_generation(cls, conn: sqlite3.Connection, g: int) -> None:
        conn.execute(
            f"""CREATE TABLE docs_{g} (
                id INTEGER PRIMARY KEY, name TEXT, city TEXT, country TEXT, lat REAL, lng REAL,
                rating REAL, amenities TEXT, amen_keys TEXT, description TEXT, currency TEXT,
                price_min REAL, price_max REAL, max_capacity INTEGER,
                price_min_eur REAL, price_max_eur REAL)"""
        )
        conn.execute(f"CREATE INDEX docs_{g}_price_eur ON docs_{g} (price_min_eur, id)")
        conn.execute(f"CREATE INDEX docs_{g}_rating ON docs_{g} (rating DESC, id)")
        cls._create_spots(conn, g)
        conn.execute(
            f"CREATE VIRTUAL TABLE fts_{g} USING fts5(name, city, description, "
            "tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"
        )

    @staticmethod
    def _create_spots(conn: sqlite3.Connection, g: int) -> None:
        conn.execute(
            f"""CREATE TABLE spots_{g} (
                band INTEGER, lng REAL, id INTEGER, lat REAL, price_min_eur REAL, price_max_eur REAL,
                amen_keys TEXT, max_capacity INTEGER, rating REAL,
                PRIMARY KEY (band, lng, id)) WITHOUT ROWID"""
        )

    @classmethod
    def _upgrade(cls, conn: sqlite3.Connection, g: int) -> None:
        """A file written before spots_N existed: derive it from docs_N, drop the R*Trees."""
        cls._add_euro_prices(conn, g)
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if f"spots_{g}" in tables:
            return
        cls._create_spots(conn, g)
        conn.execute(SPOTS_FROM_DOCS.format(g=g) + " ORDER BY 1, 2, 3")
        for name in tables:
            if re.fullmatch(r"geo_\d+", name):
                conn.execute(f"DROP TABLE {name}")

    @staticmethod
    def _add_euro_prices(conn: sqlite3.Connection, g: int) -> None:
        """A file written before prices were compared in euros: add and fill the columns, and
        drop spots_N so _upgrade derives it again with them."""
        columns = {row[1] for row in conn.execute(f"PRAGMA table_info(docs_{g})")}
        if "price_min_eur" in columns:
            return
        conn.create_function("index_euros", 2, index_euros, deterministic=True)
        for column in ("price_min_eur", "price_max_eur"):
            conn.execute(f"ALTER TABLE docs_{g} ADD COLUMN {column} REAL")
        conn.execute(
            f"UPDATE docs_{g} SET price_min_eur = index_euros(price_min, currency), "
            "price_max_eur = index_euros(price_max, currency)"
        )
        conn.execute(f"DROP INDEX IF EXISTS docs_{g}_price")
        conn.execute(f"CREATE INDEX docs_{g}_price_eur ON docs_{g} (price_min_eur, id)")
        conn.execute(f"DROP TABLE IF EXISTS spots_{g}")

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
        with write_transaction(conn):
            change(conn, self._generation(conn))

    @staticmethod
    def _remove(conn: sqlite3.Connection, g: int, ids: Sequence[int]) -> None:
        rows = [(i,) for i in ids]
        # spots_N is keyed by place: find it through docs_N, before that row goes.
        conn.executemany(
            f"DELETE FROM spots_{g} WHERE (band, lng, id) IN "
            f"(SELECT band(lat), lng, id FROM docs_{g} WHERE id = ?)",
            rows,
        )
        for table, key in ((f"docs_{g}", "id"), (f"fts_{g}", "rowid")):
            conn.executemany(f"DELETE FROM {table} WHERE {key} = ?", rows)

    @classmethod
    def _put(
        cls, conn: sqlite3.Connection, g: int, docs: Sequence[HotelDoc], spots: bool = True
    ) -> None:
        cls._remove(conn, g, [d.id for d in docs])
        conn.executemany(
            f"INSERT INTO docs_{g} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    d.id, d.name, d.city, d.country, d.lat, d.lng, d.rating,
                    json.dumps(d.amenities), _amenity_keys(d.amenities), d.description,
                    d.currency, d.price_min, d.price_max, d.max_capacity, d.price_min_eur,
                    d.price_max_eur,
                )
                for d in docs
            ],
        )  # fmt: skip
        if spots:
            ids = ", ".join(str(int(d.id)) for d in docs)
            conn.execute(SPOTS_FROM_DOCS.format(g=g) + f" WHERE id IN ({ids})")
        conn.executemany(
            f"INSERT INTO fts_{g} (rowid, name, city, description) VALUES (?, ?, ?, ?)",
            [(d.id, d.name, d.city, d.description) for d in docs],
        )

    def rebuild(self, batches: Iterable[Sequence[HotelDoc]], progress: Progress) -> int:
        conn = self._conn()
        current = self._generation(conn)
        self._drop_generations(conn, keep=current)
        fresh = current + 1
        with write_transaction(conn):
            self._create_generation(conn, fresh)
        done = 0
        for batch in batches:
            self._write_to(conn, fresh, batch)
            done += len(batch)
            progress(len(batch))
        with write_transaction(conn):
            # In key order at the end: appending is several times faster than filing hotels one
            # by one into a clustered table while the batches arrive.
            conn.execute(SPOTS_FROM_DOCS.format(g=fresh) + " ORDER BY 1, 2, 3")
            conn.execute("UPDATE meta SET value = ? WHERE key = 'generation'", (fresh,))
        # The old generation stays until the next rebuild: a search that read the old
        # generation number a moment ago can still finish on its tables.
        return done

    def _write_to(self, conn: sqlite3.Connection, g: int, docs: Sequence[HotelDoc]) -> None:
        with write_transaction(conn):
            self._put(conn, g, docs, spots=False)

    @staticmethod
    def _drop_generations(conn: sqlite3.Connection, keep: int) -> None:
        names = [
            row[0]
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if re.fullmatch(r"(docs|spots|fts)_\d+", row[0]) and not row[0].endswith(f"_{keep}")
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
        # Like Meilisearch's maxTotalHits: no page reaches past the TOTAL_CAP-th hit.
        if query.offset + query.limit > TOTAL_CAP:
            query = replace(query, limit=max(TOTAL_CAP - query.offset, 0))
        conn = self._conn()
        conn.execute("BEGIN")  # one snapshot for the generation number and the query
        try:
            total, rows = self._page(conn, plan(self._generation(conn), query), query)
        finally:
            conn.execute("COMMIT")
        return SearchResult(hits=[_doc(row) for row in rows], total=total, exact=total < TOTAL_CAP)

    def count_areas(self, query: SearchQuery, grid: Grid) -> list[AreaCount]:
        conn = self._conn()
        conn.execute("BEGIN")  # one snapshot for the generation number and every cell
        try:
            g = self._generation(conn)
            counts = self._cells_in_one_pass(conn, g, query, grid)
            if counts is None:
                counts = [self._cell(conn, g, query, box) for box in grid.boxes()]
        finally:
            conn.execute("COMMIT")
        return counts

    def _cells_in_one_pass(
        self, conn: sqlite3.Connection, g: int, query: SearchQuery, grid: Grid
    ) -> list[AreaCount] | None:
        """Every cell from one GROUP BY over the grid's hits, or None when there are more than
        `dense_limit` of them (a continent at 1M hotels): then a bounded scan per cell."""
        steps = plan(g, replace(query, bbox=grid.bbox))
        cell, cell_params = cell_of_sql(grid)
        rows = conn.execute(
            f"SELECT {cell} AS cell, count(*), avg(lat), avg(lng) "
            f"FROM ({steps.points_sql} LIMIT {self.dense_limit + 1}) GROUP BY cell",
            [*cell_params, *steps.params],
        ).fetchall()
        if sum(row[1] for row in rows) > self.dense_limit:
            return None
        counts = [AreaCount(0, True)] * (grid.columns * grid.rows)
        for index, count, lat, lng in rows:
            counts[index] = AreaCount(min(count, TOTAL_CAP), count < TOTAL_CAP, lat, lng)
        return counts

    @staticmethod
    def _cell(conn: sqlite3.Connection, g: int, query: SearchQuery, box: BoundingBox) -> AreaCount:
        """One cell, reading at most TOTAL_CAP of its hits (their mean places it)."""
        steps = plan(g, replace(query, bbox=box))
        count, lat, lng = conn.execute(
            f"SELECT count(*), avg(lat), avg(lng) FROM ({steps.points_sql} LIMIT {TOTAL_CAP})",
            steps.params,
        ).fetchone()
        return AreaCount(count, count < TOTAL_CAP, lat, lng) if count else AreaCount(0, True)

    @staticmethod
    def _page(
        conn: sqlite3.Connection, steps: Plan, query: SearchQuery
    ) -> tuple[int, list[Sequence[Any]]]:
        """(total, the page's rows), in one pass when there are at most TOTAL_CAP hits."""
        page = [*steps.params, query.limit, query.offset]
        rows = conn.execute(steps.few_sql, page).fetchall()
        if rows and rows[0][-1] <= TOTAL_CAP:  # every hit was collected: page and count hold
            return rows[0][-1], [row[:-1] for row in rows]
        if rows:
            total = TOTAL_CAP  # more hits than that: the page needs them all sorted
        elif query.offset == 0:
            return 0, []
        else:  # a page past the end: of every hit, or of the TOTAL_CAP + 1 collected
            total = conn.execute(steps.count_sql, steps.params).fetchone()[0]
            if total < TOTAL_CAP:
                return total, []
        return total, conn.execute(steps.hits_sql, page).fetchall()


def _doc(row: Sequence[Any]) -> HotelDoc:
    values = dict(zip(DOC_COLUMNS, row, strict=True))
    values["amenities"] = json.loads(values["amenities"])
    return HotelDoc.from_fields(values)
