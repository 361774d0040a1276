"""The allow-list: for each role an object can play, the keys it keeps (ISO 32000-2).

A role is decided by where an object is reached from, never by what it says it
is: an annotation is whatever a page's /Annots holds, with or without /Type.
Only what page rendering, text extraction and in-document navigation need is
listed. Everything else is dropped by the rebuild: document information,
XMP, application data, scripts and actions other than moving inside the
document or following a visible link, attached files, article threads, the
structure tree, web-capture data, signatures, authors, dates and IDs of
annotations. docs/sanitizing.md has the table in words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pikepdf import Array, Name

from intake.formats.pdf.decoding import is_dict
from intake.formats.pdf.kinds import (
    AnyOf, ArrayOf, Binary, Destination, Dispatch, Kind, Later, MapOf, Pattern, Positional, Reference, Role, Scalar,
    Text,
)

SCALAR = Scalar()
TEXT = Text()
REFERENCE = Reference()
DESTINATION = Destination()
TEXTS = AnyOf((TEXT, ArrayOf(TEXT)))

# BCP 47 as PDF writers use it: a two- or three-letter language, then region or script ("en-US").
_LANGUAGE_TAG = re.compile(rb"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}")
LANGUAGE = Pattern(lambda raw: bool(_LANGUAGE_TAG.fullmatch(raw)))
# Character collections of CID fonts: Adobe's published ones, and Identity.
FONT_REGISTRIES = frozenset({b"Adobe"})
FONT_ORDERINGS = frozenset({b"Identity", b"Japan1", b"Japan2", b"GB1", b"CNS1", b"Korea1", b"KR", b"UCS"})

# Keys every stream has: how its data is stored. /F, /FFilter, /FDecodeParms
# (data kept in an outside file) are not among them.
STREAM_KEYS: Mapping[str, Kind] = {
    "/Length": SCALAR, "/Filter": SCALAR, "/DL": SCALAR,
    "/DecodeParms": AnyOf((SCALAR, Later("decode parameters"), ArrayOf(AnyOf((SCALAR, Later("decode parameters")))))),
}


def keys(*names: str, kind: Kind = SCALAR) -> dict[str, Kind]:
    return {name: kind for name in names}


# Every role by name, for `Later`: filled while this module is imported, read-only after.
_ROLES: dict[str, Role] = {}


def role(name: str, table: Mapping[str, Kind], shape: str = "dict") -> Role:
    made = Role(name, dict(table), shape)
    _ROLES[name] = made
    return made


def named(name: str) -> Role:
    """The role a `Later` names."""
    return _ROLES[name]


STREAM = role("stream data", {}, "stream")
role("decode parameters", {
    **keys("/Predictor", "/Colors", "/BitsPerComponent", "/Columns", "/EarlyChange", "/K", "/EndOfLine",
           "/EncodedByteAlign", "/Rows", "/EndOfBlock", "/BlackIs1", "/DamagedRowsBeforeError", "/ColorTransform"),
    "/JBIG2Globals": STREAM,
})
FUNCTION = role("function", {
    **keys("/FunctionType", "/Domain", "/Range", "/Size", "/BitsPerSample", "/Order", "/Encode", "/Decode", "/C0",
           "/C1", "/N", "/Bounds"),
    "/Functions": ArrayOf(Later("function")),
}, "either")
FUNCTIONS = AnyOf((SCALAR, FUNCTION, ArrayOf(FUNCTION)))  # /Identity, one function, or one per component


# --- colour ------------------------------------------------------------------------------------

COLOUR_SPACE = Dispatch(lambda value: _colour_space(value))
CALIBRATION = role("colour calibration", keys("/WhitePoint", "/BlackPoint", "/Gamma", "/Matrix", "/Range"))
ICC_PROFILE = role("ICC profile", {**keys("/N", "/Range"), "/Alternate": COLOUR_SPACE}, "stream")
DEVICE_N_ATTRIBUTES = role("DeviceN attributes", {
    "/Subtype": SCALAR, "/Colorants": MapOf(COLOUR_SPACE),
    "/Process": role("DeviceN process", {"/ColorSpace": COLOUR_SPACE, "/Components": SCALAR}),
})
_COLOUR_ARRAYS: dict[str, Positional] = {
    "/ICCBased": Positional((SCALAR, ICC_PROFILE)),
    "/CalGray": Positional((SCALAR, CALIBRATION)), "/CalRGB": Positional((SCALAR, CALIBRATION)),
    "/Lab": Positional((SCALAR, CALIBRATION)),
    "/Indexed": Positional((SCALAR, COLOUR_SPACE, SCALAR, AnyOf((Binary(), STREAM))), min_length=4),
    "/I": Positional((SCALAR, COLOUR_SPACE, SCALAR, AnyOf((Binary(), STREAM))), min_length=4),
    "/Separation": Positional((SCALAR, SCALAR, COLOUR_SPACE, FUNCTIONS), min_length=4),
    "/DeviceN": Positional((SCALAR, SCALAR, COLOUR_SPACE, FUNCTIONS, DEVICE_N_ATTRIBUTES), min_length=4),
    "/Pattern": Positional((SCALAR, COLOUR_SPACE)),
}


def _colour_space(value: Any) -> Kind | None:
    if isinstance(value, Name):
        return SCALAR
    if not isinstance(value, Array) or not len(value) or not isinstance(value[0], Name):
        return None
    family = str(value[0])
    if len(value) == 1:
        return Positional((SCALAR,))
    return _COLOUR_ARRAYS.get(family)


# --- what pages draw -----------------------------------------------------------------------------

RESOURCES = Later("resources")
OPTIONAL_CONTENT = Dispatch(lambda value: _optional_content(value))
GROUP = role("transparency group", {**keys("/Type", "/S", "/I", "/K"), "/CS": COLOUR_SPACE})
FORM = role("form XObject", {
    **keys("/Type", "/Subtype", "/FormType", "/BBox", "/Matrix", "/Name"),
    "/Resources": RESOURCES, "/Group": GROUP, "/OC": OPTIONAL_CONTENT,
}, "stream")
IMAGE = role("image", {
    **keys("/Type", "/Subtype", "/Width", "/Height", "/BitsPerComponent", "/Intent", "/ImageMask", "/Decode",
           "/Interpolate", "/SMaskInData", "/Matte", "/Name"),
    "/ColorSpace": COLOUR_SPACE, "/Mask": AnyOf((SCALAR, Later("image"))), "/SMask": Later("image"),
    "/OC": OPTIONAL_CONTENT,
}, "stream")
XOBJECT = Dispatch(lambda value: {"/Image": IMAGE, "/Form": FORM}.get(_name(value, "/Subtype")))

SHADING = role("shading", {
    **keys("/ShadingType", "/Background", "/BBox", "/AntiAlias", "/Coords", "/Domain", "/Extend", "/Matrix",
           "/BitsPerCoordinate", "/BitsPerComponent", "/BitsPerFlag", "/Decode", "/VerticesPerRow"),
    "/ColorSpace": COLOUR_SPACE, "/Function": FUNCTIONS,
}, "either")
EXTGSTATE = Later("graphics state")
TILING = role("tiling pattern", {
    **keys("/Type", "/PatternType", "/PaintType", "/TilingType", "/BBox", "/XStep", "/YStep", "/Matrix"),
    "/Resources": RESOURCES,
}, "stream")
SHADING_PATTERN = role("shading pattern", {**keys("/Type", "/PatternType", "/Matrix"), "/Shading": SHADING,
                                           "/ExtGState": EXTGSTATE})
PATTERN = Dispatch(lambda value: {1: TILING, 2: SHADING_PATTERN}.get(_number(value, "/PatternType")))
HALFTONE = role("halftone", {
    **keys("/Type", "/HalftoneType", "/Frequency", "/Angle", "/AccurateScreens", "/Width", "/Height", "/Width2",
           "/Height2", "/Xsquare", "/Ysquare"),
    "/SpotFunction": FUNCTIONS, "/TransferFunction": FUNCTIONS,
}, "either")
SOFT_MASK = role("soft mask", {**keys("/Type", "/S", "/BC"), "/G": FORM, "/TR": FUNCTIONS})
FONT = Dispatch(lambda value: _font(value))
role("graphics state", {
    **keys("/Type", "/LW", "/LC", "/LJ", "/ML", "/D", "/RI", "/OP", "/op", "/OPM", "/SA", "/BM", "/CA", "/ca",
           "/AIS", "/TK", "/FL", "/SM", "/UseBlackPtComp"),
    "/Font": Positional((FONT, SCALAR)),
    **keys("/BG", "/BG2", "/UCR", "/UCR2", "/TR", "/TR2", kind=FUNCTIONS),
    "/HT": AnyOf((SCALAR, HALFTONE)), "/SMask": AnyOf((SCALAR, SOFT_MASK)),
})
role("resources", {
    "/ExtGState": MapOf(EXTGSTATE), "/ColorSpace": MapOf(COLOUR_SPACE), "/Pattern": MapOf(PATTERN),
    "/Shading": MapOf(SHADING), "/XObject": MapOf(XOBJECT), "/Font": MapOf(FONT), "/ProcSet": SCALAR,
    "/Properties": MapOf(OPTIONAL_CONTENT),
})
CONTENTS = AnyOf((STREAM, ArrayOf(STREAM)))


# --- fonts ---------------------------------------------------------------------------------------

CID_SYSTEM_INFO = role("CID system info", {
    "/Registry": Pattern(lambda raw: raw in FONT_REGISTRIES), "/Ordering": Pattern(lambda raw: raw in FONT_ORDERINGS),
    "/Supplement": SCALAR,
})
CMAP = role("CMap", {**keys("/Type", "/CMapName", "/WMode"), "/CIDSystemInfo": AnyOf((CID_SYSTEM_INFO, ArrayOf(
    CID_SYSTEM_INFO))), "/UseCMap": AnyOf((SCALAR, Later("CMap")))}, "stream")
FONT_FILE = role("font program", keys("/Length1", "/Length2", "/Length3", "/Subtype"), "stream")
FONT_DESCRIPTOR = role("font descriptor", {
    **keys("/Type", "/FontName", "/FontStretch", "/FontWeight", "/Flags", "/FontBBox", "/ItalicAngle", "/Ascent",
           "/Descent", "/Leading", "/CapHeight", "/XHeight", "/StemV", "/StemH", "/AvgWidth", "/MaxWidth",
           "/MissingWidth"),
    **keys("/FontFile", "/FontFile2", "/FontFile3", kind=FONT_FILE), "/CIDSet": STREAM,
    "/FD": MapOf(Later("font descriptor")),
})
ENCODING = role("font encoding", keys("/Type", "/BaseEncoding", "/Differences"))
_SIMPLE_FONT_KEYS: dict[str, Kind] = {
    **keys("/Type", "/Subtype", "/BaseFont", "/Name", "/FirstChar", "/LastChar", "/Widths"),
    "/FontDescriptor": FONT_DESCRIPTOR, "/Encoding": AnyOf((SCALAR, ENCODING)), "/ToUnicode": CMAP,
}
SIMPLE_FONT = role("font", _SIMPLE_FONT_KEYS)
TYPE3_FONT = role("Type 3 font", {**_SIMPLE_FONT_KEYS, **keys("/FontBBox", "/FontMatrix"),
                                  "/CharProcs": MapOf(STREAM), "/Resources": RESOURCES})
CID_FONT = role("CID font", {
    **keys("/Type", "/Subtype", "/BaseFont", "/DW", "/W", "/DW2", "/W2"),
    "/CIDSystemInfo": CID_SYSTEM_INFO, "/FontDescriptor": FONT_DESCRIPTOR, "/CIDToGIDMap": AnyOf((SCALAR, STREAM)),
})
TYPE0_FONT = role("composite font", {**keys("/Type", "/Subtype", "/BaseFont"), "/Encoding": AnyOf((SCALAR, CMAP)),
                                     "/DescendantFonts": ArrayOf(CID_FONT), "/ToUnicode": CMAP})
_FONTS = {"/Type1": SIMPLE_FONT, "/MMType1": SIMPLE_FONT, "/TrueType": SIMPLE_FONT, "/Type3": TYPE3_FONT,
          "/Type0": TYPE0_FONT, "/CIDFontType0": CID_FONT, "/CIDFontType2": CID_FONT}


def _font(value: Any) -> Kind | None:
    return _FONTS.get(_name(value, "/Subtype"))


# --- layers (optional content) -------------------------------------------------------------------

LAYER = role("layer", {**keys("/Type", "/Intent"), "/Name": TEXT})
LAYERS = AnyOf((LAYER, ArrayOf(LAYER)))
LAYER_MEMBERSHIP = role("layer membership", {**keys("/Type", "/P"), "/OCGs": LAYERS})
LAYER_REFERENCES = ArrayOf(REFERENCE)
LAYER_CONFIGURATION = role("layer configuration", {
    **keys("/BaseState", "/Intent", "/ListMode"),
    **keys("/ON", "/OFF", "/Locked", kind=LAYER_REFERENCES),
    "/Order": ArrayOf(AnyOf((REFERENCE, ArrayOf(AnyOf((REFERENCE, ArrayOf(REFERENCE))))))),
    "/RBGroups": ArrayOf(LAYER_REFERENCES),
})
LAYER_PROPERTIES = role("layer properties", {"/OCGs": ArrayOf(LAYER), "/D": LAYER_CONFIGURATION,
                                             "/Configs": ArrayOf(LAYER_CONFIGURATION)})


def _optional_content(value: Any) -> Kind | None:
    return {"/OCG": LAYER, "/OCMD": LAYER_MEMBERSHIP}.get(_name(value, "/Type"))


# --- navigation: actions, destinations, bookmarks -------------------------------------------------

# Moving inside the document, and following a link the reader sees and clicks.
# JavaScript, Launch, GoToR, SubmitForm, ImportData, media and all the rest go.
ACTION_KEYS = {"/Type": SCALAR, "/S": SCALAR, "/Next": AnyOf((Later("action"), ArrayOf(Later("action"))))}
GO_TO = role("go-to action", {**ACTION_KEYS, "/D": DESTINATION})
URI_ACTION = role("link action", {**ACTION_KEYS, "/URI": TEXT, "/IsMap": SCALAR})
NAMED_ACTION = role("named action", {**ACTION_KEYS, "/N": SCALAR})
LAYER_ACTION = role("layer action", {**ACTION_KEYS, "/State": ArrayOf(AnyOf((SCALAR, REFERENCE))),
                                     "/PreserveRB": SCALAR})
_ACTIONS = {"/GoTo": GO_TO, "/URI": URI_ACTION, "/Named": NAMED_ACTION, "/SetOCGState": LAYER_ACTION}
ACTION = Dispatch(lambda value: _ACTIONS.get(_name(value, "/S")))
# Opening the file moves inside it at most; it never reaches the network.
_OPEN_ACTIONS = {kind: action for kind, action in _ACTIONS.items() if kind != "/URI"}
OPEN_ACTION = AnyOf((DESTINATION, Dispatch(lambda value: _OPEN_ACTIONS.get(_name(value, "/S")))))

OUTLINE_ITEM = role("bookmark", {
    **keys("/Count", "/C", "/F"), "/Title": TEXT, "/Dest": DESTINATION, "/A": ACTION,
    **keys("/Parent", "/Prev", "/Last", kind=REFERENCE),
    **keys("/Next", "/First", kind=Later("bookmark")),
})
OUTLINES = role("bookmarks", {"/Type": SCALAR, "/Count": SCALAR, "/First": OUTLINE_ITEM, "/Last": REFERENCE})


# --- annotations and forms -----------------------------------------------------------------------

APPEARANCES = AnyOf((FORM, MapOf(FORM)))  # one appearance, or one per state (/Off, /Yes...)
APPEARANCE = role("appearance", {"/N": APPEARANCES, "/R": APPEARANCES, "/D": APPEARANCES})
WIDGET_LOOK = role("widget look", {
    **keys("/R", "/BC", "/BG", "/TP"), **keys("/CA", "/RC", "/AC", kind=TEXT),
    **keys("/I", "/RI", "/IX", kind=FORM),
    "/IF": role("icon fit", keys("/SW", "/S", "/A", "/FB")),
})
BORDER_STYLE = role("border style", keys("/Type", "/W", "/S", "/D"))
BORDER_EFFECT = role("border effect", keys("/S", "/I"))
_ANNOTATION_KEYS: dict[str, Kind] = {
    **keys("/Type", "/Subtype", "/Rect", "/F", "/Border", "/C", "/CA", "/ca", "/BM", "/Open", "/Name", "/Q", "/AS",
           "/QuadPoints", "/InkList", "/Vertices", "/L", "/LE", "/IC", "/RD", "/LL", "/LLE", "/LLO", "/Cap", "/CO",
           "/CP", "/IT", "/RT", "/H", "/Path"),
    "/Contents": TEXT, "/AP": APPEARANCE, "/BS": BORDER_STYLE, "/BE": BORDER_EFFECT, "/A": ACTION,
    "/Dest": DESTINATION, "/DA": TEXT, "/MK": WIDGET_LOOK, "/OC": OPTIONAL_CONTENT,
    **keys("/Popup", "/Parent", "/IRT", "/P", kind=REFERENCE),
}
ANNOTATION = role("annotation", _ANNOTATION_KEYS)
# A pop-up shows its parent's text: it keeps its place and state, no text of its own.
POPUP = role("pop-up", {**keys("/Type", "/Subtype", "/Rect", "/F", "/Open"), **keys("/Parent", "/P", kind=REFERENCE)})
FIELD = role("form field", {
    **_ANNOTATION_KEYS, **keys("/FT", "/Ff", "/MaxLen", "/TI", "/I"),
    **keys("/T", "/TU", kind=TEXT), **keys("/V", "/DV", kind=TEXTS), "/Opt": ArrayOf(TEXTS),
    "/Kids": ArrayOf(Later("form field")),
})
# Annotations that show something on the page. Attached files, sounds, movies,
# screens, rich media and 3D carry files or programs, and go whole.
KEPT_ANNOTATIONS = frozenset({
    "/Text", "/Link", "/FreeText", "/Line", "/Square", "/Circle", "/Polygon", "/PolyLine", "/Highlight",
    "/Underline", "/Squiggly", "/StrikeOut", "/Caret", "/Stamp", "/Ink", "/Popup", "/PrinterMark", "/Watermark",
    "/Redact",
})


def _annotation(value: Any) -> Kind | None:
    subtype = _name(value, "/Subtype")
    if subtype == "/Widget":
        return FIELD
    if subtype == "/Popup":
        return POPUP
    return ANNOTATION if subtype in KEPT_ANNOTATIONS else None


ANNOTATIONS = ArrayOf(Dispatch(_annotation))
ACROFORM = role("interactive form", {"/Fields": ArrayOf(FIELD), **keys("/NeedAppearances", "/Q"), "/DA": TEXT,
                                     "/DR": RESOURCES})


# --- the document --------------------------------------------------------------------------------

PAGE = role("page", {
    **keys("/Type", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox", "/Rotate", "/UserUnit", "/Tabs"),
    "/Parent": REFERENCE, "/Resources": RESOURCES, "/Contents": CONTENTS, "/Group": GROUP, "/Annots": ANNOTATIONS,
})
PAGE_TREE = role("page tree", {
    **keys("/Type", "/Count", "/MediaBox", "/CropBox", "/Rotate"), "/Parent": REFERENCE, "/Resources": RESOURCES,
    "/Kids": ArrayOf(Dispatch(lambda value: named("page tree") if _name(value, "/Type") == "/Pages" else PAGE)),
})
PAGE_LABEL = role("page label", {**keys("/Type", "/S", "/St"), "/P": TEXT})
PAGE_LABELS = role("page labels", {"/Nums": ArrayOf(AnyOf((SCALAR, PAGE_LABEL))), "/Limits": SCALAR,
                                   "/Kids": ArrayOf(Later("page labels"))})
VIEWER_PREFERENCES = role("viewer preferences", keys(
    "/HideToolbar", "/HideMenubar", "/HideWindowUI", "/FitWindow", "/CenterWindow", "/DisplayDocTitle",
    "/NonFullScreenPageMode", "/Direction", "/ViewArea", "/ViewClip", "/PrintArea", "/PrintClip", "/PrintScaling",
    "/Duplex", "/PickTrayByPDFSize", "/PrintPageRange", "/NumCopies"))
CATALOG = role("catalog", {
    **keys("/Type", "/Version", "/PageLayout", "/PageMode"), "/Lang": LANGUAGE,
    "/Pages": PAGE_TREE, "/PageLabels": PAGE_LABELS, "/ViewerPreferences": VIEWER_PREFERENCES,
    "/Outlines": OUTLINES, "/OpenAction": OPEN_ACTION, "/AcroForm": ACROFORM, "/OCProperties": LAYER_PROPERTIES,
})
# The trailer keeps the catalog; qpdf writes /Size and a fresh /ID itself.
TRAILER = role("trailer", {"/Root": CATALOG, "/Size": SCALAR})


def _name(value: Any, key: str) -> str:
    found = value.get(key) if is_dict(value) else None
    return str(found) if isinstance(found, Name) else ""


def _number(value: Any, key: str) -> int | None:
    found = value.get(key) if is_dict(value) else None
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def resolve(kind: Kind) -> Kind:
    """A `Later` becomes the role it names; `Later("action")` the action dispatch."""
    if isinstance(kind, Later):
        return ACTION if kind.name == "action" else named(kind.name)
    return kind


def listed_keys() -> frozenset[str]:
    """Every key some role keeps: the only keys a clean PDF may hold outside writer-named maps."""
    return frozenset(STREAM_KEYS).union(*(made.keys for made in _ROLES.values()))
