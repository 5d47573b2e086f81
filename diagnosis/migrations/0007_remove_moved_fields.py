"""The per-photo fields now live on DiagnosisPhoto (copied there by 0006)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('diagnosis', '0006_copy_photos'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='diagnosis',
            name='face_box',
        ),
        migrations.RemoveField(
            model_name='diagnosis',
            name='heatmap',
        ),
        migrations.RemoveField(
            model_name='diagnosis',
            name='heatmap_coverage',
        ),
        migrations.RemoveField(
            model_name='diagnosis',
            name='notes',
        ),
        migrations.RemoveField(
            model_name='diagnosis',
            name='selfie',
        ),
        migrations.RemoveField(
            model_name='diagnosis',
            name='selfie_height',
        ),
        migrations.RemoveField(
            model_name='diagnosis',
            name='selfie_width',
        ),
        migrations.RemoveField(
            model_name='diagnosis',
            name='thumbnail',
        ),
        migrations.RemoveField(
            model_name='diagnosis',
            name='view',
        ),
    ]
