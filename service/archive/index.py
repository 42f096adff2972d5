"""One vector index for the archive: every stored article's vector in an HNSW graph (usearch), shared by search and
related articles, so that no request reads every vector.

The store is the truth; the index follows it. Every stored vector and every deleted article is appended to
`vector_index_log` (service/store/vectors.py, service/store/articles.py), and `sync` replays the entries this
process has not applied yet before each query (one indexed read when nothing changed). So any number of server
processes, on one machine or many, each keep their own index consistent with the one database.

The index is saved as `<seq>.usearch`, named after the last log entry it holds, written to a temporary file and
renamed: a process that starts loads the newest file and replays the log from there; a missing or unreadable file,
or one that disagrees with the store (another database at the same URL, an archive from before the log), is rebuilt
from the stored vectors. Files are only ever replaced whole, so processes sharing the directory never see half a
file, and a file's name can never claim more than it holds.
"""

import hashlib
import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

# Not used here, but loaded before usearch: importing onnxruntime after usearch 2.26 kills the process (SIGSEGV in
# onnxruntime's module init, with onnxruntime 1.32 on this machine), and the embedder imports it later.
import onnxruntime  # noqa: F401
from sqlalchemy import make_url
from sqlalchemy.orm import Session
from usearch.index import Index

from models.registry import Models
from models.related import vector_model_id
from service.settings import Settings
from service.store import vectors

log = logging.getLogger(__name__)

# On PostgreSQL a log entry may commit after a later one (sequence values are taken before commit): entries up to
# this far behind the newest one applied are read again, and the ones not applied yet are applied.
_LOOKBACK = 64
# Vectors are held as 16-bit floats: 0.98 GB for a million articles with the graph, where float32 took 1.7 GB. int8
# took 0.6 GB but maps [-1, 1] onto 256 levels, and a unit 384-d vector's parts are about ±0.05: recall@10 stalled
# at 0.91 (float16: 0.975). Searching 128 candidates deep: 64 gave 0.92. (python -m scripts.bench_ann, which also
# compared faiss and hnswlib; python -m scripts.bench_archive scale measures this index.)
_DTYPE = "f16"
_CONNECTIVITY = 16
_EXPANSION_ADD = 128
_EXPANSION_SEARCH = 128
_FILE = re.compile(r"([0-9]+)\.usearch")


def index_directory(root: Path, database_url: str, model_id: str) -> Path:
    """Where the index of one database's vectors for one model lives: a database and a model each their own. A
    relative SQLite path (the default, ./precis.db) names a different database in each folder; a password is not
    part of which database it is."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).resolve()))
    name = url.render_as_string(hide_password=True)
    database = hashlib.sha256(name.encode("utf-8")).hexdigest()[:16]
    model = re.sub(r"[^A-Za-z0-9._-]+", "_", model_id)
    return root / database / model


def archive_index_for(settings: Settings, models: Models) -> "ArchiveIndex":
    """The (empty, unopened) vector index for these settings' database and these models' embedder."""
    model_id = vector_model_id(models.embedder.name)
    directory = index_directory(settings.index_dir, settings.database_url, model_id)
    return ArchiveIndex(directory, model_id, models.embedder.dimension)


def open_archive_index(settings: Settings, models: Models, session: Session) -> "ArchiveIndex":
    """The archive's vector index, loaded (or rebuilt) and caught up with the store."""
    index = archive_index_for(settings, models)
    index.open(session)
    return index


