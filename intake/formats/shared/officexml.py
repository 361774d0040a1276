"""The allow-list of office XML (OOXML, ODF), and the independent check of a clean copy.

Cleaning an office part is an allow-list: an element or attribute in a
namespace the format module does not list, or with a name that namespace's
published schema does not declare (office_names.py), is removed, never passed
through, whatever it holds. `Vocabulary` is what a module lists: the
namespaces it knows, their names, the elements and attributes that must never remain (tracked changes,
comments, session ids, authors...), and where the document's own text is.

`leftovers` walks the parts of a clean package on its own, without looking at
what cleaning or `inspect` reported, and names everything that must not be
there: markup outside the vocabulary, a forbidden element or attribute, or an
attribute value or non-text element that holds a user-folder path, a file URL,
a network path or an e-mail address. The format modules refuse a copy with any
leftover. The document's text (and the few attributes that are text, such as a
field's code or a link's tooltip) is content and is not judged: a letter may
give its author's address.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

from intake.formats.shared import office_names

XML_NS = "http://www.w3.org/XML/1998/namespace"


@functools.lru_cache(maxsize=4096)  # a document repeats a few hundred names millions of times
def split_name(qualified: str) -> tuple[str, str]:
    """(namespace URI or "", local name) of an ElementTree name."""
    if qualified.startswith("{"):
        uri, local = qualified[1:].split("}", 1)
        return uri, local
    return "", qualified


@dataclass(frozen=True)
class Vocabulary:
    namespaces: frozenset[str]
    # Elements (Clark names) that must never remain.
    forbidden_elements: frozenset[str]
    # Attributes that must never remain: local names in any namespace, and Clark names.
    forbidden_attribute_names: frozenset[str]
    forbidden_attributes: frozenset[str]
    # Elements whose text is the document's own: by local name, or by namespace (ODF mixed content).
    text_elements: frozenset[str]
    # Attributes that are document text (a field's code, a link's tooltip); by local name.
    text_attributes: frozenset[str]
    # Attributes that name a font, a standard vocabulary rather than the user's values:
    # (element, attribute) in Clark names, "*" for any element.
    font_attributes: frozenset[tuple[str, str]]
    # Namespaces whose elements take only namespaced attributes (WordprocessingML, ODF).
    qualified_only: frozenset[str] = frozenset()
    # Elements without a namespace that may stand as the root of a part (Excel's VML `<xml>`).
    bare_roots: frozenset[str] = frozenset()
    # Namespaces whose elements hold mixed text (ODF paragraphs); elsewhere only a leaf holds text.
    text_namespaces: frozenset[str] = frozenset()
    # (element namespace, attribute namespace): an element namespace named here takes attributes
    # from the namespaces paired with it only (a Word paragraph has no VML attribute).
    attribute_namespaces: frozenset[tuple[str, str]] = frozenset()
    # Local names of forbidden elements, forbidden in every namespace: a tracked change renamed into
    # another known namespace is still a tracked change.
    forbidden_element_names: frozenset[str] = frozenset()
    # The names of each namespace from its published schema (office_names.py): in a namespace
    # listed there, an element or attribute whose local name is not listed is outside the
    # vocabulary. Namespaces not listed there are judged by the namespace alone.
    element_names: Mapping[str, frozenset[str]] = field(default_factory=lambda: office_names.ELEMENTS)
    attribute_names: Mapping[str, frozenset[str]] = field(default_factory=lambda: office_names.ATTRIBUTES)
    unqualified_attribute_names: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: office_names.UNQUALIFIED_ATTRIBUTES)

    def forbidden_element(self, tag: str) -> bool:
        return tag in self.forbidden_elements or split_name(tag)[1] in self.forbidden_element_names

    def document_text(self, tag: str) -> bool:
        uri, local = split_name(tag)
        return local in self.text_elements or uri in self.text_namespaces

    def known_element(self, element: Element, root: bool = False) -> bool:
        uri, local = split_name(element.tag)
        if not uri:
            return root and local in self.bare_roots
        return uri in self.namespaces and _named(self.element_names, uri, local)

    # Attribute kinds already worked out, by (element namespace for an unqualified key, key).
    _kinds: dict[tuple[str, str], str] = field(default_factory=dict, init=False, compare=False, repr=False)

    def attribute_kind(self, element_tag: str, key: str) -> str:
        """UNKNOWN (outside the vocabulary), FORBIDDEN, TEXT (the document's text) or VALUE."""
        memo_key = (split_name(element_tag)[0], key)
        kind = self._kinds.get(memo_key)
        if kind is None:
            if len(self._kinds) > _MAX_KINDS:
                self._kinds.clear()
            kind = self._kinds[memo_key] = self._attribute_kind(*memo_key)
        return kind

    def _attribute_kind(self, element_namespace: str, key: str) -> str:
        uri, local = split_name(key)
        if not uri:
            known = (element_namespace not in self.qualified_only
                     and _named(self.unqualified_attribute_names, element_namespace, local))
        else:
            known = uri == XML_NS or (uri in self.namespaces and _named(self.attribute_names, uri, local))
        if not known or (uri and not self._pairs_with(element_namespace, uri)):
            return UNKNOWN
        if key in self.forbidden_attributes or local in self.forbidden_attribute_names or local.startswith("rsid"):
            return FORBIDDEN
        return TEXT if local in self.text_attributes else VALUE


    def _pairs_with(self, element_namespace: str, attribute_namespace: str) -> bool:
        restricted = any(pair[0] == element_namespace for pair in self.attribute_namespaces)
        return (not restricted or attribute_namespace == XML_NS
                or (element_namespace, attribute_namespace) in self.attribute_namespaces)


def _named(names: Mapping[str, frozenset[str]], namespace: str, local: str) -> bool:
    """Whether the schema of `namespace` has the name; True for a namespace without a published list."""
    listed = names.get(namespace)
    return listed is None or local in listed


UNKNOWN, FORBIDDEN, TEXT, VALUE = "unknown", "forbidden", "text", "value"
# A hostile part can invent any number of names: the memo is bounded.
_MAX_KINDS = 65536


# --- values that identify someone wherever they are -------------------------

_USER_FOLDER = re.compile(r"(?i)(^|[\s\"'(=:/\\])(/home/|/Users/|/root/|[a-z]:[\\/](Users|Documents and Settings|home)"
                          r"[\\/]|~[\\/]|%USERPROFILE%|\$HOME)")
_FILE_URL = re.compile(r"(?i)\bfile:")
_NETWORK_PATH = re.compile(r"(^|[\s\"'(=])\\\\[\w.$-]+\\")
# Any drive path, and the folders where removable and network volumes appear (named by their owner).
_LOCAL_PATH = re.compile(r"(?i)(^|[\s\"'(=])([a-z]:[\\/][^\\/\s]|/(Volumes|media|mnt|run/media|private|tmp)/)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)*\.[A-Za-z]{2,}")
_MAILTO = re.compile(r"(?i)^\s*mailto:")
# Every shape above needs one of these: most values (numbers, ids, names) are passed at once.
_MAYBE_SHAPED = re.compile(r"[/\\@~%$]|(?i:file:)")


def identifying_shape(value: str) -> str | None:
    """What kind of identifying value `value` holds, if any: a path, or an e-mail
    address outside a mailto: link (a link's target is what the reader clicks)."""
    if not _MAYBE_SHAPED.search(value):
        return None
    if _USER_FOLDER.search(value):
        return "a user folder path"
    if _FILE_URL.search(value) or _NETWORK_PATH.search(value) or _LOCAL_PATH.search(value):
        return "a file or network path"
    if not _MAILTO.match(value) and _EMAIL.search(value):
        return "an e-mail address"
    return None


# --- the independent check ----------------------------------------------------

@dataclass(frozen=True)
class Leftover:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def leftovers(where: str, root: Element, vocabulary: Vocabulary, declared: Iterable[str] = ()) -> list[Leftover]:
    """Everything in one clean part that must not be there (see the module's docstring).

    `declared`: the namespace URIs the part declares; a URI is free text, so an
    unknown one is a leftover even when no element uses it."""
    found = [Leftover(where, f"declaration of the namespace {uri!r} outside the known vocabulary")
             for uri in declared if uri not in vocabulary.namespaces and uri != XML_NS]
    _check(root, vocabulary, where, found, is_root=True)
    return found


def _check(element: Element, vocabulary: Vocabulary, where: str, found: list[Leftover], is_root: bool) -> None:
    tag = element.tag
    if vocabulary.forbidden_element(tag):
        found.append(Leftover(where, f"element {tag} that cleaning removes"))
        return
    if not vocabulary.known_element(element, root=is_root):
        found.append(Leftover(where, f"element {tag} outside the known vocabulary"))
        return
    for key, value in element.items():
        kind = vocabulary.attribute_kind(tag, key)
        if kind == UNKNOWN:
            found.append(Leftover(where, f"attribute {key} outside the known vocabulary"))
        elif kind == FORBIDDEN:
            found.append(Leftover(where, f"attribute {key} that cleaning removes"))
        elif kind == VALUE and (shape := identifying_shape(value)) is not None:
            found.append(Leftover(where, f"{shape} in attribute {key}"))
    if any(True for _ in stray_texts(element, vocabulary)):
        found.append(Leftover(where, f"text between the elements of {tag}, where no reader looks"))
    # The document's own text is content: a letter may give its author's address.
    elif element.text and not len(element) and not vocabulary.document_text(tag):
        if (shape := identifying_shape(element.text)) is not None:
            found.append(Leftover(where, f"{shape} in the text of {tag}"))
    for child in element:
        _check(child, vocabulary, where, found, is_root=False)


def stray_texts(element: Element, vocabulary: Vocabulary) -> Iterator[tuple[Element | None, str]]:
    """Text between an element's children (its text before them, their tails), where the format
    has none: no OOXML element mixes text and elements, and in ODF only the text vocabularies do.
    Yields (the child whose tail it is, or None for the element's own text; the text)."""
    if not len(element) or split_name(element.tag)[0] in vocabulary.text_namespaces:
        return
    if element.text and element.text.strip():
        yield None, element.text
    for child in element:
        if child.tail and child.tail.strip():
            yield child, child.tail


def remove_stray_text(root: Element, vocabulary: Vocabulary) -> list[str]:
    """Remove every stray text (see stray_texts) under root; what was removed, for the findings."""
    removed: list[str] = []
    for element in root.iter():
        for child, text in list(stray_texts(element, vocabulary)):
            removed.append(text)
            if child is None:
                element.text = None
            else:
                child.tail = None
    return removed


def without_fonts(root: Element, vocabulary: Vocabulary) -> None:
    """Remove font names, for the scan of removed values: see `residue` in ooxml.py and odf.py."""
    fonts = vocabulary.font_attributes
    for element in root.iter():
        for key in [key for key in element.keys() if ("*", key) in fonts or (element.tag, key) in fonts]:
            del element.attrib[key]
