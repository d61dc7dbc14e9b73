"""Plain-data codec between the judge (grading kernel) and the sandboxed worker.

No pickle: a message is JSON, framed by an 8-byte length. Only these values cross:
``None``, ``bool``, ``int``, ``float``, ``complex``, ``str``, ``bytes``, ``range``,
``list``, ``tuple``, ``dict``, ``set``, ``frozenset`` of them, plain ``numpy.ndarray``
(numeric, bool or fixed-width string dtype, sent as dtype + shape + bytes + whether it is
writeable), numpy scalars, and ``numpy.random.Generator`` over PCG64 (sent as its bit
generator's state). Types are checked exactly (``type(x) is ...``) by :func:`encode`:
a subclass of ``ndarray``, ``float`` or ``dict``, or any other object, is refused with
:class:`CodecError`. The worker first converts what it can to those exact types with
:func:`to_plain` (an ``OrderedDict`` is sent as a dict, a namedtuple as a tuple, an
``ndarray`` subclass as its plain array, a ``float`` subclass as a float); decoding
builds fresh objects of the exact types listed, so what the worker sends can never
be an object whose comparisons it defines.
"""

from __future__ import annotations

import base64
import collections.abc as abc
import importlib
import json
import struct

import numpy as np

MAX_MESSAGE = 512 * 2**20       # bytes of one message
MAX_DEPTH = 64
_PLAIN = (type(None), bool, int, float, complex, str, bytes)
_KINDS = "biufcUS"


class CodecError(TypeError):
    """A value that is not plain data."""


#: Stands for a Generator sent without its state (its state travels apart, see ``gens``).
GENERATOR_PLACEHOLDER = object()


def _check_dtype(dt: np.dtype) -> np.dtype:
    if dt.kind not in _KINDS or dt.hasobject or dt.fields is not None or dt.subdtype is not None:
        raise CodecError(f"arrays of dtype {dt} are not plain data")
    return dt


def encode(obj, *, gens: list | None = None, refs: dict | None = None, modules: bool = False,
           bufs: list | None = None, stateless: bool = False, _depth: int = 0):
    """``obj`` as a JSON-able structure. ``gens`` collects the Generators sent (their
    states come back after a call); ``refs`` maps id() of proxies to their worker name;
    ``modules`` allows modules (sent by name, judge to worker only); ``stateless`` sends a
    Generator as a placeholder without its state (what a call did to its arguments)."""
    if _depth > MAX_DEPTH:
        raise CodecError("data nested too deeply")
    t = type(obj)
    if t in _PLAIN:
        return obj
    kw = dict(gens=gens, refs=refs, modules=modules, bufs=bufs, stateless=stateless, _depth=_depth + 1)
    if t is list:
        return [encode(x, **kw) for x in obj]
    if t is tuple:
        return {"$t": "tuple", "v": [encode(x, **kw) for x in obj]}
    if t is dict:
        return {"$t": "dict", "k": [encode(k, **kw) for k in obj], "v": [encode(v, **kw) for v in obj.values()]}
    if t is set or t is frozenset:
        return {"$t": t.__name__, "v": [encode(x, **kw) for x in obj]}
    if t is range:
        return {"$t": "range", "v": [obj.start, obj.stop, obj.step]}
    if t is np.ndarray:
        _check_dtype(obj.dtype)
        data = np.ascontiguousarray(obj).tobytes()
        head = {"$t": "nd", "d": obj.dtype.str, "s": list(obj.shape)}
        if not obj.flags.writeable:
            head["w"] = 0
        if bufs is not None:        # sent after the JSON header, as raw bytes
            bufs.append(data)
            return {**head, "i": len(bufs) - 1}
        return {**head, "b": base64.b64encode(data).decode()}
    if isinstance(obj, np.generic) and t is obj.dtype.type:
        _check_dtype(obj.dtype)
        return {"$t": "ns", "d": obj.dtype.str, "b": base64.b64encode(obj.tobytes()).decode()}
    if t is np.random.Generator and gens is not None and stateless:
        gens.append(obj)
        return {"$t": "gen", "i": len(gens) - 1}
    if t is np.random.Generator and gens is not None and type(obj.bit_generator) is np.random.PCG64:
        gens.append(obj)
        return {"$t": "gen", "i": len(gens) - 1, "state": encode(obj.bit_generator.state, **kw)}
    if refs is not None and id(obj) in refs:
        return {"$t": "ref", "n": refs[id(obj)]}
    if modules and t is type(np):
        return {"$t": "mod", "n": obj.__name__}
    raise CodecError(f"a {t.__module__}.{t.__qualname__} is not plain data (numbers, strings, lists, tuples, "
                     f"dicts and numpy arrays only)")


