"""Sphinx configuration of the docs site: the Markdown pages (MyST) and the public modules' API (autodoc).

Built by ``python3 -m nox -s docs`` (``make docs``) with warnings as errors.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

from pygments.lexer import RegexLexer, bygroups
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Text, Whitespace
from sphinx.util import logging

logger = logging.getLogger(__name__)

project = "ppf: PySpark Pipeline Framework"
author = "ppf contributors"
copyright = "ppf contributors, Apache-2.0"

extensions = ["myst_parser", "sphinx.ext.autodoc", "sphinx.ext.napoleon"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "requirements.txt", "Thumbs.db", ".DS_Store"]

# Headings get anchors (`configuration.md#pipelinespark`) down to level 4, as GitHub gives them.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence", "deflist"]

# The API reference: the public modules' __all__ (docs/api.md says which modules are public);
# the build warns (so fails) when a public name is missing from reference.md.
PUBLIC_MODULES = [
    "pyspark_pipeline_framework.core",
    "pyspark_pipeline_framework.spark",
    "pyspark_pipeline_framework.testing",
    "pyspark_pipeline_framework.quality",
]
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_class_signature = "separated"
napoleon_google_docstring = True
napoleon_numpy_docstring = False

html_theme = "furo"
html_title = "ppf"
# No intersphinx: the build reaches no network.


class HoconLexer(RegexLexer):
    """HOCON (the pipeline files): comments, keys, strings, substitutions, numbers and durations."""

    name = "HOCON"
    aliases = ("hocon",)
    filenames = ("*.conf",)

    tokens: ClassVar[dict[str, list]] = {
        "root": [
            (r"\s+", Whitespace),
            (r"(#|//).*?$", Comment.Single),
            (r'"""', String, "triple"),
            (r'"(\\\\|\\"|[^"])*"', String.Double),
            (r"\$\{\??[^}]*\}", Name.Variable),
            (r"\b(true|false|null|include|required|file|url|classpath)\b", Keyword.Constant),
            (r"-?\d+(\.\d+)?([eE][+-]?\d+)?[a-zA-Z]*\b", Number),
            (r"([A-Za-z_][\w.\-]*)(\s*)(?=[=:{])", bygroups(Name.Attribute, Text)),
            (r"\+=|[=:]", Operator),
            (r"[{}\[\],]", Punctuation),
            (r"[^\s{}\[\],:=#\"$]+", Text),
            (r".", Text),
        ],
        "triple": [
            (r'"""', String, "#pop"),
            (r'[^"]+', String),
            (r'"', String),
        ],
    }


def _check_public_names_documented(app: Any, env: Any) -> None:
    documented = set(env.get_domain("py").objects)
    for module in PUBLIC_MODULES:
        for name in importlib.import_module(module).__all__:
            if f"{module}.{name}" not in documented:
                logger.warning("%s.%s is public (in __all__) but not in the API reference (reference.md)", module, name)


def setup(app: Any) -> None:
    app.add_lexer("hocon", HoconLexer)
    app.connect("env-check-consistency", _check_public_names_documented)
