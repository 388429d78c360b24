"""Read an official ALIS / StyleGAN2-ADA checkpoint pickle as data, never as code.

Those pickles store each network as a `torch_utils.persistence` record holding the *source code* of
its module, which the official loader `exec`s. Here every global a pickle names is looked up in an
allowlist: tensor rebuilding (storages are read by torch's own weights-only loader), plain
containers, numeric numpy scalars and arrays, the persistence record (kept as a `Record`: class name and state,
the source is never run) and EasyDict / omegaconf containers (kept as plain data). Anything else
(`os.system`, `builtins.eval`, a class of the official code...) is refused by name before it is
looked up, so nothing from the file runs.
"""
from __future__ import annotations

import builtins
import dataclasses
import io
import pickle
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from alis_studio.errors import ModelError


@dataclasses.dataclass
class Record:
    """A persistent object of the official code, as data: its class name and its `__dict__`."""

    class_name: str
    state: dict

    def submodules(self) -> dict:
        return dict(self.state.get("_modules") or {})


class Refused(pickle.UnpicklingError):
    """Something in the pickle that a checkpoint has no business holding."""


class _Standin:
    """An omegaconf object kept as the state it was pickled with (see `plain`)."""

    def __init__(self, *args, **kwargs):
        self.state: Any = None

    def __setstate__(self, state):
        self.state = state


class _ConfigDict(_Standin):
    """omegaconf DictConfig."""


class _ConfigList(_Standin):
    """omegaconf ListConfig."""


class _ConfigValue(_Standin):
    """omegaconf AnyNode, StringNode, ... (their value is `_val`)."""


class _Ignored(_Standin):
    """omegaconf metadata, `typing.Any`: read, never used."""


class _PlainDict(dict):
    """dnnlib's EasyDict, as the dict it is."""

    def __setstate__(self, state):  # EasyDict keeps no attributes of its own
        pass


def _persistent_record(meta: dict) -> Record:
    if not isinstance(meta, dict) or meta.get("type") != "class" or not isinstance(meta.get("class_name"), str):
        raise Refused("a persistent record without a class name")
    state = meta.get("state")
    if not isinstance(state, dict):
        raise Refused(f"the persistent record of {meta['class_name']} has no state")
    return Record(meta["class_name"], state)  # meta['module_src'] is dropped unread


def _storage_from_bytes(data: bytes):
    """A storage saved by torch.save inside the pickle: read by torch's weights-only loader."""
    if not isinstance(data, bytes):
        raise Refused("a tensor storage that is not bytes")
    try:
        with warnings.catch_warnings():  # e.g. "pickle protocol 4", of a hostile inner pickle
            warnings.simplefilter("ignore")
            storage = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception:  # torch's own refusal is many lines long: say it in one
        raise Refused("a tensor storage that torch's weights-only loader refuses") from None
    if not isinstance(storage, torch.TypedStorage):
        raise Refused("a tensor storage that holds something else")
    return storage


