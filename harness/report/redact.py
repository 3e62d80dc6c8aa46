"""Keep secrets out of written reports (:mod:`harness.secrets`'s policy): the secret values
of the environment, in every encoding, and whatever follows ``Bearer`` or ``X-ListenAPI-Key``."""

from __future__ import annotations

from harness.secrets import Redactor, secrets_from_env


def redactor() -> Redactor:
    """A function that masks, in a text, the environment's secret values (read now), bearer
    tokens and ``X-ListenAPI-Key`` values."""
    return Redactor(secrets_from_env(), credentials=True)
