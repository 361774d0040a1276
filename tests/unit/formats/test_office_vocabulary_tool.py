"""tools/office_vocabulary.py extracts only the names from schema files (XSD, RELAX NG, Open XML SDK data)."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

TOOL = Path(__file__).resolve().parents[3] / "tools" / "office_vocabulary.py"
NS = "urn:example:drawing"
EXT = "urn:example:extension"

XSD = f"""<?xml version="1.0"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="{NS}" targetNamespace="{NS}"
    elementFormDefault="qualified" attributeFormDefault="unqualified">
  <xsd:attributeGroup name="AG_Locking"><xsd:attribute name="noGrp" type="xsd:boolean"/></xsd:attributeGroup>
  <xsd:complexType name="CT_Base"><xsd:attribute name="id" type="xsd:int"/></xsd:complexType>
  <xsd:complexType name="CT_Shape">
    <xsd:complexContent><xsd:extension base="CT_Base">
      <xsd:sequence><xsd:element name="child" type="CT_Child"/></xsd:sequence>
      <xsd:attributeGroup ref="AG_Locking"/>
      <xsd:attribute name="descr" type="xsd:string"/>
    </xsd:extension></xsd:complexContent>
  </xsd:complexType>
  <xsd:complexType name="CT_Child"><xsd:attribute name="childOnly" type="xsd:string"/></xsd:complexType>
  <xsd:element name="shape" type="CT_Shape"/>
  <xsd:attribute name="global" type="xsd:string"/>
</xsd:schema>
"""
RNG = """<?xml version="1.0"?>
<rng:grammar xmlns:rng="http://relaxng.org/ns/structure/1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:math="http://www.w3.org/1998/Math/MathML">
  <rng:start><rng:element name="text:p"><rng:attribute name="text:style-name"/>
    <rng:optional><rng:attribute name="xlink:href"/></rng:optional>
    <rng:element><rng:choice><rng:name>text:span</rng:name><rng:name>text:a</rng:name></rng:choice></rng:element>
    <rng:element name="math:math"><rng:empty/></rng:element>
  </rng:element></rng:start>
</rng:grammar>
"""
SDK = {"TargetNamespace": EXT, "Types": [
    {"Name": "ext:CT_Box/ext:box", "Attributes": [{"QName": ":width"}, {"QName": "ext:flag"}]},
    {"Name": "d:CT_Shape/d:legacyShape", "Attributes": [{"QName": ":legacy"}]}]}
SDK_NAMESPACES = [{"Prefix": "ext", "Uri": EXT}, {"Prefix": "d", "Uri": NS}]


def generate(tmp_path: Path) -> dict:
    (tmp_path / "d.xsd").write_text(XSD)
    (tmp_path / "odf.rng").write_text(RNG)
    (tmp_path / "ext.json").write_text(json.dumps(SDK))
    (tmp_path / "namespaces.json").write_text(json.dumps(SDK_NAMESPACES))
    result = subprocess.run([sys.executable, str(TOOL), "--xsd", str(tmp_path / "d.xsd"), "--rng", str(tmp_path / "odf.rng"),
                             "--sdk", str(tmp_path / "ext.json"), "--sdk-namespaces", str(tmp_path / "namespaces.json"),
                             "--source", "test schemas"], capture_output=True, text=True, check=True, timeout=60)
    module = tmp_path / "names.py"
    module.write_text(result.stdout)
    assert "- test schemas" in result.stdout and "xsd:" not in result.stdout  # names only, no schema text
    return runpy.run_path(str(module))


def test_xsd_names_follow_types_extensions_and_attribute_groups(tmp_path: Path) -> None:
    names = generate(tmp_path)
    assert names["ELEMENTS"][NS] >= {"shape", "child"}
    assert names["ATTRIBUTES"][NS] == {"global"}
    # shape's own, its base type's and its attribute group's; legacy from the SDK data; not its child's
    assert {"descr", "id", "noGrp", "legacy", "childOnly"} <= names["UNQUALIFIED_ATTRIBUTES"][NS]
    assert "legacyShape" in names["ELEMENTS"][NS]


def test_rng_names_and_only_the_namespaces_odf_defines(tmp_path: Path) -> None:
    names = generate(tmp_path)
    text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    assert names["ELEMENTS"][text] == {"p", "span", "a"}
    assert names["ATTRIBUTES"][text] == {"style-name"}
    assert names["ATTRIBUTES"]["http://www.w3.org/1999/xlink"] == {"href"}
    assert "http://www.w3.org/1998/Math/MathML" not in names["ELEMENTS"]  # left to MathML: namespace-level


def test_sdk_only_namespaces_list_elements_but_not_prefixed_attributes(tmp_path: Path) -> None:
    names = generate(tmp_path)
    assert names["ELEMENTS"][EXT] == {"box"} and names["UNQUALIFIED_ATTRIBUTES"][EXT] == {"width"}
    assert EXT not in names["ATTRIBUTES"]  # ext:flag may sit on other namespaces' elements too
