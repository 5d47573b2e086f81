from django.apps import AppConfig


class DiagnosisConfig(AppConfig):
    name = "diagnosis"
    verbose_name = "Diagnosis"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from diagnosis.session import attach_guest_diagnoses_at_login

        user_logged_in.connect(
            attach_guest_diagnoses_at_login, dispatch_uid="diagnosis.attach_guest_diagnoses"
        )
