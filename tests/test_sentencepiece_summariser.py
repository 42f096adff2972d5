"""Mechanics of an abstractive summariser whose tokenizer is a bare SentencePiece model, as T5 and Pegasus ship.

The model is tiny and RANDOMLY INITIALISED: a T5 built in a temporary directory beside a `spiece.model` trained
here on a few KB of text, with no tokenizer.json. These tests check that such a directory loads through the
product (transformers needs sentencepiece and protobuf to turn `spiece.model` into a tokenizer), that the
tokenizer is the SentencePiece model, and that windows, generation and decoding work. They say nothing about
the quality of any summary.
"""

import itertools
import shutil
from pathlib import Path

import pytest
import sentencepiece as spm
import torch
from transformers import T5Config, T5ForConditionalGeneration, T5Tokenizer

from models.presets import load_presets
from models.results import Summary
from models.seq2seq import AbstractiveSummariser, balanced_stride
from tests.test_transformers_backend import ARTICLE

# A second story, so the tokenizer learns from more than the article it later cuts into windows.
STORY = """\
Heavy rain closed the coast road between the harbour and the lighthouse on Friday morning, and the county \
police asked drivers to stay at home unless their journey was essential. A lorry carrying timber slid into a \
ditch near the golf club, but its driver was not hurt. The road is expected to reopen on Sunday once workers \
have cleared the fallen trees and checked the drains.

The weather service said that more rain would fall over the weekend and warned of floods in low fields beside \
the river. Farmers moved their sheep to higher ground, and the village hall opened its doors to families whose \
homes had lost power. Volunteers served soup and tea until late in the evening.

At the railway station, trains to the city ran about twenty minutes late because a signal had failed in the \
storm. A spokesman for the railway apologised and said engineers were working through the night. Passengers \
who missed their connections can claim a refund on the company website within fourteen days.

The school on Mill Lane will stay closed on Monday, the head teacher wrote in a letter to parents, because the \
playground is under water and the heating has broken down. Lessons will continue online, and pupils who need \
a laptop can borrow one from the library."""

CORPUS = [line for line in (ARTICLE + "\n" + STORY).splitlines() if line]
# Small enough for a few KB of text, big enough that common words are whole pieces.
VOCAB_SIZE = 300
# T5's tokenizer appends 100 sentinel tokens (<extra_id_0> ...) after the SentencePiece pieces; real T5
# checkpoints size their embeddings for them (32,000 pieces, vocab_size 32,128), and so does this one.
T5_SENTINELS = 100
# T5 has relative positions and a bare spiece.model states no length, so the product falls back to this limit.
FALLBACK_LIMIT = 512
SENTENCE = "The harbour bridge will stay closed to traffic until the spring."

# Tiny models: see the one_torch_thread fixture.
pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def spiece_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    prefix = tmp_path_factory.mktemp("sentencepiece") / "news"
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS),
        model_prefix=str(prefix),
        model_type="unigram",
        vocab_size=VOCAB_SIZE,
        # The ids T5 expects; T5 has no beginning-of-sequence token.
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        # Every character of the corpus gets a piece, so the round trips below never meet <unk>.
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    return prefix.with_suffix(".model")


@pytest.fixture(scope="module")
def sentencepiece(spiece_model: Path) -> spm.SentencePieceProcessor:
    return spm.SentencePieceProcessor(model_file=str(spiece_model))


