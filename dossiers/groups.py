"""Staff groups and their permissions, (re)created after every `migrate` and by `setup_groups`.

Apps built on dossiers add their own permissions to these groups from their `AppConfig.ready()`
(`plugins.register_group_permissions`). Permissions of apps that are not installed yet (or not
migrated yet) are skipped and added the next time: the function is idempotent and only ever adds.
"""

from . import plugins

RECEPTION_GROUP = "Cán bộ tiếp nhận"  # one-stop desk: receives, asks for supplements, returns
PROCESSING_GROUP = "Cán bộ xử lý"  # processing unit: processes, approves, rejects, fees
# Extra days off and make-up days move every agency's due dates: a few named people only.
CALENDAR_GROUP = "Quản lý lịch làm việc"

_READ = [
    "dossiers.view_dossier",
    "dossiers.view_attachment",
    "dossiers.view_dossierevent",
    "dossiers.view_supplementrequest",
    "dossiers.view_calendarday",
    "procedures.view_procedure",
    "procedures.view_agency",
]
GROUP_PERMISSIONS = {
    RECEPTION_GROUP: [
        *_READ,
        "dossiers.receive_dossier",
    ],
    PROCESSING_GROUP: [
        *_READ,
        "dossiers.process_dossier",
    ],
    CALENDAR_GROUP: [
        "dossiers.view_calendarday",
        "dossiers.manage_calendar",
    ],
}


def groups_setup() -> dict[str, int]:
    """Create the staff groups and give them every listed permission that exists.

    Returns how many permissions each group has. Never removes a permission an administrator
    added by hand.
    """
    from django.contrib.auth.models import Group, Permission

    counts = {}
    for name, wanted in plugins.group_permissions(GROUP_PERMISSIONS).items():
        group, _created = Group.objects.get_or_create(name=name)
        by_app: dict[str, list[str]] = {}
        for label in wanted:
            app, codename = label.split(".", 1)
            by_app.setdefault(app, []).append(codename)
        for app, codenames in by_app.items():
            perms = Permission.objects.filter(content_type__app_label=app, codename__in=codenames)
            group.permissions.add(*perms)
        counts[name] = group.permissions.count()
    return counts


def on_post_migrate(sender, **kwargs) -> None:
    """post_migrate receiver: after the last app's signal, when every permission exists."""
    from django.apps import apps

    with_models = [config for config in apps.get_app_configs() if config.models_module]
    if with_models and sender is with_models[-1]:
        groups_setup()
