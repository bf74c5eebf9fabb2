"""django-allauth hooks: its emails go through our outbox (Celery, after commit, retried)."""

from django.utils import translation

from allauth.account.adapter import DefaultAccountAdapter

from . import services


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        msg = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(msg, "alternatives", []):
            if mimetype == "text/html":
                html = str(content)
        user = context.get("user")
        services.email_queue_message(
            to=email,
            subject=msg.subject,
            body_text=str(msg.body),
            body_html=html,
            user=user if getattr(user, "pk", None) else None,
        )

    def save_user(self, request, user, form, commit=True):
        user.language = translation.get_language() or "vi"
        return super().save_user(request, user, form, commit=commit)
