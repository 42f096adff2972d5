import json
import re

import blingfire

from models.sentences import sentence_spans, split_sentences


def assert_splits_into(text: str, expected: list[str]) -> None:
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == expected
    assert all(text[s.start : s.end] == s.text for s in sentences), "offsets slice the text back exactly"


def test_abbreviations_decimals_and_quotes_do_not_split() -> None:
    text = (
        "Mr. Smith flew to Washington, D.C. on Monday. The U.S. economy grew 2.5% last year. "
        '"It\'s a good start," he said. Prices rose to $3.50 a gallon.'
    )
    assert [s.text for s in split_sentences(text)] == [
        "Mr. Smith flew to Washington, D.C. on Monday.",
        "The U.S. economy grew 2.5% last year.",
        '"It\'s a good start," he said.',
        "Prices rose to $3.50 a gallon.",
    ]


def test_offsets_slice_the_text_back_exactly_across_lines() -> None:
    text = "Headline without a stop\n\nFirst paragraph here. Second sentence — with “quotes”.\nCafé owners agreed."
    assert_splits_into(
        text,
        ["Headline without a stop", "First paragraph here.", "Second sentence — with “quotes”.", "Café owners agreed."],
    )


def test_blank_text_has_no_sentences() -> None:
    assert split_sentences(" \n\n \t") == []


def test_a_caption_run_into_the_next_sentence_is_split_at_the_seam() -> None:
    text = (
        "Klopp during a training session in Dortmund on Wednesday He said: 'I have got some nice experiences.' "
        "Glenn Mason has said he will pay back the money out of his pension pot A respected bank manager "
        "who was jailed told The Sun he regrets it."
    )
    assert_splits_into(
        text,
        [
            "Klopp during a training session in Dortmund on Wednesday",
            "He said: 'I have got some nice experiences.'",
            "Glenn Mason has said he will pay back the money out of his pension pot",
            "A respected bank manager who was jailed told The Sun he regrets it.",
        ],
    )


def test_sentence_spans_equal_blingfire_offsets_on_every_line_of_the_shared_data(shared) -> None:
    """The fast path (the C splitter, offsets found again) gives exactly blingfire's own offsets."""
    texts = [json.loads(line)["article"] for line in shared.news_summaries.read_text(encoding="utf-8").splitlines()]
    squad = json.loads(shared.squad.read_text(encoding="utf-8"))
    texts += [paragraph["context"] for article in squad["data"] for paragraph in article["paragraphs"]]
    lines = [line for text in texts for line in text.split("\n") if line.strip()]
    lines += ["Hello  world.  Next one.", "Tab\there. Ok.", "  leading space. x", "Emoji \U0001f642 here. And \xa0no."]
    assert len(lines) > 1200
    for line in lines:
        expected = [tuple(span) for span in blingfire.text_to_sentences_and_offsets(line)[1]]
        assert sentence_spans(line) == expected, line


def test_the_first_sentences_of_a_long_text_are_those_of_the_whole_split(shared) -> None:
    texts = [json.loads(line)["article"] for line in shared.news_summaries.read_text(encoding="utf-8").splitlines()]
    for text in texts[:50]:
        whole = split_sentences(text)
        for limit in (0, 1, 8, 16, len(whole), len(whole) + 5):
            assert split_sentences(text, limit) == whole[:limit]


def test_the_seam_patterns_split_as_one_lookbehind_pattern_did(shared) -> None:
    """The run-in and glued seams are searched by patterns that consume a character first (fast); the pattern they
    replaced, lookbehinds first, split every shared article identically."""
    openers = "A|An|The|He|She|It|They|We|But|His|Her|Their|Its|This|These|Those|There|However|Now|When|After|Police"
    reference = re.compile(
        rf"(?<=[a-z0-9%)\u2019']) (?=(?:{openers}) [a-z0-9])"
        '|(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])|(?<=[a-z][.!?]["\u201d])(?=[A-Z][a-z])'
    )
    texts = [json.loads(line)["article"] for line in shared.news_summaries.read_text(encoding="utf-8").splitlines()]
    seams = 0
    for text in texts:
        expected = []
        for line in re.finditer(r"[^\n]+", text):
            for start, end in sentence_spans(line.group()):
                start, end = start + line.start(), end + line.start()
                for seam in reference.finditer(text, start, end):
                    expected.append(text[start : seam.start()])
                    start = seam.end()
                    seams += 1
                expected.append(text[start:end])
        assert [s.text for s in split_sentences(text)] == expected
    assert seams > 100  # the shared set holds 142 run-in captions
