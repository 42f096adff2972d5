"""All configuration, read once from PRECIS_* environment variables, with embedded defaults."""

from functools import cache
from pathlib import Path

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.config import Backend, ModelConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PRECIS_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./precis.db"
    # The archive's vector index (search, related articles, asking the archive): a folder per database and model
    # below this one; rebuilt from the store whenever it is missing.
    index_dir: Path = Path.home() / ".cache" / "precis" / "index"
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: str = "info"
    max_text_chars: int = Field(200_000, ge=1, description="Longest article text accepted (HTTP 413 beyond).")
    max_question_chars: int = Field(500, ge=1)
    # Pages carry far more markup than story: the text limit applies again to what is extracted.
    max_html_chars: int = Field(5_000_000, ge=1)
    # None means the bundled all-MiniLM-L6-v2.
    embedder: str | None = None
    # "onnx" runs the embedder in ONNX Runtime (exported once into ~/.cache/precis/onnx); "torch" in torch.
    embedder_backend: Backend = "onnx"
    # A Hugging Face id or local directory; None means the embedded extractive summariser.
    summariser: str | None = None
    # A directory written by `precis train reader` (or a transformers question-answering checkpoint); None means
    # the reader shipped with Precis.
    qa_model: str | None = None
    # "onnx" runs the reader in ONNX Runtime (exported once into the same cache as the embedder); "torch" in torch.
    reader_backend: Backend = "onnx"
    # The "onnx" embedder with its weights in int8: twice as fast, with 563 of 604 summaries the same as fp32's and
    # ROUGE-Lsum within 0.001, search as good (README, Performance). Its vectors are stored under their own name.
    embedder_int8: bool = True
    # The "onnx" reader with its weights in int8: twice as fast, but a little less sure of its answers (asking the
    # archive cited the right article for 70 of 80 questions instead of 73), so it is off by default.
    reader_int8: bool = False
    # An answer is given only at or above this confidence (the verifier's calibrated chance that it is right);
    # below it the API says "not_sure" and offers the span as a candidate. None: the threshold fitted with the
    # verifier (for 80% of answers right on validation). Higher answers less and is wrong less often
    # (docs/evaluation.md has the risk-coverage curve).
    answer_min_confidence: float | None = Field(None, ge=0, le=1)
    # Writes (storing, deleting articles) always need a key (`precis keys create NAME`); reads, including the
    # model-backed summaries and answers the reader page asks for, only when this is true.
    require_key_for_reads: bool = False
    # Model-backed requests each key, or each client address without a key, may make (the `limits` notation).
    rate_limit: str = "120/minute"
    # Where the counts live: "memory://" (this process alone) or "redis://host:6379" (one count across every worker
    # and server that names the same Redis; service/rate_limits.py).
    rate_limit_storage: str = "memory://"
    # Refused with 413 before it is read: the largest page allowed, JSON-escaped, fits.
    max_body_bytes: int = Field(12_000_000, ge=1)
    # A page whose story is not out by then is refused (422): the extractor runs in a worker process that is
    # stopped, so one page cannot hold a core or its memory for long.
    extraction_timeout_seconds: float = Field(10.0, gt=0)
    extraction_memory_mib: int = Field(2048, ge=256)
    # An article stored through the API has its entities found in the background, by a spaCy worker process
    # (≈ 140 MiB, one per server process, started on first need). False leaves them to `precis batch` or to the
    # first request for them.
    entities_when_stored: bool = True
    # Model-backed requests running at once (None: one per CPU) and waiting beyond those; more get a 503 at once.
    model_slots: int | None = Field(None, ge=1)
    model_queue: int = Field(8, ge=0)
    # ... and at most this many characters of text among them (about two seconds of model work on two cores).
    model_queue_chars: int = Field(500_000, ge=1)
    # Origins whose pages may call the API from a browser; empty means no cross-origin calls (no CORS headers).
    cors_origins: list[str] = []
    # Seconds to wait for the database to accept a connection at start-up (PostgreSQL).
    database_connect_timeout: int = Field(10, ge=1)
    torch_threads: int | None = Field(None, ge=1)
    # `precis batch --engine ray`: an existing cluster ("ray://host:10001" or "auto"); None starts Ray locally.
    ray_address: str | None = None
    # Ray actors for the batch; None means one per CPU in the cluster.
    ray_workers: int | None = Field(None, ge=1)

    @field_validator("rate_limit")
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        parse(value)  # raises ValueError naming what it could not read
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _rate_limit_storage_is_known(cls, value: str) -> str:
        if not value.startswith(("memory://", "redis://", "rediss://")):
            raise ValueError("must be memory:// or a redis:// (rediss://) URL")
        return value

    def model_config_for_loading(self) -> ModelConfig:
        return ModelConfig(
            embedder_path=self.embedder,
            embedder_backend=self.embedder_backend,
            summariser=self.summariser,
            qa_model=self.qa_model,
            reader_backend=self.reader_backend,
            embedder_int8=self.embedder_int8,
            reader_int8=self.reader_int8,
            answer_min_confidence=self.answer_min_confidence,
            torch_threads=self.torch_threads,
        )


@cache
def get_settings() -> Settings:
    return Settings()
