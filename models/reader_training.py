"""Fine-tunes Precis's QA reader: a span head on all-MiniLM-L6-v2, trained on SQuAD-format data, on the CPU.

What keeps it inside the CPU budget: the word embeddings (half the model) stay frozen, inputs are windows of at most
`max_length` tokens with a doc stride, and batches are built from examples of similar length (dynamic padding).
Unanswerable examples (a question paired with a paragraph that lacks its answer, labelled with the null answer at
[CLS] as in SQuAD 2.0) teach it to say no. Everything random follows one seed; a checkpoint written every
`checkpoint_every` steps lets an interrupted run resume where it stopped and end with the same weights.
"""

import logging
import math
import random
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm
from transformers import AutoTokenizer, PreTrainedTokenizerBase, get_linear_schedule_with_warmup

from models.embedder import bundled_minilm_path
from models.onnx_cache import file_sha256
from models.reader import DEFAULT_STRIDE, QAReader
from models.reader_files import FROZEN, ReaderManifest, new_span_model, save_reader, torch_logits
from models.squad import VALIDATION_ARTICLES, Question, load_squad, split_by_article, squad_em_f1
from models.tokenization import TextTokenizer

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"


@dataclass(frozen=True)
class TrainingConfig:
    data: Path
    output: Path
    epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 1e-4
    warmup_share: float = 0.06
    # Extra unanswerable pairs, as a share of the answerable training questions.
    unanswerable_share: float = 0.25
    validation_articles: int = VALIDATION_ARTICLES
    max_length: int = 256
    stride: int = DEFAULT_STRIDE
    seed: int = 0
    # Only the first `limit` training and validation questions (a quick mechanics run); None means all.
    limit: int | None = None
    checkpoint_every: int = 50
    threads: int | None = None


@dataclass(frozen=True)
class Example:
    question: str
    context: str
    # Character span of the answer in `context`; None for an unanswerable pair.
    answer: tuple[int, int] | None


@dataclass
class EpochReport:
    epoch: int
    loss: float
    exact_match: float
    f1: float
    seconds: float


@dataclass
class TrainingReport:
    epochs: list[EpochReport] = field(default_factory=list)
    threshold: float = 0.0
    train_questions: int = 0
    validation_questions: int = 0
    validation_topics: list[str] = field(default_factory=list)


def training_examples(questions: list[Question], share: float, rng: random.Random) -> list[Example]:
    """Each question with its paragraph, plus `share` as many unanswerable pairs: half with another paragraph of
    the same article (on topic, but without the answer), half with a paragraph of another article."""
    examples = [
        Example(q.question, q.context, (q.answer_starts[0], q.answer_starts[0] + len(q.answers[0])))
        for q in questions
        if q.answers
    ]
    examples += unanswerable_pairs(questions, round(share * len(examples)), rng)
    return examples


def unanswerable_pairs(questions: list[Question], count: int, rng: random.Random) -> list[Example]:
    by_topic: dict[str, list[str]] = {}
    for q in questions:
        paragraphs = by_topic.setdefault(q.topic, [])
        if q.context not in paragraphs:
            paragraphs.append(q.context)
    topics = sorted(by_topic)
    pairs: list[Example] = []
    for question in rng.sample(questions, min(count, len(questions))):
        same_topic = rng.random() < 0.5 and len(by_topic[question.topic]) > 1
        others = [t for t in topics if t != question.topic]
        pool = by_topic[question.topic] if same_topic or not others else by_topic[rng.choice(others)]
        candidates = [
            p for p in pool if p != question.context and not any(a.lower() in p.lower() for a in question.answers)
        ]
        if candidates:
            pairs.append(Example(question.question, rng.choice(candidates), None))
    return pairs


