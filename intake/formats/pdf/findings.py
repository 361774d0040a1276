"""What `inspect` reports: one walk over every object, each rule recording its
findings and the edit that removes them, so that `inspect` and the first part of
`sanitize` cannot disagree. The allow-list rebuild (rebuild.py) then drops
whatever these rules did not name."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream, String

from intake.formats.base import Category
from intake.formats.shared.metadata import xmp_findings
from intake.formats.pdf.decoding import Budget, decoded, is_container, is_dict
from intake.formats.pdf.images import rule_jpeg, rule_jpeg2000
from intake.formats.pdf.values import (
    INFO_CATEGORY, REMOVED_ANNOTATIONS, action_detail, action_type, as_text, counted, file_name, hex_text, is_annotation, key_category,
    stream_text, tree_keys,
)
from intake.formats.pdf.walk import Node, Pending, Survey, place_labels, walk


# ISO 32000-2 tables 29, 30 and 31. Anything else in these dictionaries is
# private data of the writing application (/ITXT, /PTEX.Fullbanner, ...).
CATALOG_KEYS = frozenset({
    "/Type", "/Version", "/Extensions", "/Pages", "/PageLabels", "/Names", "/Dests", "/ViewerPreferences",
    "/PageLayout", "/PageMode", "/Outlines", "/Threads", "/OpenAction", "/AA", "/URI", "/AcroForm", "/Metadata",
    "/StructTreeRoot", "/MarkInfo", "/Lang", "/SpiderInfo", "/OutputIntents", "/PieceInfo", "/OCProperties",
    "/Perms", "/Legal", "/Requirements", "/Collection", "/NeedsRendering", "/DSS", "/AF", "/DPartRoot",
})
PAGES_KEYS = frozenset({"/Type", "/Parent", "/Kids", "/Count", "/Resources", "/MediaBox", "/CropBox", "/Rotate"})
PAGE_KEYS = frozenset({
    "/Type", "/Parent", "/LastModified", "/Resources", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox",
    "/ArtBox", "/BoxColorInfo", "/Contents", "/Rotate", "/Group", "/Thumb", "/B", "/Dur", "/Trans", "/Annots",
    "/AA", "/Metadata", "/PieceInfo", "/StructParents", "/ID", "/PZ", "/SeparationInfo", "/Tabs",
    "/TemplateInstantiated", "/PresSteps", "/UserUnit", "/VP", "/AF", "/OutputIntents", "/DPart",
})
# Trailer keys that describe the file's structure; qpdf writes its own.
TRAILER_STRUCTURE = frozenset({
    "/Root", "/Size", "/Prev", "/XRefStm", "/Encrypt", "/Type", "/W", "/Index", "/Length", "/Filter",
    "/DecodeParms", "/ID", "/Info",
})

# Actions that stay: they move inside the document or follow a visible link.
KEPT_ACTIONS = frozenset({
    "/GoTo", "/URI", "/Named", "/Thread", "/SetOCGState", "/Trans", "/GoTo3DView", "/ResetForm", "/Hide",
    "/Sound", "/Movie", "/GoToDp",
})
# Opening the file must not reach the network.
KEPT_OPEN_ACTIONS = KEPT_ACTIONS - {"/URI"}
# Actions reported wherever they are: scripts, programs, files, data sent out.
ACTIVE_ACTIONS = frozenset({
    "/JavaScript", "/Launch", "/GoToR", "/GoToE", "/SubmitForm", "/ImportData", "/Rendition", "/RichMediaExecute",
})


# --- rules: each records findings and the edit that removes them ---------------


def rule_metadata(node: Node, survey: Survey) -> None:
    value = node.get("/Metadata")
    if isinstance(value, Stream):
        survey.findings.extend(xmp_findings(decoded(value, survey.budget), f"XMP of {node.label}"))
        survey.drop(node.obj, "/Metadata")
    elif isinstance(value, Dictionary):
        survey.found(Category.HIDDEN, "metadata", "present", node.label)
        survey.drop(node.obj, "/Metadata")


def rule_private_data(node: Node, survey: Survey) -> None:
    pieces = node.get("/PieceInfo")
    if is_dict(pieces):
        names = ", ".join(key[1:] for key in list(pieces.keys())[:20]) or "empty"
        survey.found(Category.HIDDEN, "application private data (PieceInfo)", names, node.label)
        survey.drop(node.obj, "/PieceInfo")
    if isinstance(node.get("/LastModified"), String):
        survey.found(Category.TIME, "LastModified", as_text(node.get("/LastModified")), node.label)
        survey.drop(node.obj, "/LastModified")
    creator = node.get("/CreatorInfo")
    if is_dict(creator):
        survey.found(Category.SOFTWARE, "CreatorInfo", as_text(creator.get("/Creator")), node.label)
        survey.drop(node.obj, "/CreatorInfo")
    part_metadata = node.get("/DPM")  # PDF 2.0 document parts carry free-form metadata
    if is_dict(part_metadata):
        info_entries(part_metadata, f"document part metadata ({node.label})", survey)
        survey.drop(node.obj, "/DPM")


def rule_info_keys(node: Node, survey: Survey) -> None:
    """Author, dates and software stamped on any dictionary (annotations, embedded files...)."""
    if node.via in ("/I", "/PTEX.InfoDict", "/DPM"):  # reported whole where they hang
        return
    for key, category in INFO_CATEGORY.items():
        value = node.get(key)
        if isinstance(value, String):
            survey.found(category, key[1:], as_text(value), node.label)
            survey.drop(node.obj, key)


def rule_action_holders(node: Node, survey: Survey) -> None:
    """Unhook removed actions from where they are triggered (/A, /OpenAction, /PA, /Next)."""
    for key in ("/A", "/PA", "/OpenAction"):
        action = node.get(key)
        kind = action_type(action)
        kept = KEPT_OPEN_ACTIONS if key == "/OpenAction" else KEPT_ACTIONS
        if kind is None or kind in kept:
            continue
        if kind not in ACTIVE_ACTIONS:  # active ones report themselves (rule_active_action)
            where = "opening the document" if key == "/OpenAction" else node.label
            survey.found(Category.HIDDEN, f"{kind[1:]} action", action_detail(action, survey.budget), where)
        survey.drop(node.obj, key)
    chain = node.get("/Next")
    kind = action_type(chain)
    if kind is not None and kind not in KEPT_ACTIONS:
        survey.drop(node.obj, "/Next")
    elif isinstance(chain, Array):
        kept_actions = [item for item in chain if action_type(item) in KEPT_ACTIONS]
        if len(kept_actions) != len(chain):
            survey.put_last(node.obj, "/Next", Array(kept_actions))


def rule_active_action(node: Node, survey: Survey) -> None:
    kind = node.name("/S")
    if kind in ACTIVE_ACTIONS:
        survey.found(Category.HIDDEN, f"{kind[1:]} action", action_detail(node.obj, survey.budget), node.label)


def rule_additional_actions(node: Node, survey: Survey) -> None:
    actions = node.get("/AA")
    if is_dict(actions):
        events = ", ".join(key[1:] for key in list(actions.keys())[:20]) or "empty"
        survey.found(Category.HIDDEN, "automatic actions (/AA)", f"on events {events}", node.label)
        survey.drop(node.obj, "/AA")


def rule_files(node: Node, survey: Survey) -> None:
    if is_dict(node.get("/EF")):
        survey.found(Category.HIDDEN, "embedded file", file_name(node.obj), node.label)
        survey.drop(node.obj, "/EF")
        survey.drop(node.obj, "/RF")
    if isinstance(node.get("/AF"), Array) or is_dict(node.get("/AF")):
        survey.drop(node.obj, "/AF")
    opi = node.get("/OPI")
    if is_dict(opi):
        versions = [opi.get(key) for key in ("/1.3", "/2.0")]
        names = [file_name(version.get("/F")) for version in versions if is_dict(version)]
        survey.found(Category.HIDDEN, "prepress link (OPI)", ", ".join(names) or "present", node.label)
        survey.drop(node.obj, "/OPI")


def rule_annotation(node: Node, survey: Survey) -> None:
    if not is_annotation(node.values):
        return
    removable = [("/M", Category.TIME, "annotation modified"), ("/NM", Category.HIDDEN, "annotation ID"),
                 ("/RC", Category.HIDDEN, "annotation rich text")]
    if node.name("/Subtype") != "/Widget" and "/FT" not in node.values:
        removable.append(("/T", Category.PERSON, "annotation author"))  # a form field's /T is its name
    for key, category, label in removable:
        value = node.get(key)
        if isinstance(value, (String, Stream)):
            survey.found(category, label, stream_text(value, survey.budget), node.label)
            survey.drop(node.obj, key)


def rule_signature(node: Node, survey: Survey) -> None:
    """Signatures name the signer (and carry a certificate); the fields that hold them lose them."""
    if node.name("/FT") == "/Sig" and is_dict(node.get("/V")):
        survey.drop(node.obj, "/V")
        survey.drop(node.obj, "/SV")
    signed = "/ByteRange" in node.values and "/Contents" in node.values
    if node.name("/Type") not in ("/Sig", "/DocTimeStamp") and not signed:
        return
    signer = node.get("/Name")
    survey.found(Category.PERSON, "digital signature", as_text(signer) if signer else "signer's certificate", node.label)
    for key, category, label in (("/M", Category.TIME, "signing time"), ("/Location", Category.LOCATION, "signing place"),
                                 ("/ContactInfo", Category.PERSON, "signer contact"),
                                 ("/Reason", Category.OTHER, "signing reason")):
        if isinstance(node.get(key), String):
            survey.found(category, label, as_text(node.get(key)), node.label)


def rule_layer_users(node: Node, survey: Survey) -> None:
    """A layer's usage dictionary may name the people it is meant for (/Usage /User /Name)."""
    if node.via != "/Usage":
        return
    user = node.get("/User")
    if is_dict(user):
        names = user.get("/Name")
        value = ", ".join(as_text(item) for item in list(names)[:20]) if isinstance(names, Array) else as_text(names)
        survey.found(Category.PERSON, "layer intended for (/Usage /User)", value, node.label)
        survey.drop(node.obj, "/User")


