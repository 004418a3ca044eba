"""RFC 6570 URI templates, the direction a server needs: match a concrete URI and extract the variables.

Supported expressions (levels 1 to 3, plus the explode modifier on path-like operators):

=========  ==========================  ==========================================
form       example template            matches
=========  ==========================  ==========================================
``{x}``    ``file:///{name}``          one segment (no ``/ ? #``), percent-decoded
``{+x}``   ``file:///{+path}``         anything, slashes and ``..`` included
``{#x}``   ``doc://a{#section}``       ``#`` then anything
``{/x}``   ``api://v1{/id}``           ``/`` then one segment
``{.x}``   ``file://a{.ext}``          ``.`` then one label
``{?x,y}`` ``search://q{?term,page}``  an optional query; named values, any order
``{&x}``   ``search://q?a=1{&page}``   more query values
=========  ==========================  ==========================================

Several variables in one expression (``{x,y}``) are separated by commas.

A one-segment value (``{x}``, ``{/x}``, ``{.x}``) stays one segment after decoding: a URI whose value would
decode to something containing ``/`` or ``\\`` (``%2F``, ``%5C``), or to ``.`` or ``..``, does not match, so a
handler that joins the value to a folder cannot be led out of it. ``{+x}`` and ``{#x}`` may hold any of these:
a handler of those must confine paths itself (``resolve()`` and ``is_relative_to``).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, unquote

__all__ = ["UriTemplate"]

_EXPRESSION = re.compile(r"\{([+#./?&]?)([^{}]+)\}")
# Operators whose values are one segment: the decoded value must be one too (no traversal).
_SEGMENT_OPERATORS = frozenset(("", "/", "."))
_VARNAME = re.compile(r"^[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*$")


class UriTemplate:
    """A compiled URI template.

    Raises:
        ValueError: the template is malformed (unbalanced braces, bad variable names, repeated names).
    """

    __slots__ = ("_query_vars", "_regex", "_segments", "template", "variables")

    def __init__(self, template: str) -> None:
        self.template = template
        self.variables: list[str] = []
        self._query_vars: list[str] = []
        self._segments: set[str] = set()  # variables whose decoded value must stay one segment
        pattern = ["^"]
        pos = 0
        for match in _EXPRESSION.finditer(template):
            literal = template[pos : match.start()]
            if "{" in literal or "}" in literal:
                raise ValueError(f"malformed URI template {template!r}")
            pattern.append(re.escape(literal))
            operator, spec = match.group(1), match.group(2)
            names = [n.strip().rstrip("*") for n in spec.split(",")]
            for name in names:
                if ":" in name:
                    name = name.split(":", 1)[0]
                if not _VARNAME.match(name):
                    raise ValueError(f"bad variable name {name!r} in URI template {template!r}")
                if name in self.variables:
                    raise ValueError(f"variable {name!r} appears twice in URI template {template!r}")
                self.variables.append(name)
            names = [n.split(":", 1)[0] for n in names]
            if operator in _SEGMENT_OPERATORS:
                self._segments.update(names)
            pattern.append(self._expression(operator, names))
            pos = match.end()
        tail = template[pos:]
        if "{" in tail or "}" in tail:
            raise ValueError(f"malformed URI template {template!r}")
        pattern.append(re.escape(tail))
        pattern.append("$")
        self._regex = re.compile("".join(pattern), re.DOTALL)

    def _group(self, name: str) -> str:
        return "v" + str(self.variables.index(name))

    def _expression(self, operator: str, names: list[str]) -> str:
        if operator in ("?", "&"):
            self._query_vars.extend(names)
            lead = re.escape(operator)
            # Query values are parsed after matching: capture the whole (optional) query part.
            return f"(?:{lead}(?P<q{len(self._query_vars)}>[^#]*))?"
        segment = {
            "": r"[^/?#,]*",
            "+": r".*?",
            "#": r".*?",
            "/": r"[^/?#]*",
            ".": r"[^/?#.]*",
        }[operator]
        prefix = {"": "", "+": "", "#": "#", "/": "/", ".": r"\."}[operator]
        separator = {"": ",", "+": ",", "#": ",", "/": "/", ".": r"\."}[operator]
        groups = separator.join(f"(?P<{self._group(n)}>{segment})" for n in names)
        return f"{prefix}{groups}"

    @property
    def is_template(self) -> bool:
        return bool(self.variables)

    def match(self, uri: str) -> dict[str, str] | None:
        """The variables of ``uri`` (percent-decoded) if it matches the template, else None.

        Query variables that are absent from the URI are absent from the result. A one-segment variable whose
        decoded value contains ``/`` or ``\\`` or is ``.`` or ``..`` makes the URI not match.
        """
        found = self._regex.match(uri)
        if found is None:
            return None
        values: dict[str, str] = {}
        for name in self.variables:
            if name in self._query_vars:
                continue
            value = found.group(self._group(name))
            if value is None:
                continue
            decoded = unquote(value)
            if name in self._segments and ("/" in decoded or "\\" in decoded or decoded in (".", "..")):
                return None  # would step out of its segment (path traversal once joined to a folder)
            values[name] = decoded
        if self._query_vars:
            wanted = set(self._query_vars)
            for key, raw in found.groupdict().items():
                if not key.startswith("q") or raw is None:
                    continue
                for name, value in parse_qsl(raw, keep_blank_values=True):
                    if name in wanted:
                        values[name] = value
                    else:
                        return None  # a query parameter the template does not name
        return values
