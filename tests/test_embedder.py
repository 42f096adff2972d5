"""The embedder's backends: the default (ONNX Runtime) one reproduces the torch vectors; the export is cached; the
weights are hashed once a process while unchanged; the reader loads beside the embedder."""

import hashlib
import json
import logging
from pathlib import Path

import numpy as np
import pytest

from models import onnx_cache
from models.config import ModelConfig
from models.embedder import MAX_PADDING, MAX_TOKENS, Embedder, length_batches
from models.errors import ModelLoadError
from models.registry import load_models
from models.sentences import split_sentences
from tests.conftest import SharedData

DATA = Path(__file__).parent / "data"
# Far beyond the 256-token limit, so both backends must truncate it the same way.
LONG = " ".join(
    f"In paragraph {i} the council said the harbour bridge, costing £48m, would open in {2020 + i % 9}."
    for i in range(40)
)
EMPTYISH = ["", "   ", "."]


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    texts = [(DATA / f"{name}.txt").read_text(encoding="utf-8") for name in ("harbour_bridge", "vaccine_trial")]
    real = [s.text for text in texts for s in split_sentences(text)][:46]
    assert len(real) >= 30
    return [*real[:20], LONG, *EMPTYISH, *real[20:]]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def default(cache_dir: Path) -> Embedder:
    """Built first in this module, so it exports the graph into an empty cache."""
    return Embedder(onnx_cache_dir=cache_dir)


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(backend="torch")


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_default_backend_is_onnx_and_reproduces_torch(default, torch_embedder, sentences) -> None:
    assert default.backend == "onnx" and torch_embedder.backend == "torch"
    fast, reference = default.embed(sentences), torch_embedder.embed(sentences)
    assert fast.shape == reference.shape == (len(sentences), default.dimension)
    assert cosines(fast, reference).min() >= 0.999