def rule_thread(node: Node, survey: Survey) -> None:
    info = node.get("/I")
    is_thread = node.name("/Type") == "/Thread" or isinstance(node.get("/F"), Dictionary)
    if is_thread and isinstance(info, Dictionary):
        info_entries(info, "an article thread", survey)
        survey.drop(node.obj, "/I")


def rule_page(node: Node, survey: Survey) -> None:
    kind = node.name("/Type")
    if kind == "/Pages":
        private_keys(node, PAGES_KEYS, survey)
    if kind != "/Page":
        return
    private_keys(node, PAGE_KEYS, survey)
    thumb = node.get("/Thumb")
    if isinstance(thumb, Stream):
        size = f"{as_text(thumb.get('/Width'))}×{as_text(thumb.get('/Height'))} image"
        survey.found(Category.HIDDEN, "page thumbnail", size, node.label)
        survey.drop(node.obj, "/Thumb")
    drop_removed_annotations(node, survey)


def drop_removed_annotations(node: Node, survey: Survey) -> None:
    """Attachment and sound annotations go whole, and their pop-ups with them."""
    annotations = node.get("/Annots")
    if not isinstance(annotations, Array):
        return
    items = list(annotations)
    gone = [is_dict(item) and str(item.get("/Subtype")) in REMOVED_ANNOTATIONS for item in items]
    if not any(gone):
        return
    for item, removed in zip(items, gone):
        if removed and item.get("/Subtype") == Name.Sound:
            survey.found(Category.HIDDEN, "sound annotation", "a recording", node.label)
    parents = {item.objgen for item, removed in zip(items, gone) if removed and item.is_indirect}
    kept = [item for item, removed in zip(items, gone) if not removed and not orphan_popup(item, parents)]
    survey.put_last(node.obj, "/Annots", Array(kept))


