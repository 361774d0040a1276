"""The independent leftover check: after cleaning, every string and every name in the
output (outside stream data: page content, images, fonts) is compared with what may
remain. It does not ask `inspect` or the rebuild what they removed; it looks at
what is there.

May remain:

- names: keys some role keeps (roles.listed_keys), names writers choose for
  resources and appearance states (referenced from content streams), standard
  value names (NAME_VOCABULARY), and free names where PDF wants one (font and
  CMap names, glyph names, spot colour names, appearance states, icon names);
- strings: what a reader sees outside the pages, as `content` lists it (and so
  proves unchanged: comment text, links, bookmarks, form fields, page labels,
  layer names), the trailer /ID, indexed colour tables, CID font registries of
  the published Adobe collections, language tags, and default appearance
  strings made only of text operators, numbers and font resource names.

Anything else fails the file: it is refused, never written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pikepdf
from pikepdf import Array, Name, String

from intake.errors import PdfLeftover
from intake.formats.pdf.compared import kept_strings
from intake.formats.pdf.decoding import is_dict
from intake.formats.pdf.roles import FONT_ORDERINGS, FONT_REGISTRIES, LANGUAGE, KEPT_ANNOTATIONS, listed_keys
from intake.formats.pdf.values import NodeBudget

# Standard value names of ISO 32000-2 that the kept roles use.
NAME_VOCABULARY = frozenset("/" + word for word in """
    Catalog Pages Page Font FontDescriptor XObject Image Form Annot Action Outlines ExtGState Pattern Group Mask
    OCG OCMD Encoding CMap Border Halftone PageLabel Transparency Luminosity Alpha
    Type0 Type1 MMType1 Type3 TrueType CIDFontType0 CIDFontType2 CIDFontType0C Type1C OpenType Widget
    ASCIIHexDecode ASCII85Decode LZWDecode FlateDecode RunLengthDecode CCITTFaxDecode JBIG2Decode DCTDecode
    JPXDecode AHx A85 LZW Fl RL CCF DCT
    DeviceGray DeviceRGB DeviceCMYK CalGray CalRGB Lab ICCBased Indexed Separation DeviceN NChannel G RGB CMYK I
    All None AbsoluteColorimetric RelativeColorimetric Saturation Perceptual
    Normal Compatible Multiply Screen Overlay Darken Lighten ColorDodge ColorBurn HardLight SoftLight Difference
    Exclusion Hue Color PDF Text ImageB ImageC ImageI
    StandardEncoding MacRomanEncoding WinAnsiEncoding PDFDocEncoding MacExpertEncoding Identity-H Identity-V
    Identity Default
    XYZ Fit FitH FitV FitR FitB FitBH FitBV
    SinglePage OneColumn TwoColumnLeft TwoColumnRight TwoPageLeft TwoPageRight
    UseNone UseOutlines UseThumbs FullScreen UseOC UseAttachments
    L2R R2L MediaBox CropBox BleedBox TrimBox ArtBox AppDefault Simplex DuplexFlipShortEdge DuplexFlipLongEdge
    GoTo URI Named SetOCGState NextPage PrevPage FirstPage LastPage ON OFF Toggle Unchanged
    View Design Print Export AllOn AnyOn AnyOff AllOff AllPages VisiblePages
    S D B U N O P T R C A W Off Yes On Btn Tx Ch Sig
    Square Circle Diamond OpenArrow ClosedArrow Butt ROpenArrow RClosedArrow Slash
    FreeTextCallout FreeTextTypeWriter LineArrow LineDimension PolygonCloud PolyLineDimension PolygonDimension
    Inline Top
    UltraCondensed ExtraCondensed Condensed SemiCondensed SemiExpanded Expanded ExtraExpanded UltraExpanded
    SimpleDot InvertedSimpleDot DoubleDot InvertedDoubleDot CosineDot Double InvertedDouble Line LineX LineY
    Round Ellipse EllipseA InvertedEllipseA EllipseB EllipseC InvertedEllipseC Cross Rhomboid
    r a
