"""Where the apps built on dossiers plug into its pages, its admin and its staff groups.

The dossiers app names none of the apps above it (STYLE: rooms and doors). An app that adds a
panel to the citizen's dossier page, a link to the admin dossier page or permissions to the
staff groups registers it here from its `AppConfig.ready()`; the dossier pages render what was
registered, in registration order (the order of `INSTALLED_APPS`).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

if TYPE_CHECKING:
    from .models import Dossier

# Where a panel sits on the citizen's dossier page: after the result and the slips (what the
# applicant may have to act on), or after the processing history (what comes at the end).
PANEL_PLACES = ("after_documents", "after_history")

PanelContext = Callable[[HttpRequest, "Dossier"], Mapping[str, Any]]


@dataclass(frozen=True)
class DetailPanel:
    template: str
    context_func: PanelContext | None
    place: str


_detail_panels: list[DetailPanel] = []
_admin_links: dict[str, Callable[["Dossier"], str]] = {}
_group_permissions: dict[str, list[str]] = {}


def register_detail_panel(
    template: str, context_func: PanelContext | None = None, *, place: str = "after_documents"
) -> None:
    """Show `template` on the citizen's dossier page at `place` (one of `PANEL_PLACES`).

    The template is included with the page's context (`dossier`, `request`…) plus
    `panel_context`, what `context_func(request, dossier)` returns. Registering the same
    template again changes nothing.
    """
    if place not in PANEL_PLACES:
        raise ValueError(f"unknown panel place {place!r}; one of {PANEL_PLACES}")
    if any(panel.template == template for panel in _detail_panels):
        return
    _detail_panels.append(DetailPanel(template, context_func, place))


def detail_panels(request: HttpRequest, dossier: "Dossier") -> dict[str, list[dict]]:
    """The registered panels of the dossier page, by place, each with its extra context."""
    panels: dict[str, list[dict]] = {place: [] for place in PANEL_PLACES}
    for panel in _detail_panels:
        context = panel.context_func(request, dossier) if panel.context_func else {}
        panels[panel.place].append({"template": panel.template, "context": context})
    return panels


def register_admin_link(name: str, url_func: Callable[["Dossier"], str]) -> None:
    """Offer a link named `name` on the admin dossier page; `url_func(dossier)` gives its URL."""
    _admin_links[name] = url_func


def admin_link_url(name: str, dossier: "Dossier") -> str:
    """The URL of the admin link `name` for `dossier`; empty when no app registered it."""
    url_func = _admin_links.get(name)
    return url_func(dossier) if url_func else ""


def register_group_permissions(group: str, permissions: list[str]) -> None:
    """Give the staff group `group` these permissions ("app_label.codename") too, the next
    time the groups are set up (after every `migrate`, and by `setup_groups`)."""
    wanted = _group_permissions.setdefault(group, [])
    wanted.extend(p for p in permissions if p not in wanted)


def group_permissions(own: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The dossiers app's `own` group permissions with those other apps registered."""
    merged = {group: list(perms) for group, perms in own.items()}
    for group, perms in _group_permissions.items():
        wanted = merged.setdefault(group, [])
        wanted.extend(p for p in perms if p not in wanted)
    return merged
