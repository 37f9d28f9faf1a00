"""Small vectorised helpers for the generator: grouped sampling, names, phones, ID numbers, tables."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from data import contract
from data.generator.reference import GIVEN_FEMALE, GIVEN_MALE, PHONE_PREFIXES, SURNAMES

ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
}


def schema(table: contract.Table) -> pa.Schema:
    """The Arrow schema of a contract table (columns in contract order), without the optional
    columns later contract versions added: the demo bank has no overdrafts, directions or
    dates without times, and the importer fills them."""
    return pa.schema(
        [
            pa.field(c.name, ARROW_TYPES[c.dtype], nullable=c.nullable)
            for c in table.columns
            if c.since == "1" or not c.optional
        ]
    )


def to_table(table: contract.Table, columns: dict[str, object]) -> pa.Table:
    """Build an Arrow table in the contract's column order and types from arrays or lists."""
    sch = schema(table)
    arrays = []
    for field in sch:
        value = columns[field.name]
        if isinstance(value, pa.Array | pa.ChunkedArray):
            arrays.append(value.cast(field.type))
        else:
            arrays.append(pa.array(value, type=field.type))
    return pa.Table.from_arrays(arrays, schema=sch)


def cumulative(weights: np.ndarray) -> np.ndarray:
    """Row-normalised cumulative weights with the last column exactly 1 (for :func:`choose`)."""
    w = np.asarray(weights, dtype=np.float64)
    cum = np.cumsum(w, axis=-1)
    cum = cum / cum[..., -1:]
    cum[..., -1] = 1.0
    return cum


def choose(cum: np.ndarray, group: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Draw one category per row from the row ``group`` of a cumulative table, without a (N, K) matrix.

    ``cum`` has shape (G, K); row g is offset by g so all rows form one sorted array and a single
    ``searchsorted`` serves every group.
    """
    g_count, k = cum.shape
    flat = (cum + np.arange(g_count)[:, None]).ravel()
    pos = np.searchsorted(flat, group + u, side="right") - group * k
    return np.minimum(pos, k - 1)


def take_str(values: tuple[str, ...] | list[str], idx: np.ndarray) -> pa.Array:
    """String array ``values[idx]`` built by Arrow (fast for millions of rows)."""
    return pa.array(list(values), type=pa.string()).take(pa.array(idx))


def round2(x: np.ndarray) -> np.ndarray:
    """Money rounded to the fen."""
    return np.round(x, 2)


def person_names(rng: np.random.Generator, female: np.ndarray) -> np.ndarray:
    """Chinese names: a weighted surname plus one or two given-name characters."""
    n = len(female)
    rank = np.arange(1, len(SURNAMES) + 1)
    p = 1.0 / rank**0.9  # a few surnames are very common (王, 李, 张 ...)
    surname = np.array(list(SURNAMES))[rng.choice(len(SURNAMES), n, p=p / p.sum())]
    male_chars, female_chars = np.array(list(GIVEN_MALE)), np.array(list(GIVEN_FEMALE))
    g1 = np.where(female, female_chars[rng.integers(0, len(female_chars), n)],
                  male_chars[rng.integers(0, len(male_chars), n)])  # fmt: skip
    g2 = np.where(female, female_chars[rng.integers(0, len(female_chars), n)],
                  male_chars[rng.integers(0, len(male_chars), n)])  # fmt: skip
    g2 = np.where(rng.random(n) < 0.7, g2, "")
    return np.char.add(np.char.add(surname, g1), g2)


def phones(rng: np.random.Generator, n: int) -> np.ndarray:
    """Plausible 11-digit mobile numbers."""
    prefix = np.array(PHONE_PREFIXES)[rng.integers(0, len(PHONE_PREFIXES), n)]
    rest = np.char.zfill(rng.integers(0, 100_000_000, n).astype(str), 8)
    return np.char.add(prefix, rest)


_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))


def id_numbers(
    rng: np.random.Generator, area: np.ndarray, birth: np.ndarray, female: np.ndarray
) -> np.ndarray:
    """18-character resident ID numbers: area code, birth date, sequence (odd = male), check digit."""
    n = len(area)
    ymd = np.char.replace(np.datetime_as_string(birth.astype("datetime64[D]")), "-", "")
    seq = rng.integers(0, 500, n) * 2 + np.where(female, 0, 1)
    body = np.char.add(np.char.add(area, ymd), np.char.zfill(seq.astype(str), 3))
    digits = body.view("<U1").reshape(n, 17).astype(np.int64)
    check = _ID_CHECK[(digits @ _ID_WEIGHTS) % 11]
    return np.char.add(body, check)
