"""How a notice's content is made: its kind's templates (templates/emails/<kind>.<language>.*)
rendered once, when the notice is created, and stored; delivery sends the stored text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.template import Context
from django.template.base import (
    Node,
    TokenType,
    Variable,
    VariableNode,
    render_value_in_context,
)
from django.template.defaulttags import AutoEscapeControlNode, ForNode, IfNode, LoadNode, WithNode
from django.template.loader import get_template
from django.template.loader_tags import BlockNode, ExtendsNode, IncludeNode
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from accounts.clauses import Clause
from accounts.models import Customer
from notices.models import Notice, content_digest


def _full_context(
    notice: Notice, customer: Customer | None, context: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "customer": customer,
        "notice": notice,
        "site_url": settings.SITE_URL,
        # A notice without a customer (to staff, to a person without a company) has no page
        # in the portal to link to.
        "notice_url": _notice_url(notice) if customer is not None else "",
        "clause_label": Clause.label_for(notice.clause, notice.language),
        "language": notice.language,
        **(context or {}),
    }


def _notice_url(notice: Notice) -> str:
    return settings.SITE_URL + reverse("notices:detail", args=[notice.pk])


_URL_PK = 918273645


def notice_url_parts() -> tuple[str, str]:
    """A notice page's URL before and after the notice's id, in the active language: one
    ``reverse`` for many notices."""
    prefix, suffix = _notice_url(Notice(pk=_URL_PK)).split(str(_URL_PK))
    return prefix, suffix


def shared_context(
    *, clause: str, language: str, context: dict[str, Any], per_notice: frozenset[str]
) -> dict[str, Any]:
    """What every notice of one (kind, clause, language) renders with alike: the site, the
    clause, the language and the context values that are not per notice."""
    return {
        "site_url": settings.SITE_URL,
        "clause_label": Clause.label_for(clause, language),
        "language": language,
        **{key: value for key, value in context.items() if key not in per_notice},
    }


def kind_skeletons(
    kind: str, language: str, shared: dict[str, Any], per_notice: frozenset[str]
) -> tuple[tuple[Any, Any, Any], list[_Skeleton | None]]:
    """The kind's subject, text and HTML templates in ``language`` (call it with the
    language active) and each one's skeleton: rendered with ``shared``, a hole for each
    value in ``per_notice`` (None where a hole would sit inside a tag that changes it)."""
    templates = _templates(kind, language)
    skeletons = [
        _skeleton(template, shared, per_notice, autoescape=part == 2)
        for part, template in enumerate(templates)
    ]
    return templates, skeletons


def _templates(kind: str, language: str) -> tuple[Any, Any, Any]:
    """The kind's subject, text and HTML templates (Django's own Template objects: the
    backend wrappers always autoescape, and subject and text are plain text)."""
    base = f"emails/{kind}.{language}"
    subject, text, html = (
        get_template(f"{base}.{part}").template  # type: ignore[attr-defined]
        for part in ("subject.txt", "txt", "html")
    )
    return subject, text, html


def _subject_line(rendered: str) -> str:
    return " ".join(rendered.split())[:300]


def notice_render(
    *, notice: Notice, customer: Customer | None, context: dict[str, Any] | None
) -> tuple[str, str, str]:
    """Renders subject, text and HTML for the notice's kind and language. Subject and text
    are rendered without HTML escaping (they are plain text)."""
    full_context = _full_context(notice, customer, context)
    with translation.override(notice.language):
        subject_tpl, text_tpl, html_tpl = _templates(notice.kind, notice.language)
        subject = _subject_line(subject_tpl.render(Context(full_context, autoescape=False)))
        # The bodies may show the subject (the HTML <title> does).
        notice.mail_subject = subject
        text = text_tpl.render(Context(full_context, autoescape=False))
        html = html_tpl.render(Context(full_context, autoescape=True))
    return subject, text.strip() + "\n", html


def notice_fill(
    notice: Notice, *, customer: Customer | None, context: dict[str, Any] | None
) -> None:
    subject, text, html = notice_render(notice=notice, customer=customer, context=context)
    _store(notice, subject, text, html)


# The error of a notice that was due but had nobody to go to (it is kept, as failed).
NO_RECIPIENT = "No recipient address."


def _store(notice: Notice, subject: str, text: str, html: str) -> None:
    notice.mail_subject = subject
    notice.body_text = text
    notice.body_html = html
    notice.content_sha256 = content_digest(mail_subject=subject, body_text=text, body_html=html)
    if not notice.recipients:
        # Kept as evidence that a notice was due; staff see it among the failed ones.
        notice.state = Notice.State.FAILED
        notice.last_error = NO_RECIPIENT


# --- set-wise rendering ------------------------------------------------------------------------
# A job's notices of one kind say the same thing to every customer except for a few values
# (the company's name, the notice's own link, a date of its own). Rendering each notice's
# three templates in full costs milliseconds; rendering them once per batch with a hole where
# each recipient's value goes, and then filling only the holes per notice, costs microseconds.
# A "hole" is a template node whose own tag names a per-recipient variable; it is rendered per
# notice by Django itself, with the context it saw in the shared render, so the text is
# exactly what a full render gives. Anything that reads a per-recipient value outside a hole
# (a custom tag reading the context) is detected and that template is rendered in full.

# Variables that differ from notice to notice whatever the job's context.
ALWAYS_PER_NOTICE = frozenset({"customer", "notice", "notice_url"})
_HOLE = re.compile(r"\x00(\d+)\x00")
_NAME = re.compile(r"[A-Za-z_]\w*")


class _PerNoticeValueRead(Exception):
    """A tag read a per-notice variable during the shared render (not through a hole)."""


class _SharedContext(Context):
    """The context of the shared render: per-notice variables are not in it, and reading
    one raises instead of rendering an empty string."""

    per_notice: frozenset[str] = frozenset()

    def __getitem__(self, key: Any) -> Any:
        if key in self.per_notice:
            raise _PerNoticeValueRead(key)
        return super().__getitem__(key)

    def get(self, key: Any, otherwise: Any = None) -> Any:
        if key in self.per_notice:
            raise _PerNoticeValueRead(key)
        return super().get(key, otherwise)

    def __contains__(self, key: object) -> bool:
        if key in self.per_notice:
            raise _PerNoticeValueRead(key)
        return super().__contains__(key)  # type: ignore[operator]


@dataclass
class _Hole:
    node: Node
    base: dict[Any, Any]
    autoescape: bool
    use_l10n: bool | None
    use_tz: bool | None
    template: Any
    # For ``{{ a.b }}`` without filters: the lookups, read directly when they lead to a
    # string (the company's name, a link), which is the common case and the one Django's
    # generic path makes slow.
    lookups: tuple[str, ...] | None = None
    # For ``{{ a.b|filter:"x" }}`` whose filters do not depend on autoescaping: the expression,
    # under which its filtered value is kept for the notice's other templates.
    memo_key: str | None = None


@dataclass
class _Skeleton:
    """One template rendered once for a batch: its text split at the holes."""

    per_notice: frozenset[str]
    holes: list[_Hole] = field(default_factory=list)
    # The nodes being rendered around the current one.
    stack: list[Node] = field(default_factory=list)
    pieces: list[str | int] = field(default_factory=list)

    def is_hole(self, node: Node) -> bool:
        token = getattr(node, "token", None)
        if token is None or token.token_type not in (TokenType.VAR, TokenType.BLOCK):
            return False
        if isinstance(node, (BlockNode, ExtendsNode)):
            return False
        return not self.per_notice.isdisjoint(_NAME.findall(token.contents))

    def hole(self, node: Node, context: Context) -> str:
        contents = node.token.contents if node.token is not None else ""
        if " as " in f" {contents} ":
            # A tag that sets a variable for the nodes after it cannot be deferred.
            raise _PerNoticeValueRead(contents)
        lookups = memo_key = None
        if isinstance(node, VariableNode):
            expression = node.filter_expression
            var = expression.var
            simple = isinstance(var, Variable) and bool(var.lookups) and not var.translate
            if simple and not expression.filters and not var.message_context:
                lookups = tuple(var.lookups)
            elif simple and all(
                # Literal arguments only (a loop variable would differ from place to place).
                not getattr(func, "needs_autoescape", False)
                and not any(is_variable for is_variable, _arg in args)
                for func, args in expression.filters
            ):
                memo_key = expression.token
        self.holes.append(
            _Hole(
                node=node,
                base=context.flatten(),
                autoescape=context.autoescape,
                use_l10n=context.use_l10n,
                use_tz=context.use_tz,
                template=context.template,
                lookups=lookups,
                memo_key=memo_key,
            )
        )
        return f"\x00{len(self.holes) - 1}\x00"

    def split(self, rendered: str) -> bool:
        """Keeps the shared text; False if a hole's marker did not come through verbatim
        (a filter or tag around it changed it), in which case this template is rendered in
        full."""
        parts = _HOLE.split(rendered)
        indexes = [int(p) for p in parts[1::2]]
        if sorted(indexes) != list(range(len(self.holes))):
            return False
        self.pieces = [int(p) if i % 2 else p for i, p in enumerate(parts)]
        return True

    def fill(self, values: dict[str, Any], memo: dict[str, Any]) -> str:
        """The template's text for one notice. ``memo`` is shared by the notice's templates:
        an expression shown in the subject, the text and the HTML (a date) is resolved once."""
        out: list[str] = []
        contexts: dict[int, Context] = {}
        for piece in self.pieces:
            if isinstance(piece, str):
                out.append(piece)
                continue
            hole = self.holes[piece]
            if hole.lookups is not None and hole.lookups[0] in values:
                value: Any = values
                for bit in hole.lookups:
                    value = value[bit] if isinstance(value, dict) else getattr(value, bit, None)
                if type(value) is str:
                    out.append(escape(value) if hole.autoescape else value)
                    continue
            context = contexts.get(id(hole.base))
            if context is None:
                context = Context(
                    hole.base,
                    autoescape=hole.autoescape,
                    use_l10n=hole.use_l10n,
                    use_tz=hole.use_tz,
                )
                context.template = hole.template
                context.push(values)
                contexts[id(hole.base)] = context
            if hole.memo_key is None:
                out.append(str(_node_render(hole.node, context)))
                continue
            # What VariableNode.render does, with the filters' result kept for the other
            # templates of this notice.
            if hole.memo_key not in memo:
                memo[hole.memo_key] = hole.node.filter_expression.resolve(context)  # type: ignore[attr-defined]
            out.append(str(render_value_in_context(memo[hole.memo_key], context)))
        return "".join(out)


# Tags whose output is their children's output unchanged: a hole may sit inside them.
_VERBATIM = (
    BlockNode,
    ExtendsNode,
    IncludeNode,
    IfNode,
    ForNode,
    WithNode,
    AutoEscapeControlNode,
    LoadNode,
)
_building: ContextVar[_Skeleton | None] = ContextVar("notices_skeleton", default=None)
_node_render = Node.render_annotated


def _render_annotated(self: Node, context: Context) -> str:
    skeleton = _building.get()
    if skeleton is None or not isinstance(context, _SharedContext):
        return cast(str, _node_render(self, context))
    if skeleton.is_hole(self):
        if not all(isinstance(outer, _VERBATIM) for outer in skeleton.stack):
            # Inside {% filter %}, {% spaceless %}...: the hole's text would be changed by
            # the tag around it, which a hole filled afterwards would escape.
            raise _PerNoticeValueRead(type(skeleton.stack[-1]).__name__)
        return skeleton.hole(self, context)
    skeleton.stack.append(self)
    try:
        return cast(str, _node_render(self, context))
    finally:
        skeleton.stack.pop()


# Installed once: outside a shared render (the context variable unset) it is Django's own.
Node.render_annotated = _render_annotated  # type: ignore[method-assign]


def _skeleton(
    template: Any, shared: dict[str, Any], per_notice: frozenset[str], *, autoescape: bool
) -> _Skeleton | None:
    skeleton = _Skeleton(per_notice=per_notice)
    context = _SharedContext(shared, autoescape=autoescape)
    context.per_notice = per_notice
    token = _building.set(skeleton)
    try:
        rendered = template.render(context)
    except _PerNoticeValueRead:
        return None
    finally:
        _building.reset(token)
    return skeleton if skeleton.split(rendered) else None


def _same(a: Any, b: Any) -> bool:
    try:
        return a is b or bool(a == b)
    except Exception:
        return False


def notices_fill_many(
    rows: Sequence[tuple[Notice, Customer | None, dict[str, Any] | None]],
) -> None:
    """``notice_fill`` for many notices at once, each getting exactly the text
    ``notice_fill`` would give it: the templates of each (kind, clause, language) are
    rendered once, with holes for what differs from notice to notice, and only the holes
    are rendered per notice. A context value is per-notice unless every notice of the group
    has the same one."""
    groups: dict[tuple[str, str, str], list[tuple[Notice, Customer | None, dict[str, Any]]]] = {}
    for notice, customer, context in rows:
        key = (notice.kind, notice.clause, notice.language)
        groups.setdefault(key, []).append((notice, customer, context or {}))
    for (kind, clause, language), group in groups.items():
        first = group[0][2]
        keys = set().union(*(ctx.keys() for _n, _c, ctx in group))
        per_notice = ALWAYS_PER_NOTICE | {
            key
            for key in keys
            if any(key not in ctx or not _same(ctx[key], first.get(key)) for _n, _c, ctx in group)
        }
        shared = shared_context(
            clause=clause, language=language, context=first, per_notice=per_notice
        )
        with translation.override(language):
            prefix, suffix = notice_url_parts()
            templates, skeletons = kind_skeletons(kind, language, shared, per_notice)
            for notice, customer, context in group:
                values = {
                    "customer": customer,
                    "notice": notice,
                    "notice_url": f"{prefix}{notice.pk}{suffix}" if customer is not None else "",
                    **{key: context[key] for key in context if key in per_notice},
                }
                rendered = []
                memo: dict[str, Any] = {}
                for part, (tpl, skeleton) in enumerate(zip(templates, skeletons, strict=True)):
                    if skeleton is not None:
                        output = skeleton.fill(values, memo)
                    else:
                        full = _full_context(notice, customer, context)
                        output = tpl.render(Context(full, autoescape=part == 2))
                    if part == 0:
                        output = _subject_line(output)
                        # The bodies may show the subject (the HTML <title> does).
                        notice.mail_subject = output
                    rendered.append(output)
                subject, text, html = rendered
                _store(notice, subject, text.strip() + "\n", html)
