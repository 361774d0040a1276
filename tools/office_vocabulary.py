"""Writes intake/formats/shared/office_names.py: the element and attribute names of each office XML namespace.

The names come from the published schemas, never typed by hand (except the two
markup-compatibility attributes noted below). Only the names are extracted;
no schema text is copied. Run it again when a schema version is added:

    python tools/office_vocabulary.py \
        --xsd SCHEMAS/ISO-IEC29500-4_2016/*.xsd SCHEMAS/ecma/fouth-edition/opc-*.xsd \
              SCHEMAS/mce/mc.xsd SCHEMAS/microsoft/*.xsd \
        --rng ODF/odf1.*/OpenDocument-*schema*.rng \
        --sdk SDK/data/schemas/*.json --sdk-namespaces SDK/data/namespaces.json \
        --source "ISO/IEC 29500-4:2016 Transitional XSDs (where from, which commit)" ... \
        > intake/formats/shared/office_names.py

(SCHEMAS: the `schemas/` folder of github.com/devoidfury/docx-validator; ODF: the
`validator/src/main/resources/schema/` folder of github.com/tdf/odftoolkit; SDK: a
checkout of github.com/dotnet/Open-XML-SDK. office_names.py's header has the full
--source lines used.)

--xsd  XML Schema files (ECMA-376 / ISO/IEC 29500-4 Transitional, the OPC and
       markup-compatibility schemas, Microsoft's published Word extension schemas);
--rng  RELAX NG files (the OASIS OpenDocument schemas);
--sdk  the schema data of Microsoft's Open XML SDK (one JSON file per namespace): the
       Microsoft extension namespaces no --xsd file defines, and the names of the
       first edition of ECMA-376 that Office still writes in the standard's namespaces.
--source LABEL  one line per source for the generated module's header (repeatable).

A namespace gets three sets: its elements, its qualified attributes (prefixed with
the namespace), and the unqualified attributes its elements may carry.
"""

from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

XSD = "{http://www.w3.org/2001/XMLSchema}"
RNG = "{http://relaxng.org/ns/structure/1.0}"
MCE = "http://schemas.openxmlformats.org/markup-compatibility/2006"
# ECMA-376 Part 3 (Markup Compatibility), section 7, names these attributes; its
# schema in --xsd is a minimal one without them.
MCE_ATTRIBUTES = ("PreserveElements", "PreserveAttributes")


@dataclass
class Names:
    elements: set[str] = field(default_factory=set)
    attributes: set[str] = field(default_factory=set)      # in the namespace (prefixed)
    unqualified: set[str] = field(default_factory=set)     # unprefixed, on this namespace's elements
    sources: set[str] = field(default_factory=set)
    # Whether a source defines the namespace (its target) rather than only naming a few of its
    # attributes: only defined namespaces are written out.
    defined: bool = False
    # The SDK data models an extension's attributes only on the extension's own elements (not
    # xr:uid on a row): its namespaces' prefixed attributes stay judged by the namespace alone.
    attributes_listed: bool = True


Table = defaultdict[str, Names]


# --- XML Schema ---------------------------------------------------------------

@dataclass
class _Schema:
    namespace: str
    prefixes: dict[str, str]
    elements_qualified: bool
    attributes_qualified: bool


# Named complex types and attribute groups by (namespace, name), with the schema that declares them.
Declarations = dict[tuple[str, str], tuple[ET.Element, _Schema]]


def _qname(value: str, schema: _Schema) -> tuple[str, str]:
    prefix, _, local = value.rpartition(":")
    return schema.prefixes.get(prefix, schema.namespace if not prefix else ""), local


def _read_xsd(path: Path) -> tuple[ET.Element, _Schema]:
    prefixes: dict[str, str] = {}
    for _, (prefix, uri) in ET.iterparse(path, events=("start-ns",)):
        prefixes.setdefault(prefix, uri)
    root = ET.parse(path).getroot()
    namespace = root.get("targetNamespace", "")
    return root, _Schema(namespace, prefixes, root.get("elementFormDefault") == "qualified",
                         root.get("attributeFormDefault") == "qualified")


