"""Mechanics of the transformers backend: the abstractive summariser and the extractive QA reader.

The models here are tiny and RANDOMLY INITIALISED, built in a temporary directory from a tokenizer trained on
the text below. These tests check plumbing only: loading, token windows, batching, generation settings, span
selection and offsets, load errors. They say nothing about the quality of any summary or answer.
"""

import itertools
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors, trainers
from tokenizers import models as tokenizer_models
from transformers import (
    BartConfig,
    BartForConditionalGeneration,
    DistilBertConfig,
    DistilBertForQuestionAnswering,
    PreTrainedTokenizerFast,
)

from models.config import ModelConfig
from models.errors import ModelLoadError
from models.presets import Preset, data_fingerprint
from models.reader import QAReader
from models.reader_files import load_reader
from models.registry import summariser_id
from models.seq2seq import AbstractiveSummariser, balanced_stride

# Small enough that the article below needs several windows.
MAX_POSITIONS = 128

ARTICLE = """\
The city council approved a new budget for schools and roads on Tuesday evening after a debate that lasted \
almost four hours. Councillors voted by nine votes to four in favour of the plan, which will cost \
4.5 million pounds over the next three years. The mayor, Helen Carter, said the money would repair the \
harbour bridge, resurface twelve streets in the old town and build two new classrooms at Riverside \
primary school.

Opponents argued that the council had underestimated the cost of the bridge repairs. Daniel Moss, who leads \
the opposition group, said engineers had warned in March that the steel supports were more corroded than \
expected. He asked why the report had not been published before the vote. The council said the report would \
appear on its website next week, once the engineers had checked their figures.

Residents who attended the meeting were divided. Some welcomed the work on the streets, which they said had \
been neglected for a decade. Others complained that the bridge had been closed to traffic since March, \
forcing drivers to take a detour of six miles through the industrial estate. A shop owner on Quay Street \
said her takings had fallen by a third since the closure began.

The budget also includes money for a new bus route between the railway station and the hospital, which \
patients and staff have requested for years. The first buses are expected to run in September. The council \
will pay for the plan partly by raising parking charges in the town centre, a decision that traders say will \
drive shoppers to the retail park on the edge of town.

Work on the bridge is due to begin in the spring and should take about eighteen months. During that time the \
bridge will stay closed to cars, but a temporary footbridge will let pedestrians and cyclists cross the \
harbour. The council will hold a public meeting in the library next month to explain the timetable and to \
answer questions from residents and businesses."""

QUESTIONS = [
    "How much will the plan cost?",
    "Who is the mayor?",
    "When was the bridge closed?",
    "Where will the public meeting be held?",
]

SHORT_PRESET = Preset(
    name="test-short",
    description="A short summary for the mechanics tests.",
    sentences=2,
    style="prose",
    generation={"max_new_tokens": 24, "min_new_tokens": 8, "num_beams": 2, "no_repeat_ngram_size": 3},
)

# Tiny models: see the one_torch_thread fixture.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _corpus() -> list[str]:
    return [line for line in ARTICLE.splitlines() if line] + QUESTIONS


def _bart_tokenizer() -> PreTrainedTokenizerFast:
    tokenizer = Tokenizer(tokenizer_models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    tokenizer.train_from_iterator(_corpus(), trainer)
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>",
        pad_token="<pad>",
        eos_token="</s>",
        unk_token="<unk>",
        mask_token="<mask>",
        model_max_length=MAX_POSITIONS,
    )


def _distilbert_tokenizer() -> PreTrainedTokenizerFast:
    tokenizer = Tokenizer(tokenizer_models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer.train_from_iterator(_corpus(), trainers.WordPieceTrainer(vocab_size=600, special_tokens=specials))
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=MAX_POSITIONS,
        # DistilBERT takes no token_type_ids.
        model_input_names=["input_ids", "attention_mask"],
    )


