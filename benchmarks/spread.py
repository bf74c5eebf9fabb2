"""The spread requests of the load benchmark: many different URLs and users per page.

Each function returns the lines of a requests file for `benchmarks/wrk/report.lua`: a path, or
a path, a tab and a Cookie header. wrk picks one line at random for every request. The lists
are drawn from the generated data with a fixed seed, so two runs on the same data send the
same mix:

- lookup and history: every dossier that has a code (all agencies, every status but draft),
  with the lookup secret where the receiving agency requires it, as the QR code carries it;
- procedure detail: every published procedure, drawn with the data generator's Zipf law
  (ranked by the dossiers each procedure received), one reader in five in English;
- catalogue search: the queries of `search_queries.txt`, in both languages;
- /me/dossiers/: many citizens, each a browser signed in with its own session;
- home and statistics: the pages in both languages (statistics: its period presets).
"""

import random
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils.http import urlencode

from benchmarks.datagen.history import zipf_weight

SEED = 19
ENGLISH = f"{settings.LANGUAGE_COOKIE_NAME}=en"
ENGLISH_SHARE = 0.2
PROCEDURE_DRAWS = 20_000
QUERIES = Path(__file__).resolve().parent / "search_queries.txt"


def _rows(sql: str, params: tuple = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _english(rng: random.Random, path: str) -> str:
    return f"{path}\t{ENGLISH}" if rng.random() < ENGLISH_SHARE else path


def coded_dossiers() -> list[tuple[str, str]]:
    """(code, secret or "") of every dossier that has a code; the secret only where the
    receiving agency requires it for the history."""
    return _rows(
        "SELECT d.code, CASE WHEN a.require_lookup_secret THEN d.lookup_secret ELSE '' END "
        "FROM dossiers_dossier d JOIN procedures_agency a ON a.id = d.agency_id "
        "WHERE d.code IS NOT NULL AND d.status <> 'draft' ORDER BY d.id"
    )


def lookup_lines(prefix: str = "/lookup/") -> list[str]:
    return [f"{prefix}?{urlencode({'code': code})}" for code, _secret in coded_dossiers()]


def history_lines() -> list[str]:
    lines = []
    for code, secret in coded_dossiers():
        query = {"code": code, **({"secret": secret} if secret else {})}
        lines.append(f"/lookup/history/?{urlencode(query)}")
    return lines


def procedure_lines() -> list[str]:
    """Procedure pages drawn with the generator's Zipf law over the published procedures,
    ranked by the number of dossiers each received (the generator's own order)."""
    ranked = _rows(
        "SELECT p.slug FROM procedures_procedure p "
        "LEFT JOIN dossiers_dossier d ON d.procedure_id = p.id "
        "WHERE p.is_published GROUP BY p.id, p.slug ORDER BY count(d.id) DESC, p.id"
    )
    slugs = [slug for (slug,) in ranked]
    rng = random.Random(SEED)
    weights = [zipf_weight(rank) for rank in range(1, len(slugs) + 1)]
    picks = rng.choices(slugs, weights=weights, k=PROCEDURE_DRAWS)
    return [_english(rng, f"/procedures/{slug}/") for slug in picks]


def search_queries() -> list[str]:
    lines = QUERIES.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def search_lines() -> list[str]:
    lines = []
    for query in search_queries():
        path = f"/procedures/?{urlencode({'q': query})}"
        lines += [path, f"{path}\t{ENGLISH}"]
    return lines


def both_languages(path: str) -> list[str]:
    return [path, f"{path}\t{ENGLISH}"]


def statistics_lines() -> list[str]:
    """The statistics page as its period presets link it, in both languages."""
    from django.utils import timezone

    from tracking.views import _presets

    lines = both_languages("/statistics/")
    for _label, period in _presets(timezone.localdate()):
        query = urlencode(
            {"from": period.first.strftime("%Y-%m"), "to": period.last.strftime("%Y-%m")}
        )
        lines += both_languages(f"/statistics/?{query}")
    return lines


def citizen_lines(browser_cookies: Callable[[str], str], count: int) -> list[str]:
    """`/me/dossiers/` as `count` different citizens with dossiers see it, each signed in."""
    emails = _rows(
        "SELECT u.email FROM accounts_user u WHERE u.is_active AND NOT u.is_staff AND EXISTS "
        "(SELECT 1 FROM dossiers_dossier d WHERE d.applicant_id = u.id) ORDER BY u.id LIMIT %s",
        (count,),
    )
    return [f"/me/dossiers/\t{browser_cookies(email)}" for (email,) in emails]
