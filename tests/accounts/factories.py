import factory
from django.contrib.auth import get_user_model
from factory.django import DjangoModelFactory, Password

PASSWORD = "correct-horse-battery-9"


class UserFactory(DjangoModelFactory):
    """A shopper; log in with ``PASSWORD``."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"shopper{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    first_name = "Sam"
    password = Password(PASSWORD)
