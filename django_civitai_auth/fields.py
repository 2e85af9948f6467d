"""EncryptedTextField: a text column holding Fernet ciphertext, decrypted only when read.

Why our own field: the maintained third-party encrypted fields hand back the ciphertext when no
key matches, which code then treats as a token. Here a value no key decrypts raises
TokenDecryptionError at the attribute access, and values()/values_list() only ever see
ciphertext.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.query_utils import DeferredAttribute

from django_civitai_auth import crypto


class Ciphertext(str):
    """A value as stored in the database: encrypted, never a usable token."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Ciphertext(<encrypted>)"


class DecryptingAttribute(DeferredAttribute):
    """Model attribute that decrypts the stored ciphertext on each read."""

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        value = super().__get__(instance, cls)
        if instance is None:
            return value
        if isinstance(value, Ciphertext):
            return crypto.decrypt(value) if value else ""
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        # Defining __set__ makes this a data descriptor. Without it the value Django puts in
        # the instance's __dict__ would shadow __get__, and reads would return the ciphertext.
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A TextField whose value is encrypted with the configured MultiFernet keys."""

    descriptor_class = DecryptingAttribute

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        return None if value is None else Ciphertext(value)

    def get_prep_value(self, value: Any) -> Any:
        if value is None or isinstance(value, Ciphertext):
            return None if value is None else str(value)
        text = str(value)
        return crypto.encrypt(text) if text else ""

    def to_python(self, value: Any) -> Any:
        return value

    @staticmethod
    def raw_value(instance: models.Model, attname: str) -> Ciphertext | str | None:
        """The ciphertext as loaded from the database, without decrypting it."""
        value: Ciphertext | str | None = instance.__dict__.get(attname)
        return value