""".split()) | KEPT_ANNOTATIONS
# PDF versions, as /Version gives them (/1.7).
_VERSION = re.compile(r"/\d\.\d")
# The place given to a DeviceN colour space's array of colorant names.
_COLORANTS = "[colorants]"
# Keys whose value is a name the writer chose (a font's name, a checkbox state...).
FREE_NAME_KEYS = frozenset({"/BaseFont", "/FontName", "/CMapName", "/UseCMap", "/Encoding", "/AS", "/V", "/DV",
                            "/Name", "/Differences", "/Components", _COLORANTS})
# Dictionaries whose keys the writer chose: resource names, appearance states, colorants.
WRITER_MAPS = frozenset({"/ExtGState", "/ColorSpace", "/Pattern", "/Shading", "/XObject", "/Font", "/Properties",
                         "/CharProcs", "/Colorants", "/FD"})
APPEARANCE_STATES = frozenset({"/N", "/R", "/D"})
# Default appearance strings: "/Helv 12 Tf 0 g" (font, size, colour).
_DA_OPERATORS = frozenset({b"Tf", b"g", b"rg", b"k", b"G", b"RG", b"K", b"Tz", b"TL", b"Tc", b"Tw", b"Ts"})
_DA_NUMBER = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)")
# The resource names Acrobat gives the standard fonts; forms use them even where
# the form's resources do not list them.
_STANDARD_FORM_FONTS = frozenset({b"Helv", b"HeBo", b"HeOb", b"HeBO", b"Cour", b"CoBo", b"CoOb", b"CoBO", b"TiRo",
                                  b"TiBo", b"TiIt", b"TiBI", b"Symb", b"ZaDb"})
_COLOUR_TABLES = ("/Indexed", "/I")
_SPOT_COLOURS = ("/Separation", "/DeviceN")


@dataclass(frozen=True)
class Place:
    """How the walk reached a value: the key of its holder, and the key above that."""

    key: str
    above: str = ""
    number: str = "the trailer"
    chosen: bool = False  # the key is a name the writer chose (a resource's), not a PDF key


class _Stop(Exception):
    """The first problem is enough: the file is refused."""


def check(pdf: pikepdf.Pdf) -> None:
    """Refuse unless every string and name of the (clean) PDF may remain."""
    problems = Check(kept_strings(pdf), listed_keys() | {"/ID"}, first_only=True).run(pdf.trailer)
    if problems:
        raise PdfLeftover(f"{problems[0]} in the clean PDF; refused")


def count(pdf: pikepdf.Pdf) -> int:
    """How many strings, names and keys of a PDF the check would not allow (for `inspect`)."""
    return len(Check(kept_strings(pdf), listed_keys() | {"/ID"}).run(pdf.trailer))


@dataclass
class Check:
    kept: set[bytes]
    keys: frozenset[str]
    first_only: bool = False
    pending_appearances: list[bytes] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def found(self, problem: str) -> None:
        self.problems.append(problem)
        if self.first_only:
            raise _Stop

    def run(self, trailer: Any) -> list[str]:
        """What may not remain, in plain words (never the values)."""
        try:
            self.walk(trailer)
        except _Stop:
            pass
        return self.problems

    def walk(self, trailer: Any) -> None:
        stack: list[tuple[Any, Place]] = [(trailer, Place("trailer"))]
        seen: set[tuple[int, int]] = set()
        resource_names: set[bytes] = set()
        nodes = NodeBudget()
        while stack:
            obj, place = stack.pop()
            nodes.visit()
            if getattr(obj, "is_indirect", False):
                if obj.objgen in seen:
                    continue
                seen.add(obj.objgen)
                place = Place(place.key, place.above, f"object {obj.objgen[0]}", place.chosen)
            if isinstance(obj, Array):
                stack.extend(self.array_items(obj, place))
            elif is_dict(obj):
                stack.extend(self.entries(obj, place, resource_names))
        self.default_appearances_checked(resource_names)

    def entries(self, obj: Any, place: Place, resource_names: set[bytes]) -> list[tuple[Any, Place]]:
        writer_named = not place.chosen and isinstance(obj, pikepdf.Dictionary) and (
            place.key in WRITER_MAPS or (place.key in APPEARANCE_STATES and place.above == "/AP"))
        children = []
        for key, value in obj.items():
            if not writer_named and key not in self.keys:
                self.found(f"an entry no role keeps ({place.number})")
            if place.key == "/Font" and writer_named:
                resource_names.add(key[1:].encode("utf-8", "replace"))
            child = Place(key, place.key, place.number, chosen=writer_named)
            if isinstance(value, (Array, pikepdf.Dictionary, pikepdf.Stream)):
                children.append((value, child))
            else:
                self.value(value, child)
        return children

    def array_items(self, array: Any, place: Place) -> list[tuple[Any, Place]]:
        family = str(array[0]) if len(array) and isinstance(array[0], Name) else ""
        children = []
        for index in range(len(array)):
            item = array[index]
            if isinstance(item, Array):
                spot_names = family == "/DeviceN" and index == 1
                children.append((item, Place(_COLORANTS if spot_names else place.key, place.above, place.number)))
            elif is_dict(item):  # a dictionary in an array is nobody's map
                children.append((item, Place("[item]", place.key, place.number)))
            elif isinstance(item, String):
                if not (family in _COLOUR_TABLES and index == 3) and not self.string_allowed(item, place):
                    self.found(f"a string no role keeps ({self.where(place)})")
            elif isinstance(item, Name) and not (family in _SPOT_COLOURS and index == 1):
                self.name(item, place)
        return children

    def value(self, value: Any, place: Place) -> None:
        if isinstance(value, String) and not self.string_allowed(value, place):
            self.found(f"a string no role keeps ({self.where(place)})")
        if isinstance(value, Name):
            self.name(value, place)

    def string_allowed(self, value: Any, place: Place) -> bool:
        raw = bytes(value)
        if raw in self.kept or (place.key == "/ID" and place.above == "trailer"):
            return True
        if place.key == "/Registry":
            return raw in FONT_REGISTRIES
        if place.key == "/Ordering":
            return raw in FONT_ORDERINGS
        if place.key == "/Lang":
            return LANGUAGE.accepts(raw)
        if place.key == "/DA":
            self.pending_appearances.append(raw)
            return True
        return False

    def name(self, value: Any, place: Place) -> None:
        text = str(value)
        if text in NAME_VOCABULARY or place.key in FREE_NAME_KEYS or _VERSION.fullmatch(text):
            return
        self.found(f"a name no role keeps ({self.where(place)})")

    def where(self, place: Place) -> str:
        """The object and, when it is a listed one, the key: a private key's name is the writer's."""
        return f"{place.number}, {place.key}" if place.key in self.keys else place.number

    def default_appearances_checked(self, resource_names: set[bytes]) -> None:
        """A default appearance string holds operators, numbers and font resource names only."""
        for raw in self.pending_appearances:
            for token in raw.split():
                if token in _DA_OPERATORS or _DA_NUMBER.fullmatch(token):
                    continue
                if token.startswith(b"/") and (token[1:] in resource_names or token[1:] in _STANDARD_FORM_FONTS):
                    continue
                self.found("a default appearance string holds more than text settings")
                break
