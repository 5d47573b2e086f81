"""Celery tasks of the accounts app: account e-mails leave the request (its timing would tell
whether an address has an account, and a slow mail server would hold the page)."""

from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(
    name="accounts.tasks.send_email",
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_email(*, subject: str, body: str, to: list[str], html: str = "") -> None:
    message = EmailMultiAlternatives(subject, body, None, to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
