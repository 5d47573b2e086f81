"""Unsubscribe tokens kept only as a hash, with an expiry. The links of e-mails already sent
keep working until they expire (their tokens are hashed here); a reminder not yet sent gets
its token when it is."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations, models


def hash_sent_tokens(apps, schema_editor):
    CheckReminder = apps.get_model("reminders", "CheckReminder")
    days = timedelta(days=getattr(settings, "REMINDERS_UNSUBSCRIBE_DAYS", 60))
    for reminder in CheckReminder.objects.filter(sent_at__isnull=False).iterator():
        reminder.token_hash = hashlib.sha256(reminder.token.encode()).hexdigest()
        reminder.token_expires_at = reminder.sent_at + days
        reminder.save(update_fields=["token_hash", "token_expires_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="checkreminder",
            name="token_expires_at",
            field=models.DateTimeField(
                blank=True,
                editable=False,
                help_text="When the e-mail's unsubscribe link ends.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="checkreminder",
            name="token_hash",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.RunPython(hash_sent_tokens, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="checkreminder",
            name="token",
        ),
        migrations.AddConstraint(
            model_name="checkreminder",
            constraint=models.UniqueConstraint(
                condition=models.Q(("token_hash", ""), _negated=True),
                fields=("token_hash",),
                name="reminders_unique_token_hash",
            ),
        ),
    ]
