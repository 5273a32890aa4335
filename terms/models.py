"""The provider's terms: documents, their versions, the articles and annex of each version,
and the users' acceptances of them (Art. 1, 3, 15, 18).

A published version is the text customers accept and whose SHA-256 every acceptance and
notice records, so it never changes: ``save()`` and ``delete()`` refuse once it is published,
and so does every row of its structure (articles, paragraphs, items, annex)."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# The provider's time zone: a version binds from its effective date in Tokyo (Art. 15).
TOKYO = ZoneInfo("Asia/Tokyo")


def tokyo_today() -> date:
    return timezone.localdate(timezone=TOKYO)


class PublishedVersionImmutable(ValidationError):
    """Raised on any attempt to change or delete a published version or its text."""

    def __init__(self) -> None:
        super().__init__(
            _("A published terms version cannot be changed; import a new version instead."),
            code="published_immutable",
        )


class TermsDocument(models.Model):
    """One of the provider's documents. Art. 1 and 18 name three: these terms of use, the
    Rental Basic Terms (約款) and the Subscription Clauses (契約条項); on a conflict these
    terms prevail (Art. 18), so the lowest ``precedence`` wins."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    title_ja = models.CharField(_("title (Japanese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    requires_acceptance = models.BooleanField(
        _("requires acceptance"),
        default=True,
        help_text=_("Users must accept the version in force before using the portal."),
    )
    precedence = models.PositiveSmallIntegerField(
        _("precedence"),
        default=100,
        help_text=_("Art. 18: on a conflict, the document with the lower number prevails."),
    )

    class Meta:
        verbose_name = _("terms document")
        verbose_name_plural = _("terms documents")
        ordering = ["precedence", "slug"]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return self.title_en if (get_language() or "ja").startswith("en") else self.title_ja


def _refuse_if_published(version_id: int | None) -> None:
    if version_id is not None and (
        TermsVersion.objects.filter(pk=version_id, published=True).exists()
    ):
        raise PublishedVersionImmutable()


class TermsVersion(models.Model):
    """One version of a document, as imported from the provider's text. It binds from
    ``effective`` (a date in Asia/Tokyo) once published (Art. 15)."""

    document = models.ForeignKey(
        TermsDocument, on_delete=models.PROTECT, related_name="versions", verbose_name=_("document")
    )
    label = models.CharField(_("version label"), max_length=32, help_text=_("e.g. 2023-04-01"))
    title = models.CharField(_("title"), max_length=200)
    enacted = models.DateField(_("first enacted"), null=True, blank=True)
    effective = models.DateField(_("effective from"))
    preamble = models.TextField(_("preamble"), blank=True)
    normalized_text = models.TextField(_("normalized text"))
    sha256 = models.CharField(_("SHA-256 of the text"), max_length=64)
    change_summary = models.TextField(_("summary of changes"), blank=True)
    published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    created_at = models.DateTimeField(_("imported at"), default=timezone.now)

    class Meta:
        verbose_name = _("terms version")
        verbose_name_plural = _("terms versions")
        ordering = ["document__precedence", "-effective", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["document", "label"], name="terms_version_label"),
            models.CheckConstraint(
                condition=Q(published=False, published_at__isnull=True)
                | Q(published=True, published_at__isnull=False),
                name="terms_version_published_at",
            ),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="terms_version_sha256"
            ),
        ]
        indexes = [models.Index(fields=["document", "published", "-effective"])]

    def __str__(self) -> str:
        return f"{self.document.slug} {self.label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Publishing is the last change a version ever sees (the stored row is still a draft).
        _refuse_if_published(self.pk)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        _refuse_if_published(self.pk)
        return super().delete(*args, **kwargs)

    def is_in_force(self, on: Any = None) -> bool:
        return self.published and self.effective <= (on or tokyo_today())


