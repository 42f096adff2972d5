"""The models tokenise with the `tokenizers` library from tokenizer.json, not transformers: the same token ids, windows,
offsets and sequence ids as the transformers tokenizer of the same files gives, on real news and SQuAD text. And the
serving process, loading the default models and serving an article's entities, imports neither torch nor transformers
nor spaCy."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from models.embedder import MAX_TOKENS, bundled_minilm_path
from models.reader import DEFAULT_STRIDE
from models.sentences import split_sentences
from models.tokenization import TextTokenizer
from tests.conftest import SharedData

HEAVY = ("torch", "transformers", "spacy", "thinc")


@pytest.fixture(scope="module")
def reference() -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(bundled_minilm_path())


@pytest.fixture(scope="module")
def tokenizer() -> TextTokenizer:
    return TextTokenizer.from_directory(bundled_minilm_path())


def test_sentence_ids_are_the_transformers_ids(shared: SharedData, reference, tokenizer) -> None:
    """Every sentence of the 151 shared news articles, as the embedder tokenises them (long ones cut at 256)."""
    articles = [json.loads(line)["article"] for line in shared.news_summaries.read_text(encoding="utf-8").splitlines()]
    sentences = [s.text for article in articles for s in split_sentences(article)]
    sentences += ["", "   ", " ".join(articles[:3])]  # empty, blank, and far over the limit
    expected = reference(sentences, truncation=True, max_length=MAX_TOKENS)["input_ids"]
    assert tokenizer.ids(sentences, MAX_TOKENS) == expected
    assert max(len(ids) for ids in expected) == MAX_TOKENS
    assert [tokenizer.count(s) for s in sentences[:300]] == [
        len(reference(s, add_special_tokens=False)["input_ids"]) for s in sentences[:300]
    ]


@pytest.mark.parametrize(("max_length", "stride"), [(256, DEFAULT_STRIDE), (64, 20)])
def test_question_windows_are_the_transformers_windows(
    shared: SharedData, reference, tokenizer, max_length: int, stride: int
) -> None:
    """(question, context) windows of SQuAD questions over all paragraphs of their article at once: long contexts
    overflow into several windows (many of them at 64 tokens), padded to the longest."""
    assert tokenizer.special_tokens(pair=True) == reference.num_special_tokens_to_add(pair=True)
    assert (tokenizer.cls_token_id, tokenizer.pad_token_id) == (reference.cls_token_id, reference.pad_token_id)
    articles = json.loads(shared.squad.read_text(encoding="utf-8"))["data"]
    for article in articles[:: len(articles) // 4]:
        contexts = [paragraph["context"] for paragraph in article["paragraphs"]]
        for paragraph in article["paragraphs"][:3]:
            question = paragraph["qas"][0]["question"]
            room = max_length - tokenizer.count(question) - tokenizer.special_tokens(pair=True)
            windows = tokenizer.pair_windows(question, contexts, max_length, min(stride, room // 2))
            expected = reference(
                [question] * len(contexts),
                contexts,
                truncation="only_second",
                max_length=max_length,
                stride=min(stride, room // 2),
                return_overflowing_tokens=True,
                return_offsets_mapping=True,
                padding=True,
                return_tensors="np",
            )
            count = expected["input_ids"].shape[0]
            assert count > len(contexts) or max_length == 256
            np.testing.assert_array_equal(windows.input_ids, expected["input_ids"])
            np.testing.assert_array_equal(windows.attention_mask, expected["attention_mask"])
            np.testing.assert_array_equal(windows.token_type_ids, expected["token_type_ids"])
            np.testing.assert_array_equal(windows.offsets, expected["offset_mapping"])
            np.testing.assert_array_equal(windows.context_of, expected["overflow_to_sample_mapping"])
            context_mask = [[sequence == 1 for sequence in expected.sequence_ids(i)] for i in range(count)]
            np.testing.assert_array_equal(windows.context_mask, context_mask)


# Run as `python -c PROGRAM DATABASE_URL MODULE...`: starts the app (which loads the default models), stores an
# article, serves its entities (spaCy runs in the app's worker process), and prints which MODULEs it then holds.
_SERVE_ENTITIES = """
import sys
from fastapi.testclient import TestClient
from service.app import create_app
from service.settings import Settings
from service.store.keys import create_key

with TestClient(create_app(Settings(database_url=sys.argv[1]))) as client:
    with client.app.state.sessions() as session:
        _, key = create_key(session, "heavy-modules")
    article = {"title": "Google in Leeds", "text": "Google said on Monday it would open an office in Leeds."}
    stored = client.post("/v1/articles", json=article, headers={"Authorization": f"Bearer {key}"}).json()
    entities = client.get(f"/v1/articles/{stored['id']}/entities").json()["items"]
    assert {(e["name"], e["kind"]) for e in entities} >= {("Google", "organisation"), ("Leeds", "place")}, entities
print(" ".join(name for name in sys.argv[2:] if name in sys.modules))
"""


def _modules_after_loading(env: dict[str, str], database: Path) -> list[str]:
    """The heavy modules a fresh process holds after starting the app and serving an article's entities."""
    done = subprocess.run(
        [sys.executable, "-c", _SERVE_ENTITIES, f"sqlite:///{database}", *HEAVY],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=600,
    )
    return done.stdout.split()


def test_serving_process_imports_no_torch_transformers_or_spacy(models, tmp_path: Path) -> None:
    # The session's models (conftest) have put the graphs in the default ONNX cache: this is a second start.
    assert _modules_after_loading(dict(os.environ), tmp_path / "precis.db") == []


@pytest.mark.slow
def test_a_first_start_exports_in_a_child_process(tmp_path: Path) -> None:
    """With an empty ONNX cache both graphs are exported, and the embedder's quantized, by child processes: torch
    never enters the server."""
    assert _modules_after_loading({**os.environ, "XDG_CACHE_HOME": str(tmp_path)}, tmp_path / "precis.db") == []
    graphs = sorted(path.name for path in (tmp_path / "precis" / "onnx").glob("*.onnx"))
    assert len(graphs) == 3 and sum("-int8-" in name for name in graphs) == 1, graphs