def test_vectors_are_unit_float32_in_input_order(default, sentences) -> None:
    vectors = default.embed(sentences)
    assert vectors.dtype == np.float32 and vectors.shape == (len(sentences), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(default.embed(sentences[::-1]), vectors[::-1], atol=1e-5)
    one_by_one = np.concatenate([default.embed([s]) for s in sentences[:: len(sentences) // 6]])
    assert cosines(one_by_one, vectors[:: len(sentences) // 6]).min() >= 0.9999
    assert default.embed([]).shape == (0, 384)


@pytest.mark.parametrize("batch_size", [1, 3, 64])
def test_vectors_do_not_depend_on_batch_size(default, cache_dir, sentences, batch_size) -> None:
    other = Embedder(batch_size=batch_size, onnx_cache_dir=cache_dir)
    assert cosines(other.embed(sentences), default.embed(sentences)).min() >= 0.9999


def test_export_is_cached_and_reused(default, cache_dir) -> None:
    graph = default.onnx_path
    assert graph is not None and graph.parent == cache_dir and graph.is_file()
    # The weights beside the graph, as readable as it is; the graph itself holds none of them.
    weights = onnx_cache.weights_beside(graph)
    assert weights.stat().st_mode == graph.stat().st_mode and weights.stat().st_size > 80_000_000
    assert graph.stat().st_size < 100_000
    written = graph.stat().st_mtime_ns, weights.stat().st_mtime_ns
    again = Embedder(onnx_cache_dir=cache_dir)
    assert again.backend == "onnx" and again.onnx_path == graph
    assert (graph.stat().st_mtime_ns, weights.stat().st_mtime_ns) == written
    assert sorted(p.name for p in cache_dir.iterdir() if not p.name.endswith(".lock")) == [graph.name, weights.name]


def test_the_int8_graph_is_cached_beside_the_fp32_one_named_apart_and_close_to_it(
    default, cache_dir, sentences
) -> None:
    """PRECIS_EMBEDDER_INT8: its vectors are stored under their own name, so fp32 and int8 vectors never mix."""
    int8 = Embedder(onnx_cache_dir=cache_dir, int8=True)
    assert int8.name == default.name + "-int8" and not default.int8
    assert int8.onnx_path is not None and default.onnx_path is not None
    assert int8.onnx_path.parent == cache_dir and int8.onnx_path.name.startswith(default.onnx_path.stem + "-int8-")
    weights = onnx_cache.weights_beside
    assert weights(int8.onnx_path).stat().st_size < weights(default.onnx_path).stat().st_size
    close = cosines(int8.embed(sentences), default.embed(sentences))
    # Measured on the shared news sentences: mean 0.995, lowest 0.98.
    assert close.mean() >= 0.99 and close.min() >= 0.95
    assert not ModelConfig(embedder_backend="torch").embedder_runs_int8, "int8 is an ONNX graph's, not torch's"


def test_falls_back_to_torch_when_export_fails(monkeypatch, caplog, tmp_path) -> None:
    def broken(*args: object) -> Path:
        raise onnx_cache.ExportError("simulated")

    monkeypatch.setattr(onnx_cache, "ensure_onnx", broken)
    monkeypatch.setattr("models.embedder._warned", set())
    with caplog.at_level(logging.WARNING, logger="models.embedder"):
        first = Embedder(onnx_cache_dir=tmp_path)
        Embedder(onnx_cache_dir=tmp_path)
    assert first.backend == "torch" and first.session is None
    assert first.embed(["Police said."]).shape == (1, 384)
    assert len([r for r in caplog.records if "using torch" in r.getMessage()]) == 1, "warned once"


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(ModelLoadError, match="PRECIS_EMBEDDER_BACKEND"):
        Embedder(backend="tensorflow")  # type: ignore[arg-type]


def test_batches_pad_little(shared: SharedData, default: Embedder) -> None:
    """The leading sentences a summary embeds, article by article over the shared news set: every text in exactly one
    batch of at most 8, each batch padding at most MAX_PADDING of its tokens, under a tenth over all."""
    articles = [json.loads(line)["article"] for line in shared.news_summaries.read_text(encoding="utf-8").splitlines()]
    tokens = padded = 0
    for article in articles:
        leading = [s.text for s in split_sentences(article)[:8]]
        lengths = [len(ids) for ids in default.tokenizer.ids(leading, MAX_TOKENS)]
        batches = length_batches(lengths, 8)
        assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
        for batch in batches:
            width = max(lengths[i] for i in batch)
            batch_tokens = sum(lengths[i] for i in batch)
            assert len(batch) <= 8 and len(batch) * width - batch_tokens <= MAX_PADDING * len(batch) * width
            tokens += batch_tokens
            padded += len(batch) * width
    assert padded - tokens < 0.1 * padded


def test_a_batch_takes_texts_of_similar_length() -> None:
    assert length_batches([30, 10, 31, 11, 100], 8) == [[1, 3], [0, 2], [4]]
    assert length_batches([5] * 5, 2) == [[0, 1], [2, 3], [4]]
    assert length_batches([], 8) == []


def test_a_weights_file_is_hashed_again_once_it_is_replaced(tmp_path: Path) -> None:
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(b"first weights")
    assert onnx_cache.file_sha256(weights) == hashlib.sha256(b"first weights").digest()
    replacement = tmp_path / "new.safetensors"
    replacement.write_bytes(b"other weights")
    replacement.replace(weights)  # as pip installs a new version: a new file in its place
    assert onnx_cache.file_sha256(weights) == hashlib.sha256(b"other weights").digest()
    (tmp_path / "empty").touch()  # which cannot be mapped
    assert onnx_cache.file_sha256(tmp_path / "empty") == hashlib.sha256(b"").digest()


def test_a_reader_that_fails_to_load_beside_the_embedder_fails_the_load(tmp_path: Path) -> None:
    (tmp_path / "reader.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ModelLoadError, match=r"^PRECIS_QA_MODEL: .* has no readable reader\.json"):
        load_models(ModelConfig(qa_model=str(tmp_path)))