class _VersionPart(models.Model):
    """Rows of a version's text; they change only while the version is a draft."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        _refuse_if_published(self.version_id_of())
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        _refuse_if_published(self.version_id_of())
        return super().delete(*args, **kwargs)

    def version_id_of(self) -> int | None:
        raise NotImplementedError


class Article(_VersionPart):
    """An article (条). ``body`` holds text not in numbered paragraphs (Art. 1, 3, 5)."""

    version = models.ForeignKey(TermsVersion, on_delete=models.CASCADE, related_name="articles")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"))

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="terms_article_number"),
        ]

    def __str__(self) -> str:
        return f"第{self.number}条（{self.title}）"

    def version_id_of(self) -> int | None:
        return self.version_id

    @property
    def anchor(self) -> str:
        return f"art-{self.number}"


class Paragraph(_VersionPart):
    """A paragraph (項). ``numbered`` is False for an unnumbered lead that the parser made
    paragraph 1 (Art. 2), so that "Art. 2(1)(3)" has one meaning."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="paragraphs")
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("text"), blank=True)
    numbered = models.BooleanField(_("numbered in the source"), default=True)

    class Meta:
        verbose_name = _("paragraph")
        verbose_name_plural = _("paragraphs")
        ordering = ["article", "number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="terms_paragraph_number"),
        ]

    def __str__(self) -> str:
        return f"{self.article} 第{self.number}項"

    def version_id_of(self) -> int | None:
        versions = Article.objects.filter(pk=self.article_id).values_list("version_id", flat=True)
        return versions.first()

    @property
    def anchor(self) -> str:
        return f"art-{self.article.number}-{self.number}"


class Item(_VersionPart):
    """A numbered item (号) of a paragraph."""

    paragraph = models.ForeignKey(Paragraph, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["paragraph", "number"]
        constraints = [
            models.UniqueConstraint(fields=["paragraph", "number"], name="terms_item_number"),
        ]

    def __str__(self) -> str:
        return f"{self.paragraph} 第{self.number}号"

    def version_id_of(self) -> int | None:
        return (
            Paragraph.objects.filter(pk=self.paragraph_id)
            .values_list("article__version_id", flat=True)
            .first()
        )


class Annex(_VersionPart):
    """The annex (別表) that Art. 3 refers to for the content of the service; it is part of
    the version and changes with it (Art. 15)."""

    version = models.OneToOneField(TermsVersion, on_delete=models.CASCADE, related_name="annex")
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    as_of = models.DateField(_("as of"), null=True, blank=True)

    class Meta:
        verbose_name = _("annex")
        verbose_name_plural = _("annexes")

    def __str__(self) -> str:
        return f"【{self.title}】"

    def version_id_of(self) -> int | None:
        return self.version_id


class AnnexEntry(_VersionPart):
    annex = models.ForeignKey(Annex, on_delete=models.CASCADE, related_name="entries")
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("annex entry")
        verbose_name_plural = _("annex entries")
        ordering = ["annex", "number"]
        constraints = [
            models.UniqueConstraint(fields=["annex", "number"], name="terms_annex_entry_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"

    def version_id_of(self) -> int | None:
        return Annex.objects.filter(pk=self.annex_id).values_list("version_id", flat=True).first()


class Acceptance(models.Model):
    """Evidence that a person accepted a version: when, from where, with what software, and
    the SHA-256 of the exact text accepted (Art. 4(1), 15). Written only by
    ``terms.services.acceptance_record``; never changed afterwards."""

    class Method(models.TextChoices):
        SIGNUP = "signup", _("At sign-up or first sign-in")
        APPLICATION = "application", _("With the application for registration")
        REACCEPTANCE = "reacceptance", _("Re-acceptance of a changed version")
        API = "api", _("Through the API")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="terms_acceptances",
        verbose_name=_("user"),
    )
    # The company the person acted for when accepting; an applicant has none yet.
    customer = models.ForeignKey(
        "accounts.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="terms_acceptances",
        verbose_name=_("customer"),
    )
    version = models.ForeignKey(
        TermsVersion,
        on_delete=models.PROTECT,
        related_name="acceptances",
        verbose_name=_("version"),
    )
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    sha256 = models.CharField(_("SHA-256 of the accepted text"), max_length=64)
    method = models.CharField(_("how"), max_length=16, choices=Method.choices)

    class Meta:
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")
        ordering = ["-accepted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="terms_acceptance_once"),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="terms_acceptance_sha256"
            ),
        ]
        indexes = [models.Index(fields=["customer", "-accepted_at"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.version}"