def orphan_popup(item: Any, parents: set[tuple[int, int]]) -> bool:
    parent = item.get("/Parent") if is_dict(item) else None
    return item.get("/Subtype") == Name.Popup and is_dict(parent) and parent.is_indirect and parent.objgen in parents


def private_keys(node: Node, allowed: frozenset[str], survey: Survey) -> None:
    for key in node.values:
        if key not in allowed:
            private_entry(node.obj, key, node.label, survey)


def private_entry(holder: Any, key: str, where: str, survey: Survey) -> None:
    value = holder[key]  # not .get: pikepdf cannot look up a key that is not UTF-8 that way
    if key == "/PTEX.InfoDict" and is_dict(value):
        info_entries(value, f"document info copied from an included figure ({where})", survey)
    else:
        category = key_category(key)
        survey.found(category if category != Category.OTHER else Category.HIDDEN,
                     f"private entry {key[1:]}", as_text(value), where)
    survey.drop(holder, key)


def rule_xobject(node: Node, survey: Survey) -> None:
    """pdfTeX and others stamp included figures with their file name and document info."""
    if not isinstance(node.obj, Stream) or node.name("/Subtype") not in ("/Image", "/Form"):
        return
    for key in node.values:
        if "." in key or ":" in key:
            private_entry(node.obj, key, node.label, survey)
    reference = node.get("/Ref")  # a reference XObject: the path of the PDF it stands for
    if node.name("/Subtype") == "/Form" and is_dict(reference):
        survey.found(Category.HIDDEN, "link to an outside PDF (reference XObject)", file_name(reference.get("/F")),
                     node.label)
        survey.drop(node.obj, "/Ref")


def spider_addresses(value: Any) -> str:
    commands = value.get("/C") if is_dict(value) else None
    if not isinstance(commands, Array):
        return ""
    return ", ".join(as_text(c.get("/URL")) for c in list(commands)[:20] if is_dict(c) and "/URL" in c)


