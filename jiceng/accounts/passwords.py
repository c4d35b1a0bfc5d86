from __future__ import annotations

import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    """MLPS level 3 asks for complex passwords: at least three of upper case, lower case,
    digits and symbols."""

    def validate(self, password: str, user=None) -> None:
        classes = [
            any(c in string.ascii_uppercase for c in password),
            any(c in string.ascii_lowercase for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                _(
                    "The password must mix at least three of: upper-case letters, lower-case letters, digits, symbols."
                ),
                code="password_classes",
            )

    def get_help_text(self) -> str:
        return _("Use at least three of: upper-case letters, lower-case letters, digits, symbols.")
