"""kombu 5.4's JSON wire format for Debian's kombu 5.2.

Antenna pins kombu 5.4, which writes datetime, date, time, Decimal and UUID values as
{"__type__": NAME, "__value__": TEXT} and turns such objects back into values while parsing.
Debian's kombu 5.2 writes ISO strings and parses nothing back, so a result published as Antenna
publishes it would reach the task with dicts where pydantic expects datetimes. Registering this
codec as kombu's "json" serializer gives the worker (and the message comparison test) 5.4's
behaviour. Written for this project from kombu's documented format; no kombu code is copied.
"""
import datetime
import decimal
import json
import uuid

from kombu import serialization

# Order matters: a datetime is also a date.
_TYPES = (
    (datetime.datetime, "datetime", datetime.datetime.isoformat, datetime.datetime.fromisoformat),
    (datetime.date, "date", datetime.date.isoformat, datetime.date.fromisoformat),
    (datetime.time, "time", datetime.time.isoformat, datetime.time.fromisoformat),
    (decimal.Decimal, "decimal", str, decimal.Decimal),
    (uuid.UUID, "uuid", str, uuid.UUID),
)
_DECODERS = {name: decode for _, name, _, decode in _TYPES}


class _Encoder(json.JSONEncoder):
    def default(self, o):
        reducer = getattr(o, "__json__", None)
        if reducer is not None:
            return reducer()
        for kind, name, encode, _ in _TYPES:
            if isinstance(o, kind):
                return {"__type__": name, "__value__": encode(o)}
        try:  # Django's lazy translation strings (kombu writes them as text)
            from django.utils.functional import Promise
        except ImportError:
            Promise = ()
        if isinstance(o, Promise):
            return str(o)
        return super().default(o)


def _object_hook(o: dict):
    if len(o) == 2 and "__type__" in o and "__value__" in o:
        decode = _DECODERS.get(o["__type__"])
        if decode is None:
            raise ValueError(f"unsupported kombu type envelope {o['__type__']!r}")
        return decode(o["__value__"])
    return o


def dumps(value) -> str:
    return json.dumps(value, cls=_Encoder)


def loads(text):
    if isinstance(text, (bytes, bytearray, memoryview)):
        text = bytes(text).decode("utf-8")
    return json.loads(text, object_hook=_object_hook)


def register() -> None:
    """Replaces kombu's "json" serializer in this process (and the pool children it forks)."""
    serialization.register("json", dumps, loads, content_type="application/json", content_encoding="utf-8")
