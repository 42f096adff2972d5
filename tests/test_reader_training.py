"""Training and shipping the QA reader: mechanics on a tiny slice of the shared SQuAD file (a few dozen questions,
one short epoch). These runs say nothing about answer quality (tests/test_answers.py does, on the shipped reader);
they check that training writes a small reader that loads, resumes exactly, and is refused when tampered with."""

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

import models.reader_training as training
from models.errors import ModelLoadError
from models.reader_files import MANIFEST, WEIGHTS, load_reader, shipped_reader_dir
from models.reader_training import Example, TrainingConfig, encode, train, unanswerable_pairs
from models.squad import Question, load_squad, split_by_article
from tests.conftest import SharedData

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def squad(shared: SharedData) -> Path:
    return shared.squad


def _config(squad: Path, output: Path, **changes) -> TrainingConfig:
    return TrainingConfig(
        data=squad, output=output, epochs=1, batch_size=4, limit=24, checkpoint_every=2, threads=1, **changes
    )


@pytest.fixture(scope="module")
def trained(squad: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("reader")
    train(_config(squad, output), progress=False)
    return output


def test_the_split_keeps_whole_articles_apart_and_is_repeatable(squad: Path) -> None:
    questions = load_squad(squad)
    train_part, validation = split_by_article(questions)
    assert {q.topic for q in train_part}.isdisjoint({q.topic for q in validation})
    assert len({q.topic for q in validation}) == 4 and len(train_part) + len(validation) == len(questions)
    assert split_by_article(questions)[1] == validation
    assert split_by_article(questions, seed=1)[1] != validation


def test_unanswerable_pairs_never_hold_the_answer(squad: Path) -> None:
    questions = load_squad(squad)[:300]
    pairs = unanswerable_pairs(questions, 100, random.Random(0))
    by_question = {q.question: q for q in questions}
    assert len(pairs) > 80 and all(pair.answer is None for pair in pairs)
    for pair in pairs:
        question = by_question[pair.question]
        assert pair.context != question.context
        assert not any(answer.lower() in pair.context.lower() for answer in question.answers)


def test_answer_tokens_are_labelled_and_a_window_without_the_answer_points_at_cls() -> None:
    from transformers import AutoTokenizer

    from models.embedder import bundled_minilm_path

    tokenizer = AutoTokenizer.from_pretrained(bundled_minilm_path())
    context = "Filler sentence number one. " * 40 + "The bridge was designed by Halvorsen Engineering of Bergen."
    start = context.index("Halvorsen")
    example = Example("Who designed the bridge?", context, (start, start + len("Halvorsen Engineering")))
    features = encode(tokenizer, [example, Example("Who?", "No answer here.", None)], max_length=64, stride=16)
    assert len(features) > 2, "a long context is split into windows"
    labelled = [f for f in features[:-1] if f["start"] != 0]
    assert labelled, "the window that holds the answer is labelled with it"
    for feature in labelled:
        tokens = feature["input_ids"][feature["start"] : feature["end"] + 1]
        assert tokenizer.decode(tokens) == "halvorsen engineering"
    assert (features[-1]["start"], features[-1]["end"]) == (0, 0)


def test_training_writes_a_small_reader_that_loads_and_answers_with_offsets(trained: Path, squad: Path) -> None:
    manifest = json.loads((trained / MANIFEST).read_text())
    assert manifest["training"]["data"]["file"] == squad.name
    assert len(manifest["training"]["report"]["epochs"]) == 1
    assert not (trained / training.CHECKPOINT).exists(), "the checkpoint goes once the reader is written"
    tensors = load_file(str(trained / WEIGHTS))
    assert "bert.embeddings.word_embeddings.weight" not in tensors, "frozen embeddings come from the MiniLM package"
    assert all(value.dtype == np.float16 for value in tensors.values())
    reader = load_reader(str(trained), backend="torch")
    context = "The council approved the plan on Tuesday."
    (span,) = reader.read("When was the plan approved?", [context])
    assert span is not None and 0 <= span.start < span.end <= len(context)


def test_an_interrupted_run_resumes_from_its_checkpoint_to_the_same_weights(
    trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, squad: Path
) -> None:
    calls = {"count": 0}
    real_collate = training.collate

    def interrupted_collate(*args, **kwargs):
        calls["count"] += 1
        if calls["count"] == 4:  # after the checkpoint at step 2, before step 4 is done
            raise KeyboardInterrupt
        return real_collate(*args, **kwargs)

    monkeypatch.setattr(training, "collate", interrupted_collate)
    with pytest.raises(KeyboardInterrupt):
        train(_config(squad, tmp_path), progress=False)
    assert (tmp_path / training.CHECKPOINT).is_file()
    monkeypatch.setattr(training, "collate", real_collate)
    train(_config(squad, tmp_path), progress=False)
    resumed, uninterrupted = load_file(str(tmp_path / WEIGHTS)), load_file(str(trained / WEIGHTS))
    assert resumed.keys() == uninterrupted.keys()
    for name, value in uninterrupted.items():
        np.testing.assert_array_equal(resumed[name], value, err_msg=name)


def test_a_tampered_reader_is_refused(trained: Path, tmp_path: Path) -> None:
    copy = tmp_path / "reader"
    shutil.copytree(trained, copy)
    with (copy / WEIGHTS).open("r+b") as weights:
        weights.seek(-8, 2)
        weights.write(b"\x00" * 8)
    with pytest.raises(ModelLoadError, match=r"^PRECIS_QA_MODEL: .*does not match the hash"):
        load_reader(str(copy))


def test_the_shipped_reader_is_small_and_records_how_it_was_built() -> None:
    directory = shipped_reader_dir()
    assert (directory / WEIGHTS).stat().st_size < 25 * 1024 * 1024
    manifest = json.loads((directory / MANIFEST).read_text())
    assert manifest["training"]["command"] == "precis train reader"
    assert manifest["training"]["data"]["file"] == "squad-v1.1-dev-part.json"


def test_onnx_reader_matches_torch_on_the_shipped_reader(tmp_path: Path) -> None:
    on_torch = load_reader(backend="torch")
    on_onnx = load_reader(backend="onnx", cache_dir=tmp_path)
    assert list(tmp_path.glob("precis-reader-*.onnx")), "the graph is exported into the cache"
    question = "Who designed the bridge?"
    contexts = ["The £48m bridge was designed by Halvorsen Engineering of Bergen.", "Shares fell 12% on Tuesday."]
    windows = on_torch.preprocess(question, contexts)
    for expected, got in zip(on_torch.forward(windows), on_onnx.forward(windows), strict=True):
        mask = windows.inputs["attention_mask"].astype(bool)
        np.testing.assert_allclose(got[mask], expected[mask], atol=1e-3)
    for a, b in zip(on_torch.read(question, contexts), on_onnx.read(question, contexts), strict=True):
        assert (a.start, a.end) == (b.start, b.end) and a.margin == pytest.approx(b.margin, abs=1e-2)


def test_an_unusable_data_file_is_one_sentence_from_the_cli(precis, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": [{"title": "x"}]}')
    for data, message in ((tmp_path / "none.json", "no training data at"), (bad, "cannot train on")):
        result = precis("train", "reader", "--data", str(data), "--output", str(tmp_path))
        assert result.code == 1
        assert result.err.startswith(f"precis: {message}") and "Traceback" not in result.err


def test_questions_of_the_shared_file_have_their_answers_at_the_given_offsets(squad: Path) -> None:
    for question in load_squad(squad)[:500]:
        assert isinstance(question, Question)
        for text, start in zip(question.answers, question.answer_starts, strict=True):
            assert question.context[start : start + len(text)] == text


def test_a_reader_trained_from_the_cli_is_used_through_precis_qa_model(
    precis, squad: Path, tmp_path: Path, news, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "my-reader"
    trained = precis(
        "train",
        "reader",
        "--data",
        str(squad),
        "--limit",
        "24",
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--output",
        str(output),
    )
    assert trained.code == 0, trained.err
    assert "epoch 1: loss" in trained.out and f"PRECIS_QA_MODEL={output}" in trained.out
    monkeypatch.setenv("PRECIS_QA_MODEL", str(output))
    monkeypatch.setenv("PRECIS_READER_BACKEND", "torch")
    asked = precis("ask", str(news["harbour_bridge"].path), "Who leads the group?", "--json")
    assert asked.code == 0, asked.err
    # A reader trained on 24 questions answers poorly; what matters is that it is the one answering.
    assert json.loads(asked.out)["model"].endswith(f"+reader/my-reader-{_manifest_hash(output)}")


def _manifest_hash(directory: Path) -> str:
    return json.loads((directory / MANIFEST).read_text())["weights_sha256"][:8]