@pytest.fixture(scope="module")
def t5_dir(tmp_path_factory: pytest.TempPathFactory, spiece_model: Path) -> Path:
    directory = tmp_path_factory.mktemp("models") / "t5-spiece-tiny"
    torch.manual_seed(0)
    config = T5Config(
        vocab_size=VOCAB_SIZE + T5_SENTINELS,
        d_model=32,
        d_kv=16,
        d_ff=64,
        num_layers=1,
        num_decoder_layers=1,
        num_heads=2,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    T5ForConditionalGeneration(config).save_pretrained(directory)
    # The only tokenizer file, named as T5 and Pegasus checkpoints name it.
    shutil.copy(spiece_model, directory / "spiece.model")
    return directory


@pytest.fixture(scope="module")
def summariser(t5_dir: Path) -> AbstractiveSummariser:
    return AbstractiveSummariser(str(t5_dir))


def test_the_directory_holds_spiece_model_as_its_only_tokenizer_file(t5_dir: Path) -> None:
    files = {path.name for path in t5_dir.iterdir()}
    assert "tokenizer.json" not in files
    assert files == {"config.json", "generation_config.json", "model.safetensors", "spiece.model"}


def test_the_summariser_loads_the_sentencepiece_model_as_its_tokenizer(
    summariser: AbstractiveSummariser, sentencepiece: spm.SentencePieceProcessor
) -> None:
    tokenizer = summariser.tokenizer
    assert summariser.name == "abstractive/t5-spiece-tiny"
    assert not summariser.model.training
    assert isinstance(tokenizer, T5Tokenizer)
    assert (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) == (0, 1, 2)
    assert len(tokenizer) == VOCAB_SIZE + T5_SENTINELS == summariser.model.config.vocab_size
    assert summariser.max_length == FALLBACK_LIMIT

    ids = tokenizer(SENTENCE)["input_ids"]
    # The SentencePiece model's own pieces and ids, then T5's end-of-sequence token.
    assert ids == [*sentencepiece.encode(SENTENCE), tokenizer.eos_token_id]
    assert tokenizer.convert_ids_to_tokens(ids[:-1]) == sentencepiece.encode(SENTENCE, out_type=str)
    assert len(ids) < len(SENTENCE.split()) * 3, "words are pieces, not characters"
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == SENTENCE


def test_a_long_article_is_split_into_overlapping_windows_that_keep_every_token(
    summariser: AbstractiveSummariser,
) -> None:
    tokenizer = summariser.tokenizer
    tokens = tokenizer(ARTICLE, add_special_tokens=False)["input_ids"]
    windows = summariser.windows(ARTICLE)

    assert len(tokens) > summariser.max_length
    assert len(windows) > 1
    assert all(len(window) <= summariser.max_length for window in windows)
    assert all(window[-1] == tokenizer.eos_token_id for window in windows)
    inner = [window[:-1] for window in windows]
    stride = balanced_stride(len(tokens), summariser.window, summariser.overlap)
    for before, after in itertools.pairwise(inner):
        assert before[-stride:] == after[:stride]
    assert inner[0] + [token for window in inner[1:] for token in window[stride:]] == tokens


def test_summarise_decodes_what_the_model_generates(
    summariser: AbstractiveSummariser, monkeypatch: pytest.MonkeyPatch
) -> None:
    preset = load_presets()["short"]
    generated: list[torch.Tensor] = []
    generate = summariser.model.generate

    def spy(**kwargs: object) -> torch.Tensor:
        assert preset.generation.items() <= kwargs.items()
        sequences = generate(**kwargs)
        generated.append(sequences)
        return sequences

    monkeypatch.setattr(summariser.model, "generate", spy)
    summary = summariser.summarise(ARTICLE, "Council approves budget", preset)

    assert isinstance(summary, Summary)
    assert summary.preset == "short"
    assert summary.model == "abstractive/t5-spiece-tiny"
    # Each window of the article, then one more pass over their joined summaries.
    assert len(generated) >= 2
    assert sum(sequences.shape[0] for sequences in generated) >= len(summariser.windows(ARTICLE)) + 1
    # The summary is the last pass's tokens decoded by the SentencePiece tokenizer.
    decoded = "\n".join(summariser.tokenizer.batch_decode(generated[-1], skip_special_tokens=True))
    assert summary.sentences
    for sentence in summary.sentences:
        assert sentence.text.strip()
        assert sentence.text in decoded
        assert (sentence.start, sentence.end, sentence.score) == (None, None, 1.0)
