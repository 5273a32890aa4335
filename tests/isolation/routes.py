"""Every route of the root urlconf and every operation of the OpenAPI schema: the one URL walk
of the suite (the policy's declaration test and the isolation sweep both read it)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import ResolverMatch

from ctsportal.access import Access
from ctsportal.policy import access_of

# "<int:pk>" in a route, "(?P<pk>...)" in a regular expression.
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_GROUP = re.compile(r"\(\?P<(\w+)>[^()]*\)")
WRITE_METHODS = ("post", "put", "patch", "delete")


def url_walk() -> list[tuple[str, ResolverMatch]]:
    """Each URL pattern of the root urlconf as (its full pattern, a match of its view with
    the namespaces it is reached through)."""
    found: list[tuple[str, ResolverMatch]] = []

    def walk(patterns: list, prefix: str, namespaces: list[str]) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern), [*namespaces, p.namespace or ""])
            elif isinstance(p, URLPattern):
                spaces = [n for n in namespaces if n]
                match = ResolverMatch(p.callback, (), {}, p.name, namespaces=spaces)
                found.append((prefix + str(p.pattern), match))

    walk(get_resolver().url_patterns, "/", [])
    return found


@dataclass(frozen=True)
class Route:
    pattern: str
    match: ResolverMatch

    @property
    def name(self) -> str:
        """The namespaced URL name ("rentals:detail"), or the pattern for an unnamed one."""
        if self.match.url_name is None:
            return self.pattern
        return ":".join([*self.match.namespaces, self.match.url_name])

    @property
    def params(self) -> tuple[str, ...]:
        names = _GROUP.findall(self.pattern)
        return tuple(names + _CONVERTER.findall(_GROUP.sub("", self.pattern)))

    @property
    def access(self) -> Access:
        return access_of(self.match.func, self.match)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.match.namespaces

    @property
    def is_api(self) -> bool:
        return getattr(self.match.func, "cls", None) is not None

    @property
    def template(self) -> str:
        """The pattern with every parameter as "{}" (the schema's paths read the same)."""
        return self.path(dict.fromkeys(self.params, "{}"))

    def path(self, values: dict[str, object]) -> str:
        def fill(m: re.Match[str]) -> str:
            return str(values[m.group(1)])

        filled = _CONVERTER.sub(fill, _GROUP.sub(fill, self.pattern))
        return filled.replace("^", "").replace("$", "")

    def __str__(self) -> str:
        return self.pattern


@cache
def routes() -> tuple[Route, ...]:
    return tuple(Route(pattern, match) for pattern, match in url_walk())


@cache
def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


@cache
def api_operations() -> dict[str, tuple[str, ...]]:
    """The OpenAPI schema's operations, generated in-process: {"/api/v1/rentals/{}":
    ("get", ...)}; path parameters read "{}" as in ``Route.template``."""
    schema = _schema()
    return {
        re.sub(r"\{\w+\}", "{}", path): tuple(m for m in operations if m != "parameters")
        for path, operations in schema["paths"].items()
    }


def methods_of(route: Route, *, writes_only: bool = False) -> list[str]:
    """The methods the schema documents for an API route; a page's GET and POST."""
    found = list(api_operations().get(route.template, ())) if route.is_api else ["get", "post"]
    return [m for m in found if m != "get"] if writes_only else found


@cache
def api_bodies() -> dict[tuple[str, str], str]:
    """{(method, path template): request schema name} of every operation with a JSON body."""
    schema = _schema()
    found = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                found[(method, re.sub(r"\{\w+\}", "{}", path))] = body["schema"]["$ref"]
    return found