@pytest.fixture(scope="session")
def bart_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("models") / "bart-tiny"
    tokenizer = _bart_tokenizer()
    torch.manual_seed(0)
    config = BartConfig(
        vocab_size=len(tokenizer),
        d_model=32,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=64,
        decoder_ffn_dim=64,
        max_position_embeddings=MAX_POSITIONS,
        bos_token_id=tokenizer.bos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        forced_eos_token_id=tokenizer.eos_token_id,
    )
    BartForConditionalGeneration(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def distilbert_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("models") / "distilbert-tiny"
    tokenizer = _distilbert_tokenizer()
    torch.manual_seed(0)
    config = DistilBertConfig(
        vocab_size=len(tokenizer),
        dim=32,
        hidden_dim=64,
        n_layers=1,
        n_heads=2,
        max_position_embeddings=MAX_POSITIONS,
        pad_token_id=tokenizer.pad_token_id,
    )
    DistilBertForQuestionAnswering(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture(scope="session")
def summariser(bart_dir: Path) -> AbstractiveSummariser:
    return AbstractiveSummariser(str(bart_dir))


@pytest.fixture(scope="session")
def reader(distilbert_dir: Path) -> QAReader:
    return load_reader(str(distilbert_dir))


def test_summariser_loads_from_a_local_directory(summariser: AbstractiveSummariser) -> None:
    assert summariser.name == "abstractive/bart-tiny"
    assert not summariser.model.training
    assert summariser.max_length == MAX_POSITIONS


def test_the_configured_id_is_the_loaded_summariser_s(summariser: AbstractiveSummariser, bart_dir: Path) -> None:
    # The Ray driver keys its work by this id without loading the model the workers load.
    assert summariser_id(ModelConfig(summariser=str(bart_dir))) == f"{summariser.name}@{data_fingerprint()}"


def test_reader_loads_from_a_local_directory(reader: QAReader) -> None:
    assert reader.name == "reader/distilbert-tiny"
    assert reader.max_length == MAX_POSITIONS


@pytest.mark.parametrize(
    ("load", "setting"),
    [(AbstractiveSummariser, "PRECIS_SUMMARISER"), (load_reader, "PRECIS_QA_MODEL")],
)
def test_a_missing_directory_or_unknown_id_fails_naming_the_setting(load: type, setting: str, tmp_path: Path) -> None:
    for missing in (str(tmp_path / "no-such-model"), "precis-tests/no-such-model"):
        with pytest.raises(ModelLoadError) as raised:
            load(missing)
        message = str(raised.value)
        assert message.startswith(f"{setting}: ")
        assert repr(missing) in message
        assert "Hugging Face cache" in message


def test_a_directory_without_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"^PRECIS_SUMMARISER: .*no config\.json"):
        AbstractiveSummariser(str(tmp_path))


def test_a_model_without_its_tokenizer_is_refused(bart_dir: Path, tmp_path: Path) -> None:
    for name in ("config.json", "generation_config.json", "model.safetensors"):
        shutil.copy(bart_dir / name, tmp_path / name)
    with pytest.raises(ModelLoadError, match=r"^PRECIS_SUMMARISER: .*no tokenizer files"):
        AbstractiveSummariser(str(tmp_path))


def test_a_model_of_the_wrong_kind_is_refused(distilbert_dir: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"^PRECIS_SUMMARISER: .*AutoModelForSeq2SeqLM"):
        AbstractiveSummariser(str(distilbert_dir))


@pytest.mark.parametrize(("n_tokens", "window", "min_overlap"), [(1000, 126, 31), (127, 126, 31), (3000, 1022, 64)])
def test_balanced_stride_covers_the_tokens_with_the_fewest_similar_windows(
    n_tokens: int, window: int, min_overlap: int
) -> None:
    stride = balanced_stride(n_tokens, window, min_overlap)
    step = window - stride
    starts = list(range(0, n_tokens - stride, step))
    assert stride >= min_overlap
    assert starts[-1] + window >= n_tokens
    fewest = -(-(n_tokens - min_overlap) // (window - min_overlap))
    assert len(starts) == fewest
    assert n_tokens - starts[-1] > window // 2


def test_a_long_article_is_split_into_overlapping_windows_that_keep_every_token(
    summariser: AbstractiveSummariser,
) -> None:
    tokenizer = summariser.tokenizer
    tokens = tokenizer(ARTICLE, add_special_tokens=False)["input_ids"]
    windows = summariser.windows(ARTICLE)

    assert len(windows) > 1
    assert all(len(window) <= summariser.max_length for window in windows)
    assert all(window[0] == tokenizer.bos_token_id and window[-1] == tokenizer.eos_token_id for window in windows)
    inner = [window[1:-1] for window in windows]
    stride = balanced_stride(len(tokens), summariser.window, summariser.overlap)
    assert stride >= summariser.overlap > 0
    for before, after in itertools.pairwise(inner):
        assert before[-stride:] == after[:stride]
    # Dropping each window's overlap with the one before gives back the article, token for token.
    assert inner[0] + [token for window in inner[1:] for token in window[stride:]] == tokens


def test_a_short_text_is_one_window(summariser: AbstractiveSummariser) -> None:
    windows = summariser.windows("The bridge is closed.")
    assert len(windows) == 1
    assert summariser.tokenizer.decode(windows[0], skip_special_tokens=True) == "The bridge is closed."


def test_summarise_a_long_article(summariser: AbstractiveSummariser) -> None:
    summary = summariser.summarise(ARTICLE, "Council approves budget", SHORT_PRESET)
    assert summary.preset == "test-short"
    assert summary.model == "abstractive/bart-tiny"
    assert summary.sentences
    for sentence in summary.sentences:
        assert sentence.text.strip()
        assert sentence.start is None
        assert sentence.end is None
        assert sentence.score == 1.0


def test_summarise_passes_the_preset_to_generate_for_every_window_then_once_more(
    summariser: AbstractiveSummariser, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[int, dict[str, object]]] = []
    generate = summariser.model.generate

    def spy(**kwargs: object) -> torch.Tensor:
        input_ids = kwargs["input_ids"]
        assert isinstance(input_ids, torch.Tensor)
        calls.append((input_ids.shape[0], kwargs))
        return generate(**kwargs)

    monkeypatch.setattr(summariser.model, "generate", spy)
    summariser.summarise(ARTICLE, None, SHORT_PRESET)

    assert calls
    for _, kwargs in calls:
        assert SHORT_PRESET.generation.items() <= kwargs.items()
    # All the article's windows are summarised, then the joined window summaries in one more pass.
    assert sum(rows for rows, _ in calls) >= len(summariser.windows(ARTICLE)) + 1


@pytest.mark.parametrize("new_tokens", [4, 16])
def test_max_and_min_new_tokens_bound_the_generated_length(summariser: AbstractiveSummariser, new_tokens: int) -> None:
    batch = summariser.preprocess(ARTICLE)[0]
    generation = {"max_new_tokens": new_tokens, "min_new_tokens": new_tokens, "num_beams": 1}
    sequences = summariser.forward(batch, generation)
    # Each row is the decoder start token followed by exactly the new tokens (padding after an early end).
    assert sequences.shape == (batch["input_ids"].shape[0], 1 + new_tokens)
    assert len(summariser.postprocess(sequences)) == batch["input_ids"].shape[0]


def test_empty_text_gives_an_empty_summary(summariser: AbstractiveSummariser) -> None:
    summary = summariser.summarise("  \n ", None, SHORT_PRESET)
    assert summary.sentences == []
    assert summary.preset == "test-short"


def test_a_long_context_is_split_into_windows_of_context_tokens(reader: QAReader) -> None:
    windows = reader.preprocess(QUESTIONS[0], [ARTICLE])
    count, length = windows.context_mask.shape
    assert count > 1
    assert length <= reader.max_length
    assert windows.inputs["input_ids"].shape == (count, length)
    assert set(windows.inputs) == {"input_ids", "attention_mask"}
    assert set(windows.context_of.tolist()) == {0}
    for row in range(count):
        offsets = windows.offsets[row][windows.context_mask[row]]
        assert len(offsets) > 0
        assert int(offsets.min()) >= 0
        assert int(offsets.max()) <= len(ARTICLE)
    # The windows reach the end of the context.
    assert int(windows.offsets[-1][windows.context_mask[-1]][:, 1].max()) == len(ARTICLE)


def test_several_contexts_are_read_in_one_pass_each_with_its_own_windows(reader: QAReader) -> None:
    contexts = [ARTICLE, "The mayor is Helen Carter.", ARTICLE[:200]]
    windows = reader.preprocess(QUESTIONS[1], contexts)
    assert windows.context_of.tolist()[-2:] == [1, 2] and windows.context_of.tolist().count(0) > 1
    found = reader.read(QUESTIONS[1], contexts)
    for context, span in zip(contexts, found, strict=True):
        assert span is not None and 0 <= span.start < span.end <= len(context)


@pytest.mark.parametrize("question", QUESTIONS)
def test_read_returns_a_span_inside_the_context(reader: QAReader, question: str) -> None:
    (span,) = reader.read(question, [ARTICLE])
    assert span is not None
    assert 0 <= span.start < span.end <= len(ARTICLE)
    assert ARTICLE[span.start : span.end].strip()


def _logits_pointing_at(shape: tuple[int, int], window: int, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    start_logits = np.zeros(shape, dtype=np.float32)
    end_logits = np.zeros(shape, dtype=np.float32)
    start_logits[window, first] = 20.0
    end_logits[window, last] = 20.0
    return start_logits, end_logits


def test_postprocess_maps_the_best_span_in_a_later_window_to_its_characters(reader: QAReader) -> None:
    windows = reader.preprocess(QUESTIONS[0], [ARTICLE])
    last_window = windows.context_mask.shape[0] - 1
    context_tokens = np.flatnonzero(windows.context_mask[last_window]).tolist()
    first, last = context_tokens[5], context_tokens[7]
    start_logits, end_logits = _logits_pointing_at(windows.context_mask.shape, last_window, first, last)

    (span,) = reader.postprocess(windows, start_logits, end_logits, 1)

    assert (span.start, span.end) == (
        int(windows.offsets[last_window, first, 0]),
        int(windows.offsets[last_window, last, 1]),
    )
    assert span.margin > 10, "a confident span beats the null answer by far"


def test_postprocess_never_returns_a_span_that_ends_before_it_starts_or_is_too_long(reader: QAReader) -> None:
    windows = reader.preprocess(QUESTIONS[0], [ARTICLE])
    context_tokens = np.flatnonzero(windows.context_mask[0]).tolist()
    backwards = _logits_pointing_at(windows.context_mask.shape, 0, context_tokens[9], context_tokens[2])
    too_long_end = context_tokens[0] + reader.max_answer_tokens
    too_long = _logits_pointing_at(windows.context_mask.shape, 0, context_tokens[0], too_long_end)

    allowed = _logits_pointing_at(windows.context_mask.shape, 0, context_tokens[2], context_tokens[9])
    (confident,) = reader.postprocess(windows, *allowed, 1)

    for start_logits, end_logits in (backwards, too_long):
        (span,) = reader.postprocess(windows, start_logits, end_logits, 1)
        assert span.start < span.end
        # At most one of the two pointed-at tokens can be used: less likely than an allowed span.
        assert span.margin < confident.margin


def test_postprocess_prefers_no_answer_when_every_window_points_at_cls(reader: QAReader) -> None:
    windows = reader.preprocess(QUESTIONS[0], [ARTICLE])
    start_logits = np.zeros(windows.context_mask.shape, dtype=np.float32)
    end_logits = np.zeros(windows.context_mask.shape, dtype=np.float32)
    start_logits[:, 0] = 20.0
    end_logits[:, 0] = 20.0
    (span,) = reader.postprocess(windows, start_logits, end_logits, 1)
    assert span.margin < -20


def test_empty_context_has_no_span(reader: QAReader) -> None:
    assert reader.read("Who is the mayor?", ["   ", ""]) == [None, None]


def test_retriever_then_reader_returns_offsets_into_the_whole_article(models, reader: QAReader) -> None:
    from models.answers import AnswerFinder

    finder = AnswerFinder(models.embedder, reader)
    assert finder.name.endswith("+reader/distilbert-tiny")
    for question in QUESTIONS:
        answer = finder.answer(ARTICLE, question)
        if answer.answer is None:
            continue
        assert ARTICLE[answer.start : answer.end] == answer.answer
        assert answer.context_start <= answer.start < answer.end <= answer.context_end


def test_the_api_serves_the_abstractive_backend(models, summariser: AbstractiveSummariser, tmp_path: Path) -> None:
    from dataclasses import replace

    from service.settings import Settings
    from tests.conftest import api_client

    abstractive = replace(models, summariser=summariser)
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'precis.db'}")
    with api_client(settings, abstractive) as client:
        body = client.post("/v1/summaries", json={"text": ARTICLE, "preset": "short"}).json()
    assert body["model"] == "abstractive/bart-tiny" and body["preset"] == "short"
    assert body["sentences"] and all(s["start"] is None and s["end"] is None for s in body["sentences"])


def test_the_abstractive_batch_path_gives_what_summarise_gives(summariser: AbstractiveSummariser) -> None:
    from models.results import Article

    articles = [Article(ARTICLE[:600], None), Article(ARTICLE[600:1400], "Title")]
    each = summariser.summarise_each(articles, [SHORT_PRESET])
    assert each == [[summariser.summarise(a.text, a.title, SHORT_PRESET)] for a in articles]
