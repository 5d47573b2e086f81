from django.apps import AppConfig


class LabellingConfig(AppConfig):
    name = "labelling"
    verbose_name = "Labelling"

    def ready(self) -> None:
        from diagnosis.signals import training_consent_withdrawn
        from labelling.services import forget_withdrawn

        training_consent_withdrawn.connect(forget_withdrawn, dispatch_uid="labelling.forget")
