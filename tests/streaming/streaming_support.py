"""Helpers of the streaming tests: keyed JSON messages on a real Kafka topic, Delta tables read back with `deltalake`."""

from __future__ import annotations

import json
import textwrap

import pytest


def good(i: int) -> tuple[bytes, bytes]:
    return str(i).encode(), json.dumps({"id": i, "name": f"user-{i}", "amount": round(i * 1.5, 2)}).encode()


def malformed(i: int) -> tuple[bytes, bytes]:
    return str(i).encode(), f'{{"id": {i}, "name": "broken'.encode()


def missing_id(i: int) -> tuple[bytes, bytes]:
    return str(i).encode(), json.dumps({"name": f"nobody-{i}", "amount": 1.0}).encode()


def negative(i: int) -> tuple[bytes, bytes]:
    return str(i).encode(), json.dumps({"id": i, "name": f"user-{i}", "amount": -1.0}).encode()


def mixed_messages(start: int, count: int) -> tuple[list[tuple[bytes, bytes]], set[int], int]:
    """``count`` messages with ids from ``start``: every 7th malformed, every 11th without id, every 13th
    failing the amount check; returns (messages, good ids, number of dead ones)."""
    messages, good_ids, dead = [], set(), 0
    for i in range(start, start + count):
        if i % 7 == 0:
            messages.append(malformed(i))
            dead += 1
        elif i % 11 == 0:
            messages.append(missing_id(i))
            dead += 1
        elif i % 13 == 0:
            messages.append(negative(i))
            dead += 1
        else:
            messages.append(good(i))
            good_ids.add(i)
    return messages, good_ids, dead


def kafka_to_delta_pipeline(
    bootstrap: str,
    topic: str,
    root,
    *,
    trigger: str = "available_now",
    max_offsets: int = 100,
    extra_streaming: str = "",
) -> str:
    """Kafka -> DataQuality (quarantine) -> DeltaSink merge, dead letters to Delta per step."""
    return textwrap.dedent(f"""\
        pipeline {{
          name = kafka-users
          streaming {{
            trigger = "{trigger}"
            checkpoint_location = "{root}/checkpoints"
            {extra_streaming}
          }}
          dead_letter {{ type = DeltaSink, config {{ path = "{root}/dead/{{step}}", mode = append }} }}
          steps = [
            {{ name = read, type = KafkaSource, config {{
                bootstrap_servers = "{bootstrap}", topic = "{topic}", starting_offsets = earliest
                schema = "id BIGINT NOT NULL, name STRING, amount DOUBLE"
                options {{ maxOffsetsPerTrigger = "{max_offsets}" }} }} }}
            {{ name = check, type = DataQuality, config {{ checks = [
                {{ type = range, column = amount, min = 0, action = quarantine }} ] }} }}
            {{ name = load, type = DeltaSink, config {{ path = "{root}/users", mode = merge, merge_keys = [id] }} }}
          ]
        }}
        """)


@pytest.fixture
def delta_ids():
    """The ``id`` column of a Delta table (empty when there is none), read with `deltalake`, not Spark."""
    from pathlib import Path

    from deltalake import DeltaTable

    def read(path) -> list:
        if not (Path(path) / "_delta_log").is_dir():
            return []
        return DeltaTable(str(path)).to_pyarrow_table(columns=["id"]).column("id").to_pylist()

    return read


@pytest.fixture
def delta_rows():
    from pathlib import Path

    from deltalake import DeltaTable

    def read(path) -> int:
        return DeltaTable(str(path)).to_pyarrow_table().num_rows if (Path(path) / "_delta_log").is_dir() else 0

    return read