def add_xsd(paths: list[Path], table: Table) -> None:
    """Elements and attributes declared in the schemas; the unqualified attributes an
    element may carry are found through its type (extensions and attribute groups too)."""
    types: Declarations = {}
    groups: Declarations = {}
    schemas: list[tuple[ET.Element, _Schema, str]] = []
    for path in paths:
        root, schema = _read_xsd(path)
        schemas.append((root, schema, path.name))
        for child in root:
            if child.tag == XSD + "complexType":
                types[schema.namespace, child.get("name", "")] = (child, schema)
            elif child.tag == XSD + "attributeGroup":
                groups[schema.namespace, child.get("name", "")] = (child, schema)
    for root, schema, name in schemas:
        table[schema.namespace].defined = True
        _walk_xsd(root, schema, name, table, types, groups)


def _walk_xsd(root: ET.Element, schema: _Schema, source: str, table: Table,
              types: Declarations, groups: Declarations) -> None:
    parents = {child: parent for parent in root.iter() for child in parent}
    for node in root.iter():
        name = node.get("name")
        if node.tag == XSD + "attribute" and name:
            glob = parents.get(node) is root
            if glob or node.get("form", "qualified" if schema.attributes_qualified else "") == "qualified":
                table[schema.namespace].attributes.add(name)
                table[schema.namespace].sources.add(source)
        elif node.tag == XSD + "element" and name:
            glob = parents.get(node) is root
            qualified = glob or node.get("form", "qualified" if schema.elements_qualified else "") == "qualified"
            namespace = schema.namespace if qualified else ""
            table[namespace].elements.add(name)
            table[namespace].sources.add(source)
            table[namespace].unqualified |= _element_attributes(node, schema, types, groups)


def _element_attributes(element: ET.Element, schema: _Schema, types: Declarations, groups: Declarations) -> set[str]:
    found: set[str] = set()
    seen: set[int] = set()
    pending: list[tuple[ET.Element, _Schema]] = [(element, schema)]
    if element.get("type"):
        found_type = types.get(_qname(element.get("type", ""), schema))
        if found_type:
            pending.append(found_type)
    while pending:
        node, owner = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for child in _own_declarations(node):
            if child.tag == XSD + "attribute" and child.get("name"):
                form = child.get("form", "qualified" if owner.attributes_qualified else "unqualified")
                if form == "unqualified":
                    found.add(child.get("name", ""))
            elif child.tag == XSD + "attributeGroup" and child.get("ref"):
                group = groups.get(_qname(child.get("ref", ""), owner))
                if group:
                    pending.append(group)
            elif child.tag in (XSD + "extension", XSD + "restriction") and child.get("base"):
                base = types.get(_qname(child.get("base", ""), owner))
                if base:
                    pending.append(base)
    return found


def _own_declarations(node: ET.Element) -> Iterator[ET.Element]:
    """The declarations under node, not descending into nested elements (their attributes are their own)."""
    for child in node:
        yield child
        if child.tag != XSD + "element":
            yield from _own_declarations(child)


# --- RELAX NG -----------------------------------------------------------------

# Foreign namespaces that the OpenDocument schema defines the use of completely (ODF
# allows only these xlink, XHTML (RDFa) and GRDDL attributes); MathML, XForms and
# Dublin Core it leaves to their own specifications.
ODF_DEFINED_FOREIGN = ("http://www.w3.org/1999/xlink", "http://www.w3.org/1999/xhtml",
                       "http://www.w3.org/2003/g/data-view#")


def add_rng(paths: list[Path], table: Table) -> None:
    """Every <element name> and <attribute name> (also as <name> inside them)."""
    for path in paths:
        prefixes: dict[str, str] = {}
        for _, (prefix, uri) in ET.iterparse(path, events=("start-ns",)):
            prefixes.setdefault(prefix, uri)
        for node in ET.parse(path).getroot().iter():
            if node.tag not in (RNG + "element", RNG + "attribute"):
                continue
            names = [node.get("name")] if node.get("name") else [
                (name.text or "").strip() for name in node.iter(RNG + "name")]
            for qualified in filter(None, names):
                prefix, _, local = qualified.rpartition(":")
                namespace = prefixes.get(prefix, "") if prefix else ""
                names_of = table[namespace]
                (names_of.elements if node.tag == RNG + "element" else names_of.attributes).add(local)
                names_of.sources.add(path.name)
                names_of.defined |= namespace.startswith("urn:oasis:names:tc:opendocument:") or (
                    namespace in ODF_DEFINED_FOREIGN)