def to_plain(obj, *, keep=None, _depth: int = 0):
    """``obj`` converted to the exact types :func:`encode` sends (worker side), or :class:`CodecError`.

    A ``Mapping`` becomes a ``dict``, a tuple subclass (a namedtuple) a ``tuple``, a ``set``
    subclass a ``set``, any other ``Sequence`` (a list subclass, a ``deque``, a ``UserList``)
    a ``list``, an ``ndarray`` subclass (``np.matrix``, a masked array) its plain array, a
    subclass of ``int``/``float``/``str``/``bytes`` (an ``IntEnum``) the builtin value, a
    0-d numpy scalar of a subclassed type its plain numpy scalar. Containers are converted
    element by element. ``keep(x)`` true passes ``x`` through unchanged (Generators, proxies).
    Everything else (an object with its own ``__eq__``, a generator, a function) is refused.
    """

    if _depth > MAX_DEPTH:
        raise CodecError("data nested too deeply")
    t = type(obj)
    if t in _PLAIN or t is range:
        return obj
    if keep is not None and keep(obj):
        return obj
    kw = dict(keep=keep, _depth=_depth + 1)
    if isinstance(obj, np.generic):
        return obj if t is obj.dtype.type else np.asarray(obj).view(np.ndarray)[()]
    if isinstance(obj, np.ndarray):
        arr = obj if t is np.ndarray else np.asarray(obj).view(np.ndarray)
        if arr.dtype.hasobject:
            try:
                arr = np.array([to_plain(x, **kw) for x in arr.ravel()]).reshape(arr.shape)
            except Exception:
                raise CodecError("an array of Python objects is not plain data") from None
        _check_dtype(arr.dtype)
        return arr
    for base in (bool, int, float, complex, str, bytes):
        if isinstance(obj, base):
            if base is str:
                return str.__str__(obj)
            if base is bytes:
                return bytes(memoryview(obj))
            return {int: int.__int__, float: float.__float__, complex: complex.__complex__}.get(base, bool)(obj)
    if t is list:
        return [to_plain(x, **kw) for x in obj]
    if t is dict or isinstance(obj, abc.Mapping):
        return {to_plain(k, **kw): to_plain(v, **kw) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return tuple(to_plain(x, **kw) for x in tuple.__iter__(obj))
    if isinstance(obj, frozenset):
        return frozenset(to_plain(x, **kw) for x in obj)
    if isinstance(obj, abc.Set):
        return {to_plain(x, **kw) for x in obj}
    if isinstance(obj, range):
        return obj
    if isinstance(obj, (abc.Sequence, abc.MutableSequence)):
        return [to_plain(x, **kw) for x in obj]
    raise CodecError(f"a {t.__module__}.{t.__qualname__} is not plain data (numbers, strings, lists, tuples, "
                     f"dicts, sets and numpy arrays only)")


def decode(data, *, gens: list | None = None, resolve=None, modules: bool = False, bufs: list | None = None,
           _depth: int = 0):
    """The value encoded in ``data``, built from exact types only (raises :class:`CodecError`).

    ``gens`` receives the Generators rebuilt (worker side); ``resolve(name)`` looks up
    a ``ref``; ``modules`` allows module references (worker side only)."""
    if _depth > MAX_DEPTH:
        raise CodecError("data nested too deeply")
    t = type(data)
    if t in _PLAIN:
        return data
    kw = dict(gens=gens, resolve=resolve, modules=modules, bufs=bufs, _depth=_depth + 1)
    if t is list:
        return [decode(x, **kw) for x in data]
    if t is not dict:
        raise CodecError(f"unexpected {t.__name__} in a message")
    tag = data.get("$t")
    if tag == "tuple":
        return tuple(decode(x, **kw) for x in _list(data["v"]))
    if tag in ("set", "frozenset"):
        items = [decode(x, **kw) for x in _list(data["v"])]
        try:
            return set(items) if tag == "set" else frozenset(items)
        except TypeError:
            raise CodecError(f"unhashable element in a {tag}") from None
    if tag == "range":
        a, b, c = (_int(x) for x in _list(data["v"]))
        if c == 0:
            raise CodecError("malformed range")
        return range(a, b, c)
    if tag == "dict":
        keys, values = _list(data["k"]), _list(data["v"])
        if len(keys) != len(values):
            raise CodecError("malformed dict")
        out = {}
        for k, v in zip(keys, values, strict=True):
            k = decode(k, **kw)
            if type(k) not in (*_PLAIN, tuple, frozenset, range) and not isinstance(k, np.generic):
                raise CodecError(f"dict key of type {type(k).__name__}")
            out[k] = decode(v, **kw)
        return out
    if tag == "nd":
        dt = _check_dtype(np.dtype(_str(data["d"])))
        shape = tuple(_int(n) for n in _list(data["s"]))
        if "i" in data:
            i = _int(data["i"])
            if bufs is None or not 0 <= i < len(bufs):
                raise CodecError("malformed message")
            raw = bufs[i]
        else:
            raw = base64.b64decode(_str(data["b"]), validate=True)
        if any(n < 0 for n in shape) or int(np.prod(shape, dtype=np.int64)) * dt.itemsize != len(raw):
            raise CodecError("array bytes do not match dtype and shape")
        arr = np.frombuffer(raw, dtype=dt).reshape(shape).copy()
        if data.get("w", 1) == 0:
            arr.flags.writeable = False
        return arr
    if tag == "ns":
        dt = _check_dtype(np.dtype(_str(data["d"])))
        raw = base64.b64decode(_str(data["b"]), validate=True)
        if len(raw) != dt.itemsize:
            raise CodecError("scalar bytes do not match dtype")
        return np.frombuffer(raw, dtype=dt)[0]
    if tag == "gen" and "state" not in data:
        return GENERATOR_PLACEHOLDER
    if tag == "gen" and gens is not None:
        g = np.random.Generator(np.random.PCG64())
        g.bit_generator.state = decode(data["state"], **kw)
        gens.append(g)
        return g
    if tag == "ref" and resolve is not None:
        return resolve(_str(data["n"]))
    if tag == "mod" and modules:

        return importlib.import_module(_str(data["n"]))
    raise CodecError(f"unexpected tag {tag!r} in a message")


def _list(x):
    if type(x) is not list:
        raise CodecError("malformed message")
    return x


def _str(x):
    if type(x) is not str:
        raise CodecError("malformed message")
    return x


def _int(x):
    if type(x) is not int:
        raise CodecError("malformed message")
    return x


def generator_state(g) -> dict:
    return g.bit_generator.state


def set_generator_state(g, state) -> None:
    """Set a judge Generator's state from a worker's (checked: a PCG64 state dict)."""
    if type(state) is not dict or state.get("bit_generator") != "PCG64":
        raise CodecError("malformed Generator state")
    g.bit_generator.state = state


# --- framing ---------------------------------------------------------------------------------------------

def send(fh, msg, bufs=()) -> None:
    """One message: the JSON header, then the raw buffers (array bytes) it refers to by index."""
    body = json.dumps(msg, allow_nan=True, separators=(",", ":")).encode()
    fh.write(struct.pack(">QQ", len(body), len(bufs)) + body)
    for b in bufs:
        fh.write(struct.pack(">Q", len(b)))
        fh.write(b)
    fh.flush()


def recv_bytes(read) -> tuple[dict, list]:
    """Read one message with ``read(n)`` (exactly n bytes or EOFError): (header, buffers)."""
    n, k = struct.unpack(">QQ", read(16))
    total = n
    if n > MAX_MESSAGE or k > 1_000_000:
        raise CodecError(f"message of {n} bytes is over the {MAX_MESSAGE} byte limit")
    msg = json.loads(read(n))
    if type(msg) is not dict:
        raise CodecError("malformed message")
    bufs = []
    for _ in range(k):
        (m,) = struct.unpack(">Q", read(8))
        total += m
        if total > MAX_MESSAGE:
            raise CodecError(f"message over the {MAX_MESSAGE} byte limit")
        bufs.append(read(m))
    return msg, bufs