class ArchiveIndex:
    """The vectors of every stored article for one model, by article id."""

    def __init__(self, directory: Path | None, model_id: str, dimension: int) -> None:
        self.directory = directory
        self.model_id = model_id
        self.dimension = dimension
        self._index = self._new_index()
        # The newest log entry applied, and the applied ones within _LOOKBACK of it.
        self.seq = 0
        self._recent: set[int] = set()
        # Every stored article up to this id has a vector (service/store/vectors.py first_without_vector).
        self._complete_up_to = 0
        self._lock = threading.Lock()

    def _new_index(self) -> Index:
        return Index(
            ndim=self.dimension,
            metric="cos",
            dtype=_DTYPE,
            connectivity=_CONNECTIVITY,
            expansion_add=_EXPANSION_ADD,
            expansion_search=_EXPANSION_SEARCH,
        )

    def __len__(self) -> int:
        return len(self._index)

    # Opening and saving

    def open(self, session: Session) -> bool:
        """Loads the newest saved index and catches up with the store; rebuilds it when it is missing, unreadable
        or disagrees with the store. Returns whether it was rebuilt."""
        loaded = self._load_newest()
        self.sync(session)
        stored = vectors.count_vectors(session, self.model_id)
        if len(self._index) != stored:
            if loaded:
                log.warning(
                    "the saved vector index disagrees with the store; rebuilding it",
                    extra={"indexed": len(self._index), "stored": stored},
                )
            self.rebuild(session)
            return True
        if not loaded:
            self.save()  # made from the whole log: the next start reads it instead
        return False

    def _load_newest(self) -> bool:
        for path in sorted(self._saved_files(), key=_seq_of, reverse=True):
            try:
                index = Index.restore(str(path))
            except (OSError, RuntimeError, ValueError) as error:
                log.warning("unreadable vector index file skipped", extra={"path": str(path), "error": str(error)})
                continue
            # A file from another recipe (another width, an int8 index of an earlier version) is rebuilt, not used.
            if index is None or index.ndim != self.dimension or index.dtype != self._index.dtype:
                continue
            index.expansion_search = _EXPANSION_SEARCH
            with self._lock:
                self._index, self.seq, self._recent = index, _seq_of(path), set()
            return True
        return False

    def _saved_files(self) -> list[Path]:
        if self.directory is None or not self.directory.is_dir():
            return []
        return [path for path in self.directory.iterdir() if _FILE.fullmatch(path.name)]

    def save(self) -> Path | None:
        """Writes the index as `<seq>.usearch` and removes older files; None when it is kept in memory only."""
        if self.directory is None:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            seq = self.seq
            handle, temporary = tempfile.mkstemp(dir=self.directory, suffix=".partial")
            os.close(handle)
            self._index.save(temporary)
        path = self.directory / f"{seq}.usearch"
        os.replace(temporary, path)
        for older in self._saved_files():
            if _seq_of(older) < seq:
                older.unlink(missing_ok=True)
        return path

    def rebuild(self, session: Session) -> int:
        """Indexes every stored vector afresh; returns how many."""
        seq = vectors.last_logged(session)
        index = self._new_index()
        count = 0
        for ids, matrix in vectors.vector_chunks(session, self.model_id):
            index.add(ids, matrix)
            count += len(ids)
        with self._lock:
            self._index, self.seq, self._recent = index, seq, set()
        # Entries committed while the vectors were read are applied again: applying one twice changes nothing.
        self.sync(session, since=max(seq - _LOOKBACK, 0))
        self.save()
        log.info("vector index rebuilt", extra={"articles": count})
        return count

    # Following the store

    def sync(self, session: Session, since: int | None = None) -> int:
        """Applies the log entries not applied yet; returns how many articles changed."""
        floor = max(self.seq - _LOOKBACK, 0) if since is None else since
        new = [(seq, article_id) for seq, article_id in vectors.logged_after(session, floor) if seq not in self._recent]
        if not new:
            return 0
        changed = sorted({article_id for _, article_id in new})
        current = dict(vectors.vectors_of(session, self.model_id, changed))
        with self._lock:
            for article_id in changed:
                if article_id in self._index:
                    self._index.remove(article_id)
            if current:
                keys = np.fromiter(current, dtype=np.uint64, count=len(current))
                self._index.add(keys, np.stack(list(current.values())))
            self.seq = max(self.seq, *(seq for seq, _ in new))
            self._recent.update(seq for seq, _ in new)
            self._recent = {seq for seq in self._recent if seq > self.seq - _LOOKBACK}
        return len(changed)

    def lacks_vectors(self, session: Session) -> bool:
        """Whether some stored article has no vector yet, so is not in the index (articles stored without the
        models, by `precis add` or `ingest`). Only articles stored since the last check that found none are read:
        at a million articles, asking the whole store took most of a second."""
        first = vectors.first_without_vector(session, self.model_id, self._complete_up_to)
        if first is None:
            self._complete_up_to = vectors.last_article_id(session)
            return False
        self._complete_up_to = first - 1
        return True

    # Queries

    def nearest(self, vector: np.ndarray, limit: int, exclude: Iterable[int] = ()) -> list[tuple[int, float]]:
        """(article id, cosine) of the `limit` indexed articles closest to `vector`, best first."""
        excluded = set(exclude)
        with self._lock:
            count = min(limit + len(excluded), len(self._index))
            if count == 0:
                return []
            found = self._index.search(vector.astype(np.float32), count)
        pairs = [(int(key), 1.0 - float(distance)) for key, distance in zip(found.keys, found.distances, strict=True)]
        return [(key, similarity) for key, similarity in pairs if key not in excluded][:limit]


def _seq_of(path: Path) -> int:
    match = _FILE.fullmatch(path.name)
    return int(match.group(1)) if match else -1
