from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """The shop's user. A custom model from day one, so fields can be added without pain."""

    email = models.EmailField("e-mail address", unique=True)

    REQUIRED_FIELDS = ["email"]
