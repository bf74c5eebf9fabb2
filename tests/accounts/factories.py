import factory
from allauth.account.models import EmailAddress

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    """A citizen with a verified primary email address (can sign in)."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"citizen{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn Công {n}")
    phone = "0912345678"
    citizen_id = factory.Sequence(lambda n: f"{n:012d}")
    address = "1 Tràng Tiền, Hoàn Kiếm, Hà Nội"
    language = "en"
    password = factory.PostGenerationMethodCall("set_password", "Mat-khau-an-toan-2026")

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        self.save()
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class StaffFactory(UserFactory):
    is_staff = True
    email = factory.Sequence(lambda n: f"staff{n}@example.gov.vn")
