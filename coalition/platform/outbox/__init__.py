"""E-mail outbox: mails written with the change that needs them, sent by the worker over SMTP."""
