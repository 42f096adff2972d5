"""Builds the configured models once per process."""

import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from models.answers import AnswerFinder
from models.config import ModelConfig, cpu_threads
from models.embedder import Embedder, embedder_name
from models.extractive import ExtractiveSummariser
from models.hub import model_label
from models.presets import Preset, data_fingerprint
from models.reader_files import load_reader, load_reader_verifier
from models.related import vector_model_id
from models.results import Article, Summary

log = logging.getLogger(__name__)


class Summariser(Protocol):
    name: str

    def summarise(self, text: str, title: str | None, preset: Preset) -> Summary: ...

    def summarise_each(self, articles: list[Article], presets: list[Preset]) -> list[list[Summary]]:
        """For each article, one summary per preset: the batch path (a summariser shares what work it can)."""
        ...


@dataclass
class Models:
    embedder: Embedder
    summariser: Summariser
    answers: AnswerFinder

    # Versioned ids: the keys of stored results, so that new weights or presets never serve old results.
    @property
    def summariser_id(self) -> str:
        return f"{self.summariser.name}@{data_fingerprint()}"

    @property
    def answers_id(self) -> str:
        return f"{self.answers.name}@{data_fingerprint()}"


def summariser_id(config: ModelConfig) -> str:
    """The configured summariser's versioned id, known without loading a weight (the Ray driver needs only this).

    It names the summariser as its class does (`Models.summariser_id` once loaded; a test holds them equal)."""
    name = (
        f"abstractive/{model_label(config.summariser)}"
        if config.summariser
        else f"extractive/{embedder_name(config.embedder_path, config.embedder_runs_int8)}"
    )
    return f"{name}@{data_fingerprint()}"


def vectors_id(config: ModelConfig) -> str:
    """The key of the configured embedder's stored article vectors, known without loading it."""
    return vector_model_id(embedder_name(config.embedder_path, config.embedder_runs_int8))


def check_config(config: ModelConfig) -> None:
    """Cheap checks that every configured model can be found, so a bad setting fails before a server starts."""
    from models.hub import check_available
    from models.reader_files import MANIFEST

    for setting, value in (("PRECIS_SUMMARISER", config.summariser), ("PRECIS_QA_MODEL", config.qa_model)):
        # A reader written by `precis train reader` is checked (hashes included) when it loads.
        if value and not (Path(value) / MANIFEST).is_file():
            check_available(setting, value)


def load_models(config: ModelConfig, with_verifier: bool = True) -> Models:
    """`with_verifier` False leaves the reader's verifier out (its fitting reads the reader alone)."""
    started = time.perf_counter()
    threads = cpu_threads(config.torch_threads)
    # The reader loads beside the embedder: ONNX Runtime builds a session, and hashlib hashes weights, without
    # the GIL, so on two cores both took 0.145 s where one after the other took 0.24 s.
    with ThreadPoolExecutor(1, thread_name_prefix="reader-load") as loader:
        loading_reader = loader.submit(
            load_reader, config.qa_model, config.reader_backend, threads=threads, int8=config.reader_int8
        )
        embedder = Embedder(
            config.embedder_path, backend=config.embedder_backend, threads=threads, int8=config.embedder_int8
        )
        summariser: Summariser
        if config.summariser:
            from models.seq2seq import AbstractiveSummariser

            summariser = AbstractiveSummariser(config.summariser)
        else:
            summariser = ExtractiveSummariser(embedder)
        reader = loading_reader.result()
    answers = AnswerFinder(
        embedder, reader, load_reader_verifier(config.qa_model, config.answer_min_confidence) if with_verifier else None
    )
    # torch is imported only by a model that runs on it (a torch backend, an abstractive summariser); it then gets
    # the configured thread count, which it reads at every operation.
    if config.torch_threads and "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(config.torch_threads)
    # The first forward pass pays for lazy initialisation; pay it here, not in a reader's request.
    embedder.embed(["Warm-up sentence."])
    seconds = time.perf_counter() - started
    log.info("models loaded", extra={"summariser": summariser.name, "answers": answers.name, "seconds": seconds})
    return Models(embedder, summariser, answers)
