"""Satisfaction ratings (đánh giá mức độ hài lòng) of dossiers that have their result."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from dossiers.models import Dossier

from .constants import QUESTION_LABELS, RATING_QUESTIONS, Score


def _score_field(name: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        QUESTION_LABELS[name],
        choices=Score,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )


class Rating(models.Model):
    """One applicant's rating of one dossier: a few questions on a 1–5 scale, a comment.

    One per dossier (the one-to-one field is a unique constraint in the database).
    """

    dossier = models.OneToOneField(
        Dossier, on_delete=models.CASCADE, related_name="rating", verbose_name=_("dossier")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("rated by"),
    )
    created_at = models.DateTimeField(_("rated at"), auto_now_add=True)
    attitude = _score_field("attitude")
    timeliness = _score_field("timeliness")
    guidance = _score_field("guidance")
    overall = _score_field("overall")
    comment = models.TextField(_("comment"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    **{f"{name}__gte": 1 for name in RATING_QUESTIONS},
                    **{f"{name}__lte": 5 for name in RATING_QUESTIONS},
                ),
                name="rating_scores_1_to_5",
            )
        ]
        indexes = [models.Index(fields=["created_at"]), models.Index(fields=["overall"])]
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")

    def __str__(self) -> str:
        return f"{self.dossier} — {self.score:.1f}/5"

    @property
    def score(self) -> float:
        """The mean of the answers, 1–5."""
        return sum(getattr(self, name) for name in RATING_QUESTIONS) / len(RATING_QUESTIONS)

    @staticmethod
    def score_expression(prefix: str = "") -> models.Expression:
        """The same mean as `score`, in SQL, for aggregates (`prefix` e.g. "rating__")."""
        total = sum(
            (models.F(f"{prefix}{name}") for name in RATING_QUESTIONS[1:]),
            start=models.F(f"{prefix}{RATING_QUESTIONS[0]}"),
        )
        return Cast(total, models.FloatField()) / float(len(RATING_QUESTIONS))

    def answers(self) -> list[tuple[str, int, str]]:
        """(question, score, score label) in form order, for display."""
        result = []
        for name in RATING_QUESTIONS:
            value = getattr(self, name)
            result.append((str(QUESTION_LABELS[name]), value, str(Score(value).label)))
        return result
