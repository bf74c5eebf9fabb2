from datetime import date

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from .constants import QUESTION_LABELS, RATING_QUESTIONS, Score
from .statistics import MAX_MONTHS, Period, add_months, month_start


class RatingForm(forms.Form):
    """The satisfaction questions, one radio group (fieldset + legend) each, and a comment."""

    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Do not write personal data such as your ID number or phone number."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        questions = {
            name: forms.TypedChoiceField(
                label=QUESTION_LABELS[name],
                choices=Score.choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose an answer to this question.")},
            )
            for name in RATING_QUESTIONS
        }
        self.fields = {**questions, "comment": self.fields["comment"]}

    def questions(self):
        return [self[name] for name in RATING_QUESTIONS]

    def answers(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in RATING_QUESTIONS}


def _month_label(month: date) -> str:
    return formats.date_format(month, "YEAR_MONTH_FORMAT")


class StatisticsPeriodForm(forms.Form):
    """The period of the statistics page: whole months `from`–`to` (?from=YYYY-MM&to=YYYY-MM)."""

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        this_month = month_start(today)
        months = [add_months(this_month, -i) for i in range(MAX_MONTHS)]
        choices = [(f"{m:%Y-%m}", _month_label(m)) for m in months]
        default = Period.last_12_months(today)
        self.fields["from"] = forms.ChoiceField(
            label=_("From"), choices=choices, initial=f"{default.first:%Y-%m}"
        )
        self.fields["to"] = forms.ChoiceField(
            label=_("To"), choices=choices, initial=f"{default.last:%Y-%m}"
        )

    def clean(self):
        data = super().clean() or {}
        first, last = data.get("from"), data.get("to")
        if first and last and first > last:
            raise forms.ValidationError(_("The start month must not be after the end month."))
        return data

    def period(self) -> Period | None:
        """The chosen period, or None when the form is unbound or invalid."""
        if not self.is_bound or not self.is_valid():
            return None
        first = date.fromisoformat(self.cleaned_data["from"] + "-01")
        last = date.fromisoformat(self.cleaned_data["to"] + "-01")
        return Period(first, last)