def rule_catalog(node: Node, survey: Survey) -> None:
    if not node.catalog:
        return
    root = node.obj
    private_keys(node, CATALOG_KEYS, survey)
    removed = (("/SpiderInfo", "web capture settings (source addresses)"),
               ("/DSS", "signature validation data (certificates)"), ("/Collection", "portfolio view"))
    for key, label in removed:
        if key in node.values:
            survey.found(Category.HIDDEN, label, spider_addresses(node.get(key)) or "present", node.label)
            survey.drop(root, key)
    survey.drop(root, "/Perms")  # usage-rights and certification signatures report themselves
    survey.drop(root, "/NeedsRendering")
    names = node.get("/Names")
    if is_dict(names):
        # Scripts and files in these trees report themselves as the walk reaches them.
        survey.drop(names, "/JavaScript")
        survey.drop(names, "/EmbeddedFiles")
        if "/URLS" in names or "/IDS" in names:  # web capture: the pages' source addresses
            addresses = ", ".join(tree_keys(names.get("/URLS"))) or "present"
            survey.found(Category.HIDDEN, "web capture information (source addresses)", addresses, node.label)
            survey.drop(names, "/URLS")
            survey.drop(names, "/IDS")
    form = node.get("/AcroForm")
    if is_dict(form) and "/XFA" in form:
        survey.found(Category.HIDDEN, "XFA form description (XML)", "present", node.label)
        survey.drop(form, "/XFA")


RULES: tuple[Callable[[Node, Survey], None], ...] = (
    rule_catalog, rule_page, rule_metadata, rule_private_data, rule_info_keys, rule_action_holders,
    rule_active_action, rule_additional_actions, rule_files, rule_annotation, rule_signature,
    rule_thread, rule_layer_users, rule_xobject, rule_jpeg, rule_jpeg2000,
)


def apply_rules(nodes: Iterable[Node], survey: Survey) -> None:
    for node in nodes:
        if node.writer_named:
            continue
        for rule in RULES:
            rule(node, survey)


# --- the document, its trailer, unused objects, earlier revisions ------------


def survey_document(pdf: pikepdf.Pdf, budget: Budget) -> Survey:
    survey = Survey(budget)
    labels = place_labels(pdf)
    root = Pending(pdf.Root, "the document", catalog=True)
    apply_rules(walk([root], survey, labels), survey)
    survey_trailer(pdf, survey)
    unused_objects(pdf, survey)
    return survey


def survey_trailer(pdf: pikepdf.Pdf, survey: Survey) -> None:
    trailer = pdf.trailer
    info = trailer.get("/Info")
    if is_dict(info):
        info_entries(info, "document info (/Info)", survey)
        # Mark what only /Info reaches as seen: it is not an unused object.
        list(walk([Pending(info, "document info")], survey, {}))
    survey.drop(trailer, "/Info")
    document_id(trailer, survey)
    for key in list(trailer.keys()):
        if key not in TRAILER_STRUCTURE:
            private_entry(trailer, key, "PDF trailer", survey)


def document_id(trailer: Any, survey: Survey) -> None:
    """The /ID is always replaced. Its two halves differ once a file was saved again,
    and the first half then links it to every earlier copy: that is reported. Equal
    halves look exactly like the fresh ID written here, so they are not."""
    ids = trailer.get("/ID")
    if isinstance(ids, Array) and len(ids) == 2 and hex_text(ids[0]) != hex_text(ids[1]):
        survey.found(Category.HIDDEN, "document ID", hex_text(ids[0]), "PDF trailer")
    survey.drop(trailer, "/ID")


def is_file_structure(obj: Any) -> bool:
    """Objects that carry the file's layout, not the document (or nothing at all)."""
    if not is_dict(obj):
        return not isinstance(obj, (String, Array))
    if obj.get("/Type") in (Name.ObjStm, Name.XRef) or "/Linearized" in obj:
        return True
    # A linearization hint stream: untyped, with an integer /S table offset.
    return isinstance(obj, Stream) and "/Type" not in obj and isinstance(obj.get("/S"), int)


def unused_objects(pdf: pikepdf.Pdf, survey: Survey) -> None:
    """Objects nothing refers to any more (left over by editors): gone after the rewrite."""
    # pikepdf hands out indirect numbers, names and the like as plain Python
    # values; they hold nothing identifying and are dropped with their referrers.
    unused = [obj for obj in pdf.objects if isinstance(obj, pikepdf.Object)
              and obj.objgen not in survey.seen and not is_file_structure(obj)]
    if not unused:
        return
    survey.found(Category.HIDDEN, "unused objects", f"{counted(len(unused), 'object')} left over from editing",
                 "objects no longer part of the document")
    labels = {obj.objgen: "an unused object" for obj in unused}
    nodes = [Pending(obj, "an unused object") for obj in unused if is_container(obj)]
    apply_rules(walk(nodes, survey, labels), survey)


def info_entries(info: Any, where: str, survey: Survey) -> None:
    """An /Info-like dictionary (the document's, a thread's, an included figure's)."""
    for key, value in list(info.items())[:1000]:
        text = as_text(value)
        if text.strip():
            survey.found(key_category(key), key[1:], text, where)
