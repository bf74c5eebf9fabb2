"""Generate the benchmark's realistic volume in its own PostgreSQL database, fast.

    DJANGO_SETTINGS_MODULE=benchmarks.settings .venv/bin/python benchmarks/generate.py --scale 1.0

At scale 1.0: 1,000 procedures (the real catalogue loaded by `load_catalogue`, then generated
variants with steps, components, declared fields and fees), 100,000 dossiers spread over the
last 12 months whose status follows from a simulated timeline (submitted, received with a code
and due date, processed, supplements, fee notices and payments, approved or rejected, returned,
withdrawn; drafts), 1,000,000 history events or a little more (public and internal, each
hand-over's among them), 200,000 attachment rows pointing at a handful of real small files,
ratings, notifications, one citizen with exactly 200 dossiers, one staff member of the busiest
agency and a superuser; every agency's back office (units, staff per role) and each received
dossier's steps and hand-overs, the dossiers in flight at their current step
(datagen/backoffice.py). `--scale 0.01` is a smoke run.

Rows are written with PostgreSQL COPY (psycopg 3 `cursor.copy()`) with explicit ids, after a
TRUNCATE of the application's tables; columns this script does not know are filled with the
model field's default, so a new nullable or defaulted field does not break it. It refuses to run
on anything but a PostgreSQL database whose name starts with "bench" (it empties the tables).
"""

import argparse
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import Notification, User  # noqa: E402
from benchmarks.datagen.backoffice import BackOffice  # noqa: E402
from benchmarks.datagen.catalogue import generate_procedures, store_sample_files  # noqa: E402
from benchmarks.datagen.copying import (  # noqa: E402
    analyze,
    copy_rows,
    empty_tables,
    ensure_database,
    log,
    reset_sequences,
)
from benchmarks.datagen.history import Generator  # noqa: E402
from benchmarks.datagen.people import (  # noqa: E402
    CITIZEN_EMAIL,
    PASSWORD,
    STAFF_EMAIL,
    SUPERUSER_EMAIL,
    People,
)
from dossiers.models import (  # noqa: E402
    Attachment,
    Dossier,
    DossierCodeSequence,
    DossierEvent,
    SupplementRequest,
)
from procedures.models import Agency, Procedure, StaffMembership  # noqa: E402

DOSSIER_COLUMNS = [
    "id",
    "procedure_id",
    "agency_id",
    "applicant_id",
    "status",
    "code",
    "lookup_secret",
    "form_token",
    "applicant_name",
    "applicant_type",
    "organisation_name",
    "citizen_id",
    "tax_code",
    "phone",
    "email",
    "address",
    "data",
    "created_at",
    "updated_at",
    "submitted_at",
    "received_at",
    "due_date",
    "completed_at",
    "received_by_id",
    "result_file",
    "result_name",
    "result_sha256",
    "result_note",
    "rejection_reason",
]
EVENT_COLUMNS = [
    "id",
    "dossier_id",
    "created_at",
    "action",
    "from_status",
    "to_status",
    "is_public",
    "actor_id",
    "handling_unit",
    "note",
    "internal_note",
]
ATTACHMENT_COLUMNS = [
    "id",
    "dossier_id",
    "component_id",
    "version",
    "file",
    "original_name",
    "size",
    "sha256",
    "content_type",
    "uploaded_by_id",
    "uploaded_at",
    "is_current",
    "supplement_request_id",
]


def write_all(gen: Generator, people: People) -> None:
    log(f"COPY {len(people.rows):,} users")
    copy_rows(User, People.COLUMNS, people.rows)
    reset_sequences(User)
    from allauth.account.models import EmailAddress

    # Every account has its confirmed address, as after a real sign-up (allauth needs it).
    copy_rows(
        EmailAddress,
        ["id", "user_id", "email", "verified", "primary"],
        ((row[0], row[0], row[5], True, True) for row in people.rows),
    )
    reset_sequences(EmailAddress)

    log(f"COPY {len(gen.dossiers):,} dossiers")
    copy_rows(Dossier, DOSSIER_COLUMNS, gen.dossiers)

    log(f"COPY {len(gen.supplements):,} supplement requests")
    copy_rows(
        SupplementRequest,
        [
            "id",
            "dossier_id",
            "created_at",
            "created_by_id",
            "message",
            "asked_in_status",
            "deadline",
            "answered_at",
        ],
        gen.supplements,
    )
    through = SupplementRequest.components.through
    copy_rows(
        through, ["id", "supplementrequest_id", "dossiercomponent_id"], gen.supplement_components
    )

    gen.events.sort(key=lambda e: (e[0], e[1]))
    log(f"COPY {len(gen.events):,} history events")
    copy_rows(DossierEvent, EVENT_COLUMNS, ((i, *e) for i, e in enumerate(gen.events, start=1)))

    log(f"COPY {len(gen.attachments):,} attachments")
    copy_rows(
        Attachment, ATTACHMENT_COLUMNS, ((i, *a) for i, a in enumerate(gen.attachments, start=1))
    )

    try:
        from payments.models import FeeNotice, FeeNoticeItem, Payment
    except ImportError:
        FeeNotice = None  # noqa: N806
    if FeeNotice is not None:
        log(f"COPY {len(gen.fee_notices):,} fee notices, {len(gen.payments):,} payments")
        copy_rows(
            FeeNotice,
            ["id", "dossier_id", "total", "note", "created_by_id", "created_at", "paid_at"],
            gen.fee_notices,
        )
        copy_rows(FeeNoticeItem, ["id", "fee_notice_id", "order", "name", "amount"], gen.fee_items)
        copy_rows(
            Payment,
            [
                "id",
                "fee_notice_id",
                "method",
                "provider",
                "status",
                "amount",
                "txn_ref",
                "provider_reference",
                "bank_code",
                "response_code",
                "initiated_at",
                "confirmed_at",
                "confirmed_by_id",
                "receipt_file",
                "receipt_name",
                "receipt_size",
                "receipt_sha256",
                "receipt_content_type",
                "receipt_uploaded_at",
                "created_at",
                "updated_at",
            ],
            gen.payments,
        )
        reset_sequences(FeeNotice, FeeNoticeItem, Payment)

    try:
        from tracking.models import Rating
    except ImportError:
        Rating = None  # noqa: N806
    if Rating is not None:
        log(f"COPY {len(gen.ratings):,} ratings")
        copy_rows(
            Rating,
            [
                "id",
                "dossier_id",
                "user_id",
                "created_at",
                "attitude",
                "timeliness",
                "guidance",
                "overall",
                "comment",
            ],
            gen.ratings,
        )
        reset_sequences(Rating)

    log(f"COPY {len(gen.notifications):,} notifications")
    copy_rows(
        Notification,
        ["id", "user_id", "created_at", "title", "body", "link", "read_at"],
        gen.notifications,
    )
    reset_sequences(Dossier, SupplementRequest, through, DossierEvent, Attachment, Notification)


