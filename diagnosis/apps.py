from django.apps import AppConfig


class DiagnosisConfig(AppConfig):
    name = "diagnosis"
    verbose_name = "Diagnosis"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete

        from diagnosis import checks  # noqa: F401  (registers the model-terms deploy check)
        from diagnosis.models import DiagnosisPhoto
        from diagnosis.services import delete_files_with
        from diagnosis.session import attach_guest_diagnoses_at_login

        post_delete.connect(
            delete_files_with, sender=DiagnosisPhoto, dispatch_uid="diagnosis.delete_files_with"
        )
        user_logged_in.connect(
            attach_guest_diagnoses_at_login, dispatch_uid="diagnosis.attach_guest_diagnoses"
        )
