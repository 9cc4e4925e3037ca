"""A data format for the kit's own result objects that cannot run code when read (no pickle).

`write(obj, folder)` stores a tree of frozen dataclasses, dicts, lists, tuples, sets, dates,
paths, numbers and text as JSON (`tree.json`), each pandas frame or series as a Parquet file
and each numpy array as a `.npy` file (`allow_pickle=False`). `read(folder)` rebuilds it: a
dataclass only if its class is one of the kit's (`ccm_assess.*`), set field by field without
calling its `__init__` (as pickle does), so the file can name no function to run. Cached
properties are not stored; they are computed again when used.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TREE = "tree.json"
PACKAGE = "ccm_assess."


class FormatError(ValueError):
    """A stored tree that the kit did not write (unknown tag, foreign class, missing part)."""


class _Writer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.parts = 0

    def _part(self, suffix: str) -> Path:
        self.parts += 1
        return self.folder / f"{self.parts:04d}{suffix}"

    def frame(self, frame: pd.DataFrame) -> dict[str, Any]:
        """A frame as Parquet, columns renamed by position (Parquet wants text names); columns
        of Python objects other than text (tuples, lists) as JSON text of this format."""
        labels = [self.encode(label) for label in frame.columns]
        data = frame.set_axis([f"c{i}" for i in range(frame.shape[1])], axis=1)
        encoded = []
        for i, column in enumerate(frame.columns):
            values = frame[column]
            if values.dtype == object and not values.map(_plain).all():
                data[f"c{i}"] = [json.dumps(self.encode(value)) for value in values]
                encoded.append(i)
        path = self._part(".parquet")
        data.to_parquet(path, index=True)
        return {"~frame": path.name, "columns": labels, "encoded": encoded}

    def encode(self, value: object) -> Any:
        """`value` as JSON-ready data with tags (`~kind`) for what JSON lacks."""
        if value is None or isinstance(value, bool | int | float | str):
            return value
        if isinstance(value, np.generic):
            return value.item()
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            kind = type(value)
            return {
                "~dataclass": f"{kind.__module__}:{kind.__qualname__}",
                "fields": {
                    f.name: self.encode(getattr(value, f.name)) for f in dataclasses.fields(value)
                },
            }
        if isinstance(value, dict | types.MappingProxyType):
            return {"~dict": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if isinstance(value, list):
            return [self.encode(item) for item in value]
        if isinstance(value, tuple | set | frozenset):
            return {f"~{type(value).__name__}": [self.encode(item) for item in value]}
        if isinstance(value, pd.Timestamp | dt.datetime):
            return {"~datetime": value.isoformat()}
        if isinstance(value, dt.date):
            return {"~date": value.isoformat()}
        if isinstance(value, Path):
            return {"~path": str(value)}
        if isinstance(value, pd.DataFrame):
            return self.frame(value)
        if isinstance(value, pd.Series):
            return {"~series": self.frame(value.to_frame()), "name": self.encode(value.name)}
        if isinstance(value, np.ndarray):
            path = self._part(".npy")
            np.save(path, value, allow_pickle=False)
            return {"~ndarray": path.name}
        raise TypeError(f"cannot store a {type(value).__qualname__}")


def _plain(value: object) -> bool:
    return value is None or isinstance(value, str) or value is pd.NA


def write(value: object, folder: Path) -> Path:
    """Store `value` in `folder` (created; `TREE` plus one file per frame and array)."""
    folder.mkdir(parents=True, exist_ok=True)
    tree = _Writer(folder).encode(value)
    (folder / TREE).write_text(json.dumps(tree), encoding="utf-8")
    return folder


def _dataclass(name: str) -> type:
    """The kit's dataclass called `module:qualname`; FormatError for anything else."""
    module, _, qualname = name.partition(":")
    if not module.startswith(PACKAGE):
        raise FormatError(f"not a class of the kit: {name}")
    found: object = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if not (isinstance(found, type) and dataclasses.is_dataclass(found)):
        raise FormatError(f"not a dataclass of the kit: {name}")
    return found


class _Reader:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _part(self, name: object, suffix: str) -> Path:
        if not isinstance(name, str) or not name.endswith(suffix) or Path(name).name != name:
            raise FormatError(f"a part named {name!r}")
        return self.folder / name

    def frame(self, tag: dict[str, Any]) -> pd.DataFrame:
        frame = pd.read_parquet(self._part(tag["~frame"], ".parquet"))
        for i in tag["encoded"]:
            frame[f"c{i}"] = [self.decode(json.loads(text)) for text in frame[f"c{i}"]]
        labels = [self.decode(label) for label in tag["columns"]]
        return frame.set_axis(pd.Index(labels, tupleize_cols=False), axis=1)

    def decode(self, data: Any) -> Any:
        if data is None or isinstance(data, bool | int | float | str):
            return data
        if isinstance(data, list):
            return [self.decode(item) for item in data]
        if not isinstance(data, dict) or len(data) == 0:
            raise FormatError("an untagged object")
        tag = next(iter(data))
        makers: dict[str, Callable[[Any], Any]] = {
            "~dict": lambda pairs: {self.decode(k): self.decode(v) for k, v in pairs},
            "~tuple": lambda items: tuple(self.decode(item) for item in items),
            "~set": lambda items: {self.decode(item) for item in items},
            "~frozenset": lambda items: frozenset(self.decode(item) for item in items),
            "~datetime": lambda text: pd.Timestamp(text),
            "~date": lambda text: dt.date.fromisoformat(text),
            "~path": Path,
            "~ndarray": lambda name: np.load(self._part(name, ".npy"), allow_pickle=False),
            "~frame": lambda _: self.frame(data),
            "~series": lambda inner: self.frame(inner).iloc[:, 0].rename(self.decode(data["name"])),
            "~dataclass": lambda name: self.dataclass(name, data["fields"]),
        }
        if tag not in makers:
            raise FormatError(f"an unknown tag {tag!r}")
        return makers[tag](data[tag])

    def dataclass(self, name: str, fields: dict[str, Any]) -> object:
        kind = _dataclass(name)
        names = {f.name for f in dataclasses.fields(kind)}
        if set(fields) != names:
            raise FormatError(f"{name} with other fields")
        value: object = object.__new__(kind)
        for field_name, data in fields.items():
            object.__setattr__(value, field_name, self.decode(data))
        return value


def read(folder: Path) -> Any:
    """The value `write` stored in `folder`; FormatError for anything the kit did not write."""
    try:
        tree = json.loads((folder / TREE).read_text(encoding="utf-8"))
        return _Reader(folder).decode(tree)
    except (OSError, ValueError, KeyError, TypeError) as error:
        if isinstance(error, FormatError):
            raise
        raise FormatError(f"{type(error).__name__} while reading {folder.name}") from error
