"""The person who signs in: one login per person (Art. 6(1)), identified by e-mail."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One login per person (Art. 6(1): IDs are never lent or shared). The e-mail is the ID."""

    email = models.EmailField(_("e-mail address"), unique=True)
    # 氏名 and フリガナ as Japanese forms ask for them; ``full_name`` is derived from them
    # (family name first) and kept for people who signed up before they existed.
    family_name = models.CharField(_("family name"), max_length=60, blank=True)
    given_name = models.CharField(_("given name"), max_length=60, blank=True)
    family_name_kana = models.CharField(_("family name (katakana)"), max_length=60, blank=True)
    given_name_kana = models.CharField(_("given name (katakana)"), max_length=60, blank=True)
    full_name = models.CharField(pgettext_lazy("person", "name"), max_length=150, blank=True)
    is_staff = models.BooleanField(
        _("provider staff"), default=False, help_text=_("Can use the staff admin.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.family_name or self.given_name:
            self.full_name = self.derived_full_name()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "full_name" not in update_fields:
                kwargs["update_fields"] = [*update_fields, "full_name"]
        super().save(*args, **kwargs)

    def derived_full_name(self) -> str:
        # 氏名 is written family name first, with a space between the two.
        return " ".join(part for part in (self.family_name, self.given_name) if part)

    def get_full_name(self) -> str:
        """Never blank: the e-mail address stands in for a person who gave no name."""
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.family_name or self.full_name or self.email
