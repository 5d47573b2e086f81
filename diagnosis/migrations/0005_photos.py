"""A check holds up to three photos: each photo and its own result get a row of their own."""

import diagnosis.models
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('diagnosis', '0004_diagnosis_model_terms'),
    ]

    operations = [
        migrations.AddField(
            model_name='diagnosis',
            name='combined_from',
            field=models.CharField(blank=True, help_text='The photo (front, left, right) whose grade decided.', max_length=10),
        ),
        migrations.AddField(
            model_name='diagnosis',
            name='zones',
            field=models.JSONField(blank=True, default=list, help_text='Face zones over all graded photos, most affected first: {zone, label, severity, slot}.'),
        ),
        migrations.CreateModel(
            name='DiagnosisPhoto',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slot', models.CharField(choices=[('front', 'Front'), ('left', 'Left side'), ('right', 'Right side')], max_length=10)),
                ('selfie', models.ImageField(storage=diagnosis.models.private_storage, upload_to=diagnosis.models._selfie_path)),
                ('selfie_width', models.PositiveIntegerField(default=0)),
                ('selfie_height', models.PositiveIntegerField(default=0)),
                ('thumbnail', models.ImageField(blank=True, storage=diagnosis.models.private_storage, upload_to=diagnosis.models._thumbnail_path)),
                ('status', models.CharField(choices=[('pending', 'Waiting'), ('done', 'Graded'), ('failed', 'Not graded')], default='pending', max_length=10)),
                ('failure_code', models.CharField(blank=True, max_length=40)),
                ('failure_reason', models.TextField(blank=True, help_text='Shown to the shopper.')),
                ('grade', models.PositiveSmallIntegerField(blank=True, null=True)),
                ('label', models.CharField(blank=True, max_length=60)),
                ('score', models.FloatField(blank=True, help_text='Continuous severity.', null=True)),
                ('probabilities', models.JSONField(blank=True, default=list)),
                ('confidence', models.FloatField(blank=True, help_text='Calibrated probability of the grade.', null=True)),
                ('face_box', models.JSONField(blank=True, default=list, help_text='[x, y, w, h] in the selfie')),
                ('notes', models.JSONField(blank=True, default=list)),
                ('heatmap', models.ImageField(blank=True, storage=diagnosis.models.private_storage, upload_to=diagnosis.models._heatmap_path)),
                ('heatmap_coverage', models.FloatField(blank=True, null=True)),
                ('view', models.CharField(blank=True, help_text='How the photo was read: frontal, profile, close-up.', max_length=20)),
                ('zones', models.JSONField(blank=True, default=list, help_text='Face zones seen in this photo: {zone, label, share, severity, outline}.')),
                ('diagnosis', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='photos', to='diagnosis.diagnosis')),
            ],
            options={
                'ordering': ['diagnosis', 'slot'],
                'constraints': [models.UniqueConstraint(fields=('diagnosis', 'slot'), name='one_photo_per_slot')],
            },
        ),
    ]