def _tensor(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    """torch._utils._rebuild_tensor_v2 without hooks or metadata (nothing callable is kept)."""
    if not isinstance(storage, torch.TypedStorage) or not isinstance(offset, int):
        raise Refused("a tensor without a valid storage")
    if not all(isinstance(v, int) for v in (*size, *stride)):
        raise Refused("a tensor with a non-integer shape")
    t = torch.empty((0,), dtype=storage.dtype)
    return t.set_(storage._untyped_storage, offset, tuple(size), tuple(stride))


def _parameter(data, requires_grad=False, hooks=None, *state):
    if not isinstance(data, torch.Tensor):
        raise Refused("a parameter that is not a tensor")
    return torch.nn.Parameter(data, requires_grad=False)


def _numpy_dtype(*args):
    dtype = np.dtype(*args)
    if dtype.kind not in "biufc":
        raise Refused(f"numpy dtype {dtype} is not numeric")
    return dtype


def _numpy_scalar(dtype, data=None):
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biufc" or not isinstance(data, bytes):
        raise Refused("a numpy scalar that is not a number")
    return np.frombuffer(data, dtype=dtype, count=1)[0]


def _numpy_array(cls, shape, typecode):
    """numpy's _reconstruct of a plain ndarray; its dtype (read through _numpy_dtype) must be numeric,
    so the state that fills it holds raw numbers only."""
    if cls is not np.ndarray:
        raise Refused("a numpy array of a subclass")
    return np.ndarray.__new__(np.ndarray, shape, typecode)


def _empty_dict(*args):  # collections.defaultdict(dict) in omegaconf's metadata
    return {}


_NUMPY = {"dtype": _numpy_dtype, "scalar": _numpy_scalar, "ndarray": np.ndarray}
ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"): _tensor,
    ("torch._utils", "_rebuild_parameter"): _parameter,
    ("torch.storage", "_load_from_bytes"): _storage_from_bytes,
    ("torch_utils.persistence", "_reconstruct_persistent_obj"): _persistent_record,
    ("dnnlib.util", "EasyDict"): _PlainDict,
    ("collections", "OrderedDict"): dict,
    ("collections", "defaultdict"): _empty_dict,
    ("typing", "Any"): _Ignored,
    **{("builtins", name): getattr(builtins, name)
       for name in ("dict", "list", "tuple", "set", "frozenset", "str", "int", "float", "bool", "bytes")},
    **{("numpy", k): v for k, v in _NUMPY.items()},
    **{(f"numpy.{core}.multiarray", name): fn for core in ("core", "_core")
       for name, fn in (("scalar", _numpy_scalar), ("_reconstruct", _numpy_array))},
    ("omegaconf.dictconfig", "DictConfig"): _ConfigDict,
    ("omegaconf.listconfig", "ListConfig"): _ConfigList,
    ("omegaconf.base", "Metadata"): _Ignored,
    ("omegaconf.base", "ContainerMetadata"): _Ignored,
}
_OMEGACONF_NODES = {"AnyNode", "StringNode", "IntegerNode", "FloatNode", "BooleanNode", "BytesNode",
                    "PathNode", "EnumNode", "ValueNode"}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if module == "omegaconf.nodes" and name in _OMEGACONF_NODES:
            return _ConfigValue
        try:
            return ALLOWED[(module, name)]
        except KeyError:
            raise Refused(f"refused to load the global {module}.{name}") from None

    def persistent_load(self, pid):
        raise Refused("refused a persistent id (not a StyleGAN2-ADA-style pickle)")


class _Watched(io.RawIOBase):
    """A file whose reads report progress(bytes read, size) at most every 4 MB and feed `hasher`."""

    def __init__(self, f, size: int, progress, hasher):
        self.f, self.size, self.progress, self.hasher = f, size, progress, hasher
        self.done = self._told = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self.f.readinto(b)
        if n:
            self.done += n
            if self.hasher is not None:
                self.hasher.update(memoryview(b)[:n])
        if self.progress and self.done - self._told >= 1 << 22:
            self._told = self.done
            self.progress(self.done, self.size)
        return n


def load_pickle(path: str | Path, progress=None, hasher=None) -> Any:
    """The checkpoint at `path` as data (Records, dicts, tensors); progress(bytes, size) while it
    reads; `hasher` (hashlib) is fed the whole file. ModelError naming the file and, for a refused
    global, the global."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            raw = _Watched(f, path.stat().st_size, progress, hasher)
            src = io.BufferedReader(raw, 1 << 20)
            data = plain(_RestrictedUnpickler(src).load())
            if hasher is not None:  # bytes after the pickle's STOP belong to the file too
                while src.read(1 << 22):
                    pass
            return data
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelError(f"{path}: is a folder, not a checkpoint pickle") from None
    except Refused as e:
        raise ModelError(f"{path}: not a safe ALIS checkpoint: {e}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError, RuntimeError,
            MemoryError, RecursionError, OSError) as e:  # damaged or foreign data
        raise ModelError(f"{path}: cannot read the checkpoint ({type(e).__name__}: {str(e)[:120]})") from None


def plain(obj: Any) -> Any:
    """omegaconf stand-ins and EasyDicts as plain dicts, lists and values, all the way down."""
    if isinstance(obj, _ConfigDict):
        content = (obj.state or {}).get("_content") if isinstance(obj.state, dict) else None
        return {k: plain(v) for k, v in (content or {}).items()}
    if isinstance(obj, _ConfigList):
        content = (obj.state or {}).get("_content") if isinstance(obj.state, dict) else None
        return [plain(v) for v in (content or [])]
    if isinstance(obj, _ConfigValue):
        return plain(obj.state.get("_val")) if isinstance(obj.state, dict) else None
    if isinstance(obj, Record):
        obj.state = plain(obj.state)
        return obj
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(plain(v) for v in obj)
    return obj
