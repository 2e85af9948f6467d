"""Encryption keys for tokens at rest: a MultiFernet built from CIVITAI_AUTH_ENCRYPTION_KEYS.

Keys are listed newest first: the first encrypts, every one decrypts, so an old key can stay
listed while ``manage.py civitai_rotate_keys`` re-encrypts the rows with the newest one.
"""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from django_civitai_auth.conf import civitai_settings
from django_civitai_auth.exceptions import TokenDecryptionError


def derive_key_from_secret_key(secret_key: str) -> str:
    """A Fernet key derived from SECRET_KEY: convenient in development, warned about in production.

    Rotating SECRET_KEY then makes every stored token unreadable, which is why production sites
    set CIVITAI_AUTH_ENCRYPTION_KEYS (check django_civitai_auth.W003).
    """
    digest = hashlib.sha256(b"django-civitai-auth:token-encryption:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def configured_keys() -> tuple[str, ...]:
    keys = civitai_settings.encryption_keys
    if keys is None:
        return (derive_key_from_secret_key(str(settings.SECRET_KEY)),)
    return tuple(keys)


@functools.lru_cache(maxsize=8)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ValueError("CIVITAI_AUTH_ENCRYPTION_KEYS is empty; list at least one Fernet key.")
    return MultiFernet([Fernet(key) for key in keys])


def multifernet() -> MultiFernet:
    """The MultiFernet for the keys configured now (cached per key list)."""
    return _multifernet(configured_keys())


def encrypt(plaintext: str) -> str:
    return multifernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return multifernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise TokenDecryptionError(
            "A stored Civitai token cannot be decrypted with any key in "
            "CIVITAI_AUTH_ENCRYPTION_KEYS. Add the key it was written with (after the newest), "
            "then run 'manage.py civitai_rotate_keys'."
        ) from None


def reencrypt(ciphertext: str) -> str:
    """The same plaintext encrypted under the newest key; raises if no key decrypts it."""
    try:
        return multifernet().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise TokenDecryptionError(
            "A stored Civitai token cannot be decrypted with any configured key, so it cannot "
            "be re-encrypted. Add its old key to CIVITAI_AUTH_ENCRYPTION_KEYS and run again."
        ) from None
