"""Composed messages: the sentences the portal writes itself (history steps, notifications).

They are stored as a message id and its parameters (JSON), never as a sentence: the text is
put together when it is read, in the reader's language, so an English reader never meets a
Vietnamese sentence written for someone else, and a catalogue name shows as the catalogue
says it today. Free text a person typed is never a parameter: it is kept apart by whoever
stores the message.

The apps register their messages (`register_message`) and the kinds of parameter they need
(`register_kind`, e.g. a dossier status, an agency looked up once per page) when they load.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.functional import Promise

from core.numbers import vnd as format_amount


def format_date(value: Any) -> str:
    """An ISO date (or a date) as the portal prints dates."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def format_datetime(value: Any) -> str:
    """An ISO date-time (or a datetime) in the portal's time zone."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


@dataclass(frozen=True)
class ParamKind:
    """How one kind of parameter becomes text. `load`, when given, turns the stored ids of a
    whole page into objects in one go (one query for the page, not one per row); `format`
    then receives the object (or the stored value when there is no `load`)."""

    format: Callable[[Any], str]
    load: Callable[[set], Mapping[Any, Any]] | None = None


class Visibility:
    """Who may read a composed message. The public lookup shows only `PUBLIC` texts."""

    PUBLIC = "public"
    APPLICANT = "applicant"
    STAFF = "staff"


@dataclass(frozen=True)
class ComposedMessage:
    id: str
    # A gettext_lazy source string with %(name)s placeholders, one per parameter.
    text: str | Promise
    kinds: dict[str, str] = field(default_factory=dict)
    visibility: str = Visibility.PUBLIC

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


_KINDS: dict[str, ParamKind] = {
    "text": ParamKind(format=str),
    "amount": ParamKind(format=format_amount),
    "date": ParamKind(format=format_date),
    "datetime": ParamKind(format=format_datetime),
}
_MESSAGES: dict[str, ComposedMessage] = {}


def register_kind(name: str, *, format: Callable[[Any], str], load=None) -> None:  # noqa: A002
    """Teach the renderer a kind of parameter (idempotent: the last registration wins)."""
    _KINDS[name] = ParamKind(format=format, load=load)


def register_message(
    message_id: str, text: str | Promise, *, visibility: str = Visibility.PUBLIC, **kinds: str
) -> ComposedMessage:
    """Add a message to the table: `kinds` names the kind of each parameter of `text`."""
    unknown = set(kinds.values()) - set(_KINDS)
    if unknown:
        raise ValueError(f"{message_id}: unknown parameter kinds {sorted(unknown)}")
    message = ComposedMessage(id=message_id, text=text, kinds=kinds, visibility=visibility)
    _MESSAGES[message_id] = message
    return message


def message_get(message_id: str) -> ComposedMessage | None:
    return _MESSAGES.get(message_id)


def _ids_to_load(items: list[tuple[str, Mapping]]) -> dict[str, set]:
    wanted: dict[str, set] = defaultdict(set)
    for message_id, params in items:
        message = _MESSAGES.get(message_id)
        if message is None:
            continue
        for name, kind in message.kinds.items():
            if _KINDS[kind].load is not None and params.get(name) is not None:
                wanted[kind].add(params[name])
    return wanted


def _format(message: ComposedMessage, params: Mapping, loaded: Mapping[str, Mapping]) -> str:
    values = {}
    for name, kind_name in message.kinds.items():
        value = params.get(name)
        kind = _KINDS[kind_name]
        if kind.load is not None:
            value = loaded.get(kind_name, {}).get(value)
        if value is None or value == "":
            # A parameter that is gone (an agency deleted, a row converted badly): no sentence
            # is better than a sentence with a hole in it.
            return ""
        values[name] = kind.format(value)
    return str(message.text) % values


def messages_render(
    items: Iterable[tuple[str, Mapping | None]], *, known: Mapping[str, Mapping] | None = None
) -> list[str]:
    """The texts of `(message id, params)` pairs in the active language, in order.

    An unknown message id gives "" (the caller shows its fallback). Parameters of a kind with
    a loader are loaded once for all the items together; `known` supplies objects the caller
    already holds (`{"agency": {7: agency}}`), which are then not queried.
    """
    pairs = [(message_id or "", params or {}) for message_id, params in items]
    # The caller's mappings are read, never changed (they may be shared, e.g. a process's copy
    # of the catalogue's names): what is loaded here goes into a new mapping.
    loaded: dict[str, Mapping] = dict(known or {})
    for kind, ids in _ids_to_load(pairs).items():
        have = loaded.get(kind, {})
        missing = {i for i in ids if i not in have}
        loader = _KINDS[kind].load
        if missing and loader is not None:
            loaded[kind] = {**have, **loader(missing)}
    texts = []
    for message_id, params in pairs:
        message = _MESSAGES.get(message_id)
        texts.append(_format(message, params, loaded) if message else "")
    return texts


def message_render(message_id: str, params: Mapping | None, **known: Mapping) -> str:
    """One message's text in the active language ("" for an unknown id)."""
    return messages_render([(message_id, params)], known=known)[0]