# --- Open XML SDK schema data ----------------------------------------------------

def add_sdk(paths: list[Path], namespaces_file: Path, table: Table) -> None:
    """Elements (the name after the type: "a:CT_X/wps:cNvPr") and their attributes.

    For the namespaces an XSD defines, this adds the names Office still writes from
    ECMA-376's first edition (`w:uiCompat97To2003`, `mergeCell` on a cell alignment);
    the namespaces only the SDK defines are defined by it."""
    uris = {entry["Prefix"]: entry["Uri"] for entry in json.loads(namespaces_file.read_text())}
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        target = table[data.get("TargetNamespace", "")]
        if not target.defined:
            target.defined, target.attributes_listed = True, False
        for kind in data.get("Types", []):
            prefix, _, local = kind.get("Name", "").split("/", 1)[-1].rpartition(":")
            namespace = uris.get(prefix)
            if not local or namespace is None:
                continue
            names = table[namespace]
            names.elements.add(local)
            names.sources.add(path.name)
            for attribute in kind.get("Attributes", []):
                attribute_prefix, _, attribute_local = attribute.get("QName", "").rpartition(":")
                if not attribute_prefix:
                    names.unqualified.add(attribute_local)
                elif uris.get(attribute_prefix):
                    table[uris[attribute_prefix]].attributes.add(attribute_local)


# --- output ---------------------------------------------------------------------

def _set_text(names: set[str]) -> str:
    if not names:
        return "frozenset()"
    lines, line = [], "        "
    for name in sorted(names):
        item = repr(name) + ", "
        if len(line) + len(item) > 116:
            lines.append(line.rstrip())
            line = "        "
        line += item
    lines.append(line.rstrip())
    return "frozenset({\n" + "\n".join(lines) + "\n    })"


def render(table: Table, sources: list[str]) -> str:
    header = "\n".join(source if source.startswith(" ") else f"- {source}" for source in sources)
    out = [f'"""Element and attribute names of each office XML namespace, from the published schemas.\n\n'
           f"Generated by tools/office_vocabulary.py; do not edit. Sources:\n\n{header}\n\n"
           "Per namespace URI: ELEMENTS (local names), ATTRIBUTES (attributes in that namespace,\n"
           "prefixed; not for namespaces known from the SDK data only) and\n"
           "UNQUALIFIED_ATTRIBUTES (attributes without a namespace that its elements may carry).\n"
           'Only names; no schema text.\n"""\n',
           "from __future__ import annotations\n"]
    for title, pick, listed in (("ELEMENTS", lambda n: n.elements, lambda n: True),
                                ("ATTRIBUTES", lambda n: n.attributes, lambda n: n.attributes_listed),
                                ("UNQUALIFIED_ATTRIBUTES", lambda n: n.unqualified, lambda n: True)):
        out.append(f"{title}: dict[str, frozenset[str]] = {{")
        for namespace in sorted(uri for uri, names in table.items() if uri and names.defined and listed(names)):
            out.append(f"    {namespace!r}: {_set_text(pick(table[namespace]))},")
        out.append("}\n")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--xsd", nargs="*", type=Path, default=[])
    parser.add_argument("--rng", nargs="*", type=Path, default=[])
    parser.add_argument("--sdk", nargs="*", type=Path, default=[])
    parser.add_argument("--sdk-namespaces", type=Path)
    parser.add_argument("--source", action="append", default=[])
    args = parser.parse_args()
    table: Table = defaultdict(Names)
    add_xsd(args.xsd, table)
    table[MCE].attributes.update(MCE_ATTRIBUTES)
    add_rng(args.rng, table)
    if args.sdk:
        add_sdk(args.sdk, args.sdk_namespaces, table)
    sys.stdout.write(render(table, args.source))


if __name__ == "__main__":
    main()