def finish(gen: Generator, people: People, sequences: Counter) -> None:
    DossierCodeSequence.objects.bulk_create(
        [DossierCodeSequence(agency_id=a, day=d, last=n) for (a, d), n in sequences.items()],
        batch_size=5000,
    )
    # Popularity follows use, as the catalogue's ordering expects.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE procedures_procedure p SET popularity = c.n
            FROM (SELECT procedure_id, count(*) AS n FROM dossiers_dossier
                  WHERE status <> 'draft' GROUP BY procedure_id) c
            WHERE p.id = c.procedure_id
            """
        )
    # The staff member works for the busiest agency (a desk officer and a specialist there,
    # datagen/backoffice.py); both staff accounts can use the admin.
    staff = User.objects.get(email=STAFF_EMAIL)
    others = [
        StaffMembership(user_id=pk, agency_id=agency_id)
        for agency_id, ids in people.staff_by_agency.items()
        for pk in ids
    ]
    StaffMembership.objects.bulk_create(others)
    from django.contrib.auth.models import Group, Permission

    try:
        from dossiers.groups import GROUP_PERMISSIONS, groups_setup

        groups_setup()
        groups = list(Group.objects.filter(name__in=list(GROUP_PERMISSIONS)))
    except ImportError:
        groups = []
    staff_ids = [m.user_id for m in others]
    for user in User.objects.filter(pk__in=staff_ids):
        if groups:
            user.groups.add(*groups)
        else:
            user.user_permissions.add(
                *Permission.objects.filter(
                    content_type__app_label="dossiers", codename__startswith="view_"
                )
            )
    from allauth.account.models import EmailAddress
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    EmailAddress.objects.get_or_create(
        user=staff, email=staff.email, defaults={"verified": True, "primary": True}
    )
    # Staff need a second factor for the admin, as in production (STAFF_MFA_REQUIRED).
    for user in User.objects.filter(email__in=[STAFF_EMAIL, SUPERUSER_EMAIL]):
        TOTP.activate(user, generate_totp_secret())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 100,000 dossiers (default)")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    scale = args.scale
    started = time.monotonic()
    rng = random.Random(args.seed)

    ensure_database()
    log("migrate")
    call_command("migrate", interactive=False, verbosity=0)
    log("empty the tables")
    empty_tables()
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    log("load the real catalogue")
    call_command("load_catalogue", verbosity=0)
    total_procedures = max(Procedure.objects.count(), round(1000 * max(scale, 0.1)))
    generate_procedures(rng, total_procedures)
    log(f"{Procedure.objects.count():,} procedures")
    sample_files = store_sample_files()

    agencies = list(Agency.objects.order_by("id"))
    dossiers = max(400, round(100_000 * scale))
    people = People(rng, citizens=max(50, round(45_000 * scale)), agencies=agencies)
    gen = Generator(rng, scale, people, sample_files)
    log(f"simulate {dossiers:,} dossiers")
    gen.build(dossiers)
    log("the back offices: units, staff per role, steps and hand-overs")
    office = BackOffice(args.seed + 17, people, gen)
    office.build()
    sequences = gen.assign_codes()
    # The hand-overs' history events count towards the million.
    gen.pad_events(round(1_000_000 * scale) - len(office.events))
    gen.fit_attachments(round(200_000 * scale))
    write_all(gen, people)
    office.write()
    finish(gen, people, sequences)
    analyze()
    by_status = Counter(row[4] for row in gen.dossiers)
    log(
        "done in {:.0f} s: {:,} procedures, {:,} dossiers ({}), {:,} events ({:,} public), "
        "{:,} attachments, {:,} ratings, {:,} payments".format(
            time.monotonic() - started,
            Procedure.objects.count(),
            len(gen.dossiers),
            ", ".join(f"{s} {n:,}" for s, n in by_status.most_common()),
            len(gen.events) + len(office.events),
            sum(1 for e in gen.events if e[5]) + sum(1 for e in office.events if e[5]),
            len(gen.attachments),
            len(gen.ratings),
            len(gen.payments),
        )
    )
    log(f"accounts (password {PASSWORD!r}): {SUPERUSER_EMAIL}, {STAFF_EMAIL}, {CITIZEN_EMAIL}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