def encode(
    tokenizer: PreTrainedTokenizerBase, examples: list[Example], max_length: int, stride: int
) -> list[dict[str, list[int] | int]]:
    """One feature per window: token ids and the start/end token of the answer, or 0/0 ([CLS]) when the window
    does not hold the whole answer or the pair has none."""
    encoded = tokenizer(
        [e.question for e in examples],
        [e.context for e in examples],
        truncation="only_second",
        max_length=max_length,
        stride=stride,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    features = []
    for row, example_index in enumerate(encoded["overflow_to_sample_mapping"]):
        answer = examples[example_index].answer
        start = end = 0
        if answer is not None:
            sequence = encoded.sequence_ids(row)
            offsets = encoded["offset_mapping"][row]
            tokens = [k for k, sid in enumerate(sequence) if sid == 1]
            if offsets[tokens[0]][0] <= answer[0] and answer[1] <= offsets[tokens[-1]][1]:
                start = next(k for k in tokens if offsets[k][1] > answer[0])
                end = next(k for k in reversed(tokens) if offsets[k][0] < answer[1])
        features.append(
            {
                "input_ids": encoded["input_ids"][row],
                "token_type_ids": encoded["token_type_ids"][row],
                "start": start,
                "end": end,
            }
        )
    return features


def length_buckets(features: list[dict], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of features of similar length (little padding), in a shuffled order; lengths are bucketed after a
    shuffle so that equal-length features are not always grouped alike."""
    order = list(range(len(features)))
    rng.shuffle(order)
    order.sort(key=lambda k: len(features[k]["input_ids"]))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def collate(features: list[dict], pad_id: int) -> dict[str, torch.Tensor]:
    width = max(len(f["input_ids"]) for f in features)

    def padded(key: str, value: int) -> torch.Tensor:
        return torch.tensor([f[key] + [value] * (width - len(f[key])) for f in features])

    return {
        "input_ids": padded("input_ids", pad_id),
        "token_type_ids": padded("token_type_ids", 0),
        "attention_mask": torch.tensor(
            [[1] * len(f["input_ids"]) + [0] * (width - len(f["input_ids"])) for f in features]
        ),
        "start_positions": torch.tensor([f["start"] for f in features]),
        "end_positions": torch.tensor([f["end"] for f in features]),
    }


def validate(reader: QAReader, questions: list[Question]) -> tuple[float, float, float]:
    """EM and F1 on the answerable questions (every question answered, as in SQuAD v1.1), and the no-answer
    threshold fitted on their margins."""
    scores, margins_right = [], []
    for q in questions:
        span = reader.read(q.question, [q.context])[0]
        assert span is not None
        em, f1 = squad_em_f1(q.context[span.start : span.end], q.answers)
        scores.append((em, f1))
        margins_right.append(span.margin)
    return (
        statistics.mean(s[0] for s in scores),
        statistics.mean(s[1] for s in scores),
        fit_threshold(margins_right),
    )


def fit_threshold(answerable: list[float], keep: float = 0.95) -> float:
    """The highest margin that still answers `keep` of the answerable questions: a reader should get the answers
    the article has; `precis eval answers` measures what this threshold refuses of the texts that do not say."""
    if not answerable:
        return 0.0
    ordered = sorted(answerable)
    return float(ordered[math.floor((1 - keep) * len(ordered))]) - 1e-6


def train(config: TrainingConfig, progress: bool = True) -> TrainingReport:
    if config.threads:
        torch.set_num_threads(config.threads)
    rng = random.Random(config.seed)
    torch.manual_seed(config.seed)
    train_questions, validation_questions = split_by_article(
        load_squad(config.data), config.validation_articles, config.seed
    )
    if config.limit:
        train_questions = train_questions[: config.limit]
        validation_questions = validation_questions[: config.limit]
    tokenizer = AutoTokenizer.from_pretrained(bundled_minilm_path())
    features = encode(
        tokenizer, training_examples(train_questions, config.unanswerable_share, rng), config.max_length, config.stride
    )

    model = new_span_model()
    for name, parameter in model.named_parameters():
        parameter.requires_grad = name not in FROZEN
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(features) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    schedule = get_linear_schedule_with_warmup(optimizer, int(config.warmup_share * total_steps), total_steps)

    config.output.mkdir(parents=True, exist_ok=True)
    checkpoint_path = config.output / CHECKPOINT
    report = TrainingReport(
        train_questions=len(train_questions),
        validation_questions=len(validation_questions),
        validation_topics=sorted({q.topic for q in validation_questions}),
    )
    step = 0
    losses: list[float] = []
    if checkpoint_path.is_file():
        state = torch.load(checkpoint_path, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["torch_rng"])
        step, losses, report = state["step"], state["losses"], state["report"]
        log.info("resuming reader training", extra={"step": step, "of": total_steps})

    # Validated through the tokenizer the served reader uses (the same windows as `tokenizer`, tested).
    reader_tokenizer = TextTokenizer.from_directory(bundled_minilm_path())
    reader = QAReader(reader_tokenizer, torch_logits(model), "reader/training", config.max_length, stride=config.stride)
    bar = tqdm(total=total_steps, initial=step, desc="train reader", unit=" steps", disable=None if progress else True)
    epoch_started = time.perf_counter()
    while step < total_steps:
        epoch, position = divmod(step, steps_per_epoch)
        # The batch order of an epoch depends only on the seed and the epoch, so a resumed run sees the same order.
        batches = length_buckets(features, config.batch_size, random.Random(f"{config.seed}/{epoch}"))
        model.train()
        for batch in batches[position:]:
            loss = model(**collate([features[k] for k in batch], tokenizer.pad_token_id)).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(loss.item())
            step += 1
            bar.update()
            bar.set_postfix(loss=f"{statistics.mean(losses[-50:]):.3f}")
            if step % config.checkpoint_every == 0 or step % steps_per_epoch == 0:
                if step % steps_per_epoch == 0:
                    model.eval()
                    em, f1, threshold = validate(reader, validation_questions)
                    report.epochs.append(
                        EpochReport(
                            epoch + 1,
                            statistics.mean(losses[-steps_per_epoch:]),
                            em,
                            f1,
                            time.perf_counter() - epoch_started,
                        )
                    )
                    report.threshold = threshold
                    log.info("reader epoch", extra=asdict(report.epochs[-1]))
                    bar.write(f"epoch {epoch + 1}: validation EM {em:.3f} F1 {f1:.3f}")
                    epoch_started = time.perf_counter()
                    model.train()
                torch.save(
                    {
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "schedule": schedule.state_dict(),
                        "torch_rng": torch.get_rng_state(),
                        "step": step,
                        "losses": losses,
                        "report": report,
                    },
                    checkpoint_path.with_suffix(".tmp"),
                )
                checkpoint_path.with_suffix(".tmp").replace(checkpoint_path)
            if step >= total_steps or step % steps_per_epoch == 0:
                break
    bar.close()
    model.eval()
    save_reader(
        model,
        config.output,
        ReaderManifest(
            weights_sha256="",
            base_sha256="",
            max_length=config.max_length,
            stride=config.stride,
            threshold=report.threshold,
            training={
                "command": "precis train reader",
                "data": {"file": config.data.name, "sha256": file_sha256(config.data).hex()},
                "config": {k: v for k, v in asdict(config).items() if not isinstance(v, Path)},
                "report": asdict(report),
            },
        ),
    )
    checkpoint_path.unlink(missing_ok=True)
    return report
