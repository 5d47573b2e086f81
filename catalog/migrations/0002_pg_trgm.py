"""The product search's trigram similarity needs PostgreSQL's pg_trgm (skipped on SQLite)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]

    operations = [TrigramExtension()]
