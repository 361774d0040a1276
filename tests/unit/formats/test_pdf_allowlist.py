"""PDF cleaning fails closed: planted values in objects of unusual shape (no /Type,
unknown subtypes, private keys, nested arrays, old revisions) either make
`intake sanitize` refuse the file (exit 1) or are gone from every byte of the
clean copy, checked after full decompression by real qpdf; page text (pdftotext)
and page rendering (pdftoppm, annotations hidden) do not change.

Fixtures are built here with pikepdf; the incremental update is appended by hand.
"""

from __future__ import annotations

import io
import json
import random
import re
import shutil
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name, Stream, String

from intake import clean
from intake.formats import pdf as pdf_format
from intake.errors import Refused
from intake.formats.pdf import leftovers
from planted import encodings
from icc_builders import profile as icc_profile

PERSON = "Jane Q. Dissident"
HOME = "/home/jdissident/leaks/draft.tex"
MAIL = "jane.dissident@example.org"
PLANTED = (PERSON, HOME, MAIL)
TEXT = "Minutes of the port authority, 12 March"
PAGE_CONTENT = f"BT /F1 12 Tf 72 720 Td ({TEXT}) Tj ET\nq /GS1 gs 0 0 1 rg 72 600 100 50 re f Q\n".encode()


def base_pdf() -> tuple[pikepdf.Pdf, pikepdf.Dictionary]:
    pdf = pikepdf.new()
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica,
                                        Encoding=Name.WinAnsiEncoding))
    resources = Dictionary(Font=Dictionary(F1=font), ExtGState=Dictionary(GS1=Dictionary(Type=Name.ExtGState, CA=1)))
    pdf.pages.append(pikepdf.Page(Dictionary(Type=Name.Page, MediaBox=[0, 0, 612, 792], Resources=resources,
                                             Contents=Stream(pdf, PAGE_CONTENT))))
    return pdf, pdf.pages[0].obj


def appearance(pdf: pikepdf.Pdf) -> Stream:
    return Stream(pdf, b"1 0 0 rg 0 0 20 20 re f", Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 20, 20])


def javascript(pdf: pikepdf.Pdf, text: str) -> Dictionary:
    return Dictionary(S=Name.JavaScript, JS=String(f"app.alert('{text}');"))


def plant_untyped_annotations(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    """No /Type, an unlisted /Subtype holding /T and /NM; and a listed one without /Type."""
    unknown = Dictionary(Subtype=Name("/Scribble"), Rect=[10, 10, 30, 30], T=String(PERSON), NM=String(MAIL),
                         Contents=String(HOME), AP=Dictionary(N=appearance(pdf)))
    square = Dictionary(Subtype=Name.Square, Rect=[40, 40, 60, 60], T=String(PERSON), NM=String(MAIL),
                        Subj=String(HOME), M=String("D:20240101000000Z"), AP=Dictionary(N=appearance(pdf)))
    page.Annots = Array([pdf.make_indirect(unknown), pdf.make_indirect(square)])


def plant_untyped_thread(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    bead = pdf.make_indirect(Dictionary(P=page, R=[72, 72, 500, 700]))
    thread = pdf.make_indirect(Dictionary(F=bead, I=Dictionary(Author=String(PERSON), Subject=String(HOME),
                                                               Keywords=String(MAIL))))
    bead.T, bead.N, bead.V = thread, bead, bead
    pdf.Root.Threads = Array([thread])
    page.B = Array([bead])


def plant_javascript(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    named = pdf.make_indirect(javascript(pdf, PERSON))
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("init"), named])))
    script = Stream(pdf, f"var who = '{MAIL}';".encode())
    pdf.Root.OpenAction = Dictionary(S=Name.JavaScript, JS=script)
    link = Dictionary(Subtype=Name.Link, Rect=[72, 700, 300, 730], A=javascript(pdf, HOME))
    page.Annots = Array([pdf.make_indirect(link)])


def plant_embedded_files(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    body = f"{PERSON}\n{HOME}\n{MAIL}\n".encode()
    pdf.attachments["notes.txt"] = pikepdf.AttachedFileSpec(pdf, body, filename="notes.txt")
    spec = Dictionary(F=String("draft.txt"), EF=Dictionary(F=Stream(pdf, zlib.compress(body), Filter=Name.FlateDecode)))
    page.Annots = Array([pdf.make_indirect(Dictionary(Subtype=Name.FileAttachment, Rect=[0, 0, 10, 10], FS=spec))])
    page[Name("/XPrivateData")] = Stream(pdf, body)


def plant_piece_info(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    private = Dictionary(LastModified=String("D:20240101000000Z"), Private=Dictionary(
        Owner=String(PERSON), Data=Stream(pdf, zlib.compress(HOME.encode()), Filter=Name.FlateDecode)))
    pdf.Root.PieceInfo = Dictionary(Illustrator=private)
    page.PieceInfo = Dictionary(Photoshop=Dictionary(Private=String(MAIL)))


def plant_ptex(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    form = Stream(pdf, b"0 1 0 rg 0 0 10 10 re f", Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 10, 10])
    form[Name("/PTEX.FileName")] = String(HOME)
    form[Name("/PTEX.InfoDict")] = Dictionary(Author=String(PERSON), Creator=String(MAIL))
    form[Name("/PTEX.PageNumber")] = 1
    page.Resources.XObject = Dictionary(Fm1=form)
    page.Contents = Stream(pdf, PAGE_CONTENT + b"q /Fm1 Do Q\n")
    pdf.Root[Name("/PTEX.Fullbanner")] = String(f"pdfTeX run by {PERSON}")


def plant_private_keys(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    page[Name("/AuthorNote")] = String(PERSON)
    font = page.Resources.Font.F1
    font[Name("/SourcePath")] = String(HOME)
    font[Name("/Contact")] = Dictionary(Mail=String(MAIL))
    page.Resources[Name("/Private")] = Dictionary(Who=String(PERSON))
    page.Resources.ExtGState.GS1[Name("/Origin")] = Array([String(HOME)])


def plant_nested_arrays(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    deep = Array([Array([String(PERSON), Dictionary(Path=String(HOME))]), Array([Array([String(MAIL)])])])
    page[Name("/Unknown")] = Dictionary(Nested=deep)
    pdf.Root[Name("/Extra")] = pdf.make_indirect(Array([Dictionary(Values=deep)]))


def plant_font_descriptor_texts(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    descriptor = Dictionary(Type=Name.FontDescriptor, FontName=Name.Helvetica, Flags=32, FontBBox=[0, 0, 1000, 1000],
                            ItalicAngle=0, Ascent=718, Descent=-207, CapHeight=718, StemV=88,
                            FontFamily=String(PERSON), CharSet=String(HOME), Style=Dictionary(Panose=String(MAIL)))
    page.Resources.Font.F1.FontDescriptor = pdf.make_indirect(descriptor)


def plant_named_destinations(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    """The names of named destinations are the writer's words; links keep working without them."""
    target = Array([page, Name.XYZ, 0, 792, 0])
    pdf.Root.Names = Dictionary(Dests=Dictionary(Names=Array([String(MAIL), target])))
    link = Dictionary(Subtype=Name.Link, Rect=[72, 700, 300, 730], Dest=String(MAIL))
    page.Annots = Array([pdf.make_indirect(link)])


def plant_form_internals(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    field = pdf.make_indirect(Dictionary(Type=Name.Annot, Subtype=Name.Widget, FT=Name.Tx, T=String("name"),
                                         V=String("kept value"), TM=String(PERSON), Rect=[72, 500, 300, 520],
                                         P=page, AA=Dictionary(K=javascript(pdf, MAIL)),
                                         AP=Dictionary(N=appearance(pdf))))
    page.Annots = Array([field])
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]), XFA=Stream(pdf, f"<xdp>{HOME}</xdp>".encode()),
                                   CO=Array([field]))


def plant_unknown_root_objects(pdf: pikepdf.Pdf, page: pikepdf.Dictionary) -> None:
    """Structure tree, web capture, output intents, private catalog dictionaries."""
    element = Dictionary(S=Name.P, T=String(PERSON), Alt=String(HOME), Pg=page, K=0)
    pdf.Root.StructTreeRoot = Dictionary(Type=Name.StructTreeRoot, K=Array([element]))
    pdf.Root.SpiderInfo = Dictionary(V=1.0, C=Array([Dictionary(URL=String(f"https://{MAIL}/"))]))
    pdf.Root.OutputIntents = Array([Dictionary(Type=Name.OutputIntent, S=Name.GTS_PDFA1,
                                               OutputConditionIdentifier=String(PERSON))])


PLANTINGS: dict[str, Callable[[pikepdf.Pdf, pikepdf.Dictionary], None]] = {
    "untyped annotations": plant_untyped_annotations,
    "untyped thread": plant_untyped_thread,
    "javascript": plant_javascript,
    "embedded files": plant_embedded_files,
    "piece info": plant_piece_info,
    "ptex": plant_ptex,
    "private keys": plant_private_keys,
    "nested arrays": plant_nested_arrays,
    "font descriptor texts": plant_font_descriptor_texts,
    "named destinations": plant_named_destinations,
    "form internals": plant_form_internals,
    "unknown root objects": plant_unknown_root_objects,
}


def saved(pdf: pikepdf.Pdf) -> bytes:
    buffer = io.BytesIO()
    pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.disable, compress_streams=False,
             deterministic_id=True, fix_metadata_version=False)
    return buffer.getvalue()


def planted_pdf(plant: Callable[[pikepdf.Pdf, pikepdf.Dictionary], None]) -> bytes:
    pdf, page = base_pdf()
    plant(pdf, page)
    return saved(pdf)


def with_old_revision() -> bytes:
    """The page as first saved held the planted values; an incremental update rewrote it."""
    pdf, page = base_pdf()
    page[Name("/Notes")] = Dictionary(By=String(PERSON), Path=String(HOME), Mail=String(MAIL))
    first = saved(pdf)
    with pikepdf.open(io.BytesIO(first)) as reopened:
        number, size, root = reopened.pages[0].obj.objgen[0], int(reopened.trailer.Size), reopened.Root.objgen[0]
        resources = reopened.pages[0].obj.Resources.unparse().decode()
        contents = reopened.pages[0].obj.Contents.objgen[0]
        parent = reopened.pages[0].obj.Parent.objgen[0]
    previous = int(re.findall(rb"startxref\s+(\d+)", first)[-1])
    body = bytearray(first)
    offset = len(body)
    body += (f"{number} 0 obj\n<< /Type /Page /Parent {parent} 0 R /MediaBox [0 0 612 792] /Resources {resources} "
             f"/Contents {contents} 0 R >>\nendobj\n").encode()
    xref = len(body)
    body += f"xref\n0 1\n0000000000 65535 f \n{number} 1\n{offset:010d} 00000 n \n".encode()
    body += (f"trailer\n<< /Size {size} /Root {root} 0 R /Prev {previous} >>\nstartxref\n{xref}\n%%EOF\n").encode()
    return bytes(body)


CASES = {**{name: planted_pdf(plant) for name, plant in PLANTINGS.items()}, "old revision": with_old_revision()}


def run_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    intake = Path(sys.executable).with_name("intake")
    return subprocess.run([str(intake), *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def sanitized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Path, Path]]:
    """Every case through `intake sanitize` at once: name -> (status, original, clean copy)."""
    folder = tmp_path_factory.mktemp("allowlist")
    inbox, out = folder / "inbox", folder / "out"
    inbox.mkdir()
    for number, (name, data) in enumerate(CASES.items()):
        (inbox / f"case{number}.pdf").write_bytes(data)
    result = run_cli("sanitize", inbox, "-o", out, "--json")
    assert result.returncode in (0, 1), result.stderr
    statuses = {Path(f["path"]).name: f["status"] for f in json.loads(result.stdout)["files"]}
    return {name: (statuses[f"case{number}.pdf"], inbox / f"case{number}.pdf", out / "inbox" / f"case{number}.pdf")
            for number, name in enumerate(CASES)}


def fully_decompressed(path: Path, tmp_path: Path) -> bytes:
    """The file as real qpdf writes it with every stream decoded and no object streams."""
    target = tmp_path / (path.stem + ".qdf.pdf")
    result = subprocess.run(["qpdf", "--qdf", "--object-streams=disable", "--decode-level=all", str(path),
                             str(target)], capture_output=True, timeout=120)
    assert result.returncode in (0, 3), result.stderr  # 3: warnings only
    return target.read_bytes()


def page_text(path: Path) -> bytes:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, timeout=120).stdout


def rendered(path: Path, tmp_path: Path) -> list[bytes]:
    prefix = tmp_path / f"render-{path.parent.name}-{path.stem}"
    subprocess.run(["pdftoppm", "-r", "36", "-hide-annotations", str(path), str(prefix)], check=True,
                   capture_output=True, timeout=120)
    return [image.read_bytes() for image in sorted(tmp_path.glob(f"{prefix.name}*.ppm"))]


def page_streams(path: Path) -> list[bytes]:
    with pikepdf.open(path) as pdf:
        return [page.obj.Contents.read_bytes() for page in pdf.pages]


def test_every_case_holds_the_planted_values_before_cleaning(tmp_path: Path) -> None:
    """The checks below mean something: each value is there in the original."""
    if shutil.which("qpdf") is None:
        pytest.skip("qpdf is not installed")
    for name, data in CASES.items():
        source = tmp_path / "original.pdf"
        source.write_bytes(data)
        reachable = data + fully_decompressed(source, tmp_path)  # an old revision is only in the raw bytes
        assert any(encoded in reachable for value in PLANTED for encoded in encodings(value)), name


@pytest.mark.parametrize("name", sorted(CASES))
def test_planted_values_are_refused_or_gone(name: str, sanitized: dict, tmp_path: Path) -> None:
    status, original, cleaned = sanitized[name]
    if status == "refused":
        assert not cleaned.exists()
        return
    assert status == "cleaned"
    data = cleaned.read_bytes()
    haystacks = [data] + [view.data for view in pdf_format.views(data)]
    if shutil.which("qpdf"):
        haystacks.append(fully_decompressed(cleaned, tmp_path))
    for value in PLANTED:
        for encoded in encodings(value):
            assert not any(encoded in haystack for haystack in haystacks), f"{value!r} left"


@pytest.mark.parametrize("name", sorted(CASES))
def test_page_text_and_rendering_are_unchanged(name: str, sanitized: dict, tmp_path: Path) -> None:
    status, original, cleaned = sanitized[name]
    if status == "refused":
        pytest.skip("refused: nothing written")
    assert page_streams(cleaned) == page_streams(original)
    if shutil.which("pdftotext"):
        assert page_text(cleaned) == page_text(original) and TEXT.encode() in page_text(cleaned)
    if shutil.which("pdftoppm"):
        assert rendered(cleaned, tmp_path) == rendered(original, tmp_path)


def test_unusual_shapes_are_cleaned_not_refused(sanitized: dict) -> None:
    """The allow-list makes these cleanable: none of them needs a refusal."""
    assert {name: status for name, (status, _, _) in sanitized.items() if status != "cleaned"} == {}


def test_annotations_keep_what_renders() -> None:
    clean_copy = pdf_format.sanitize(CASES["untyped annotations"])
    with pikepdf.open(io.BytesIO(clean_copy)) as pdf:
        annotations = list(pdf.pages[0].Annots)
        assert [str(a.Subtype) for a in annotations] == ["/Square"]  # the unknown subtype is gone whole
        square = annotations[0]
        assert set(square.keys()) == {"/Subtype", "/Rect", "/AP"}
        assert square.AP.N.read_bytes() == b"1 0 0 rg 0 0 20 20 re f"


def test_links_to_named_destinations_point_at_the_page() -> None:
    clean_copy = pdf_format.sanitize(CASES["named destinations"])
    with pikepdf.open(io.BytesIO(clean_copy)) as pdf:
        link = pdf.pages[0].Annots[0]
        assert "/Names" not in pdf.Root
        assert link.Dest[0].objgen == pdf.pages[0].obj.objgen and link.Dest[1] == Name.XYZ


def test_form_fields_keep_their_names_and_values() -> None:
    clean_copy = pdf_format.sanitize(CASES["form internals"])
    with pikepdf.open(io.BytesIO(clean_copy)) as pdf:
        field = pdf.Root.AcroForm.Fields[0]
        assert str(field.T) == "name" and str(field.V) == "kept value"
        assert "/TM" not in field and "/AA" not in field and set(pdf.Root.AcroForm.keys()) == {"/Fields"}


def test_the_standard_srgb_profile_does_not_cause_a_refusal() -> None:
    """"sRGB IEC61966-2.1" removed from the XMP stays inside the kept standard profile:
    that is not a leftover."""
    pdf, page = base_pdf()
    profile = Stream(pdf, icc_profile(), N=3)
    image = Stream(pdf, bytes(range(48)), Type=Name.XObject, Subtype=Name.Image, Width=4, Height=4,
                   BitsPerComponent=8, ColorSpace=Array([Name.ICCBased, profile]))
    page.Resources.XObject = Dictionary(Im1=image)
    page.Contents = Stream(pdf, PAGE_CONTENT + b"q 40 0 0 40 72 400 cm /Im1 Do Q\n")
    pdf.Root.Metadata = Stream(pdf, (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        'photoshop:ICCProfile="sRGB IEC61966-2.1"/></rdf:RDF></x:xmpmeta>').encode(), Type=Name.Metadata,
        Subtype=Name.XML)
    data = saved(pdf)
    result = clean.clean_bytes(data)
    assert any(f.value == "sRGB IEC61966-2.1" for f in result.findings)
    with pikepdf.open(io.BytesIO(result.data)) as cleaned:
        kept = cleaned.pages[0].Resources.XObject.Im1.ColorSpace[1].read_bytes()
    assert kept == icc_profile()


# --- what rendering needs stays -----------------------------------------------------------------------

RICH_CONTENT = (b"BT /F1 12 Tf 72 720 Td (" + TEXT.encode() + b") Tj ET\n"
                b"BT /F2 12 Tf 72 700 Td <0001000200030004> Tj ET\n"
                b"/CS1 cs 0.5 scn 72 600 50 50 re f /CS2 cs 200 scn 130 600 50 50 re f\n"
                b"/CS3 cs 0.2 0.7 scn 190 600 50 50 re f /Pattern cs /P1 scn 250 600 50 50 re f\n"
                b"/Pattern cs /P2 scn 310 600 50 50 re f /GS1 gs /OC /L1 BDC 72 500 100 50 re f EMC\n"
                b"q 40 0 0 40 400 600 cm /Im1 Do Q\n")


def rich_rendering_pdf() -> bytes:
    """Most of what real files use to draw, with values a reader sees and none that identify."""
    pdf, page = base_pdf()
    tint = Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[0, 1, 0, 0], N=1)
    to_unicode = Stream(pdf, b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Adobe-Identity-UCS "
                             b"def 1 begincodespacerange <0000> <FFFF> endcodespacerange endcmap end end")
    cid_font = Dictionary(Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=Name("/ABCDEF+DejaVuSans"),
                          CIDSystemInfo=Dictionary(Registry=String("Adobe"), Ordering=String("Identity"), Supplement=0),
                          DW=1000, W=Array([1, Array([500, 600])]), CIDToGIDMap=Name.Identity)
    composite = Dictionary(Type=Name.Font, Subtype=Name.Type0, BaseFont=Name("/ABCDEF+DejaVuSans"),
                           Encoding=Name("/Identity-H"), DescendantFonts=Array([cid_font]), ToUnicode=to_unicode)
    page.Resources.Font.F2 = pdf.make_indirect(composite)
    shading = Dictionary(ShadingType=2, ColorSpace=Name.DeviceRGB, Coords=[0, 0, 50, 0], Extend=[True, True],
                         Function=Dictionary(FunctionType=2, Domain=[0, 1], C0=[1, 0, 0], C1=[0, 0, 1], N=1))
    tile = Stream(pdf, b"0 0 5 5 re f", Type=Name.Pattern, PatternType=1, PaintType=1, TilingType=1,
                  BBox=[0, 0, 10, 10], XStep=10, YStep=10, Resources=Dictionary())
    page.Resources.ColorSpace = Dictionary(
        CS1=Array([Name.Separation, Name("/PANTONE#20185#20C"), Name.DeviceCMYK, tint]),
        CS2=Array([Name.Indexed, Name.DeviceRGB, 255, String(bytes(range(256)) * 3)]),
        CS3=Array([Name.DeviceN, Array([Name.Cyan, Name("/Spot#20One")]), Name.DeviceCMYK,
                   Dictionary(FunctionType=2, Domain=[0, 1, 0, 1], C0=[0, 0, 0, 0], C1=[1, 0, 0, 0], N=1),
                   Dictionary(Subtype=Name.DeviceN, Colorants=Dictionary(
                       Spot=Array([Name.Separation, Name("/Spot#20One"), Name.DeviceCMYK, tint])))]))
    page.Resources.Pattern = Dictionary(P1=Dictionary(Type=Name.Pattern, PatternType=2, Shading=shading), P2=tile)
    mask = Stream(pdf, b"0.5 g 0 0 10 10 re f", Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 10, 10],
                  Group=Dictionary(S=Name.Transparency, CS=Name.DeviceGray))
    page.Resources.ExtGState.GS1 = Dictionary(Type=Name.ExtGState, CA=0.5, ca=0.5, BM=Name.Multiply,
                                              SMask=Dictionary(Type=Name.Mask, S=Name.Luminosity, G=mask))
    smask = Stream(pdf, bytes(range(16)), Type=Name.XObject, Subtype=Name.Image, Width=4, Height=4,
                   BitsPerComponent=8, ColorSpace=Name.DeviceGray)
    page.Resources.XObject = Dictionary(Im1=Stream(pdf, bytes(range(48)), Type=Name.XObject, Subtype=Name.Image,
                                                   Width=4, Height=4, BitsPerComponent=8, Interpolate=True,
                                                   ColorSpace=Name.DeviceRGB, SMask=smask))
    layer = pdf.make_indirect(Dictionary(Type=Name.OCG, Name=String("Annotations layer"), Intent=Name.View))
    page.Resources.Properties = Dictionary(L1=layer)
    pdf.Root.OCProperties = Dictionary(OCGs=Array([layer]), D=Dictionary(
        ON=Array([layer]), Order=Array([String("Group label"), layer]), BaseState=Name.ON))
    page.Contents = Stream(pdf, PAGE_CONTENT + RICH_CONTENT)
    on = appearance(pdf)
    checkbox = pdf.make_indirect(Dictionary(
        Type=Name.Annot, Subtype=Name.Widget, FT=Name.Btn, T=String("agree"), V=Name.Yes, AS=Name.Yes,
        Rect=[72, 400, 92, 420], F=4, P=page, DA=String("/ZaDb 0 Tf 0 g"),
        MK=Dictionary(BC=[0], CA=String("4")), AP=Dictionary(N=Dictionary(Yes=on, Off=appearance(pdf)))))
    free_text = pdf.make_indirect(Dictionary(Subtype=Name.FreeText, Rect=[100, 400, 200, 430],
                                             Contents=String("Reviewed"), DA=String("/Helv 10 Tf 0 g"),
                                             AP=Dictionary(N=appearance(pdf)), F=4))
    ink = pdf.make_indirect(Dictionary(Subtype=Name.Ink, Rect=[300, 400, 350, 450], InkList=[[300, 400, 350, 450]],
                                       C=[1, 0, 0], BS=Dictionary(W=2), AP=Dictionary(N=appearance(pdf))))
    link = pdf.make_indirect(Dictionary(Subtype=Name.Link, Rect=[72, 715, 300, 730], Border=[0, 0, 0],
                                        Dest=Name("/chapter1")))
    page.Annots = Array([checkbox, free_text, ink, link])
    zadb = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.ZapfDingbats)
    helv = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    pdf.Root.AcroForm = Dictionary(Fields=Array([checkbox]), DA=String("/Helv 0 Tf 0 g"),
                                   DR=Dictionary(Font=Dictionary(ZaDb=zadb, Helv=helv)))
    pdf.Root.Dests = Dictionary(chapter1=Array([page, Name.FitH, 720]))
    pdf.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.r, P=String("Annex "))]))
    item = pdf.make_indirect(Dictionary(Title=String("Chapter one"), Dest=Name("/chapter1")))
    pdf.Root.Outlines = pdf.make_indirect(Dictionary(Type=Name.Outlines, First=item, Last=item, Count=1))
    item.Parent = pdf.Root.Outlines
    pdf.Root.Lang = String("en-GB")
    pdf.Root.PageMode = Name.UseOutlines
    pdf.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True, Direction=Name.L2R)
    return saved(pdf)


def test_what_rendering_needs_is_cleaned_not_refused(tmp_path: Path) -> None:
    data = rich_rendering_pdf()
    result = clean.clean_bytes(data)
    (tmp_path / "before.pdf").write_bytes(data)
    (tmp_path / "after.pdf").write_bytes(result.data)
    if shutil.which("pdftoppm"):
        before = subprocess.run(["pdftoppm", "-r", "36", str(tmp_path / "before.pdf")], capture_output=True).stdout
        after = subprocess.run(["pdftoppm", "-r", "36", str(tmp_path / "after.pdf")], capture_output=True).stdout
        assert before == after and before  # annotations shown: their appearances stay too
    if shutil.which("pdftotext"):
        assert page_text(tmp_path / "after.pdf") == page_text(tmp_path / "before.pdf")
    with pikepdf.open(io.BytesIO(result.data)) as pdf:
        page = pdf.pages[0].obj
        assert set(page.Resources.keys()) >= {"/Font", "/ColorSpace", "/Pattern", "/ExtGState", "/XObject",
                                              "/Properties"}
        assert bytes(page.Resources.ColorSpace.CS2[3]) == bytes(range(256)) * 3
        assert str(page.Resources.Font.F2.DescendantFonts[0].CIDSystemInfo.Ordering) == "Identity"
        assert [str(a.Subtype) for a in page.Annots] == ["/Widget", "/FreeText", "/Ink", "/Link"]
        assert page.Annots[3].Dest[0].objgen == page.objgen and pdf.Root.Outlines.First.Dest[1] == Name.FitH
        assert list(pdf.Root.OCProperties.D.Order) == [pdf.Root.OCProperties.OCGs[0]]  # the label string went
        assert str(pdf.Root.PageLabels.Nums[1].P) == "Annex " and str(pdf.Root.Lang) == "en-GB"
        assert "/Dests" not in pdf.Root


# --- planted anywhere -------------------------------------------------------------------------------

PRIVATE_KEYS = ("/Author", "/NM", "/M", "/Subj", "/Private", "/PTEX.FileName", "/X-Owner", "/Info", "/Creator",
                "/Comment", "/Data", "/Path", "/I", "/PieceInfo", "/Metadata", "/AF", "/StructParent")


def rich_document() -> tuple[pikepdf.Pdf, list[pikepdf.Object]]:
    """One object of each role a planted value could hide in."""
    pdf, page = base_pdf()
    font = page.Resources.Font.F1
    font.FontDescriptor = pdf.make_indirect(Dictionary(Type=Name.FontDescriptor, FontName=Name.Helvetica, Flags=32,
                                                       FontBBox=[0, 0, 1000, 1000], ItalicAngle=0, Ascent=718,
                                                       Descent=-207, CapHeight=718, StemV=88))
    image = Stream(pdf, bytes(48), Type=Name.XObject, Subtype=Name.Image, Width=4, Height=4, BitsPerComponent=8,
                   ColorSpace=Name.DeviceRGB)
    form = appearance(pdf)
    page.Resources.XObject = Dictionary(Im1=image, Fm1=form)
    page.Contents = Stream(pdf, PAGE_CONTENT + b"q 20 0 0 20 72 300 cm /Im1 Do Q q /Fm1 Do Q\n")
    square = pdf.make_indirect(Dictionary(Subtype=Name.Square, Rect=[40, 40, 60, 60], AP=Dictionary(N=form)))
    link = pdf.make_indirect(Dictionary(Subtype=Name.Link, Rect=[0, 0, 9, 9],
                                        A=Dictionary(S=Name.URI, URI=String("https://example.org/"))))
    field = pdf.make_indirect(Dictionary(Subtype=Name.Widget, FT=Name.Tx, T=String("f"), Rect=[0, 0, 5, 5], P=page))
    page.Annots = Array([square, link, field])
    layer = pdf.make_indirect(Dictionary(Type=Name.OCG, Name=String("Layer")))
    pdf.Root.OCProperties = Dictionary(OCGs=Array([layer]), D=Dictionary(ON=Array([layer])))
    pdf.Root.AcroForm = Dictionary(Fields=Array([field]))
    item = pdf.make_indirect(Dictionary(Title=String("Part one"), Dest=Array([page, Name.Fit])))
    pdf.Root.Outlines = pdf.make_indirect(Dictionary(First=item, Last=item, Count=1))
    item.Parent = pdf.Root.Outlines
    targets = [pdf.Root, pdf.Root.Pages, page, page.Resources, font, font.FontDescriptor, image, form, square, link,
               link.A, field, layer, pdf.Root.OCProperties, pdf.Root.AcroForm, item, pdf.Root.Outlines,
               page.Resources.ExtGState.GS1]
    return pdf, targets


def planted_value(pdf: pikepdf.Pdf, rng: random.Random, value: str) -> pikepdf.Object:
    shapes = [lambda: String(value), lambda: Array([1, Array([String(value)])]),
              lambda: Dictionary({rng.choice(PRIVATE_KEYS): String(value)}),
              lambda: Stream(pdf, zlib.compress(value.encode("utf-16-be")), Filter=Name.FlateDecode),
              lambda: pdf.make_indirect(Dictionary(Kids=Array([Dictionary(T=String(value))])))]
    return rng.choice(shapes)()


@pytest.mark.parametrize("seed", range(24))
def test_values_planted_at_random_are_refused_or_gone(seed: int) -> None:
    rng = random.Random(seed)
    pdf, targets = rich_document()
    for value in PLANTED:
        target = rng.choice(targets)
        target[Name(rng.choice(PRIVATE_KEYS))] = planted_value(pdf, rng, value)
    data = saved(pdf)
    try:
        result = clean.clean_bytes(data)
    except Refused:
        return
    haystacks = [result.data] + [view.data for view in pdf_format.views(result.data)]
    for value in PLANTED:
        assert not any(encoded in haystack for haystack in haystacks for encoded in encodings(value)), value
    assert pdf_format.inspect(result.data) == []


# --- the leftover check, on its own ---------------------------------------------------------------


@pytest.fixture(scope="module")
def clean_base() -> bytes:
    pdf, _ = base_pdf()
    return pdf_format.sanitize(saved(pdf))


def edited(data: bytes, edit: Callable[[pikepdf.Pdf], None]) -> pikepdf.Pdf:
    pdf = pikepdf.open(io.BytesIO(data))
    edit(pdf)
    return pdf


LEFTOVERS = {
    "unlisted key": lambda pdf: pdf.pages[0].obj.__setitem__(Name("/Owner"), 1),
    "string at a listed key": lambda pdf: pdf.pages[0].obj.Resources.Font.F1.__setitem__(
        Name.BaseFont, String(PERSON)),
    "unknown name value": lambda pdf: pdf.Root.__setitem__(Name.PageMode, Name("/JaneDissident")),
    "string in a nested array": lambda pdf: pdf.pages[0].obj.__setitem__(
        Name.MediaBox, Array([0, 0, 612, Array([String(MAIL)])])),
    "default appearance with a stranger's name": lambda pdf: pdf.Root.__setitem__(
        Name.AcroForm, Dictionary(Fields=Array(), DA=String("/JaneDissident 12 Tf 0 g"))),
    "unknown font registry": lambda pdf: pdf.pages[0].obj.Resources.Font.F1.__setitem__(
        Name.CIDSystemInfo, Dictionary(Registry=String(PERSON), Ordering=String("Identity"), Supplement=0)),
    "private key in a font held by an array": lambda pdf: pdf.pages[0].obj.Resources.ExtGState.GS1.__setitem__(
        Name.Font, Array([Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Owner=1), 12])),
    "private key under a resource named like a map": lambda pdf: pdf.pages[0].obj.Resources.__setitem__(
        Name.XObject, Dictionary(Font=Stream(pdf, b"", Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 1, 1],
                                             Owner=1))),
    "language that is not a tag": lambda pdf: pdf.Root.__setitem__(Name.Lang, String("Jane Q. Dissident")),
}


@pytest.mark.parametrize("name", sorted(LEFTOVERS))
def test_the_leftover_check_refuses_what_may_not_remain(name: str, clean_base: bytes) -> None:
    with edited(clean_base, LEFTOVERS[name]) as pdf:
        with pytest.raises(Refused) as refusal:
            leftovers.check(pdf)
    assert PERSON not in str(refusal.value) and MAIL not in str(refusal.value)  # never the value itself


def test_the_leftover_check_passes_clean_copies_and_kept_text(clean_base: bytes) -> None:
    def add_comment(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.Annots = Array([pdf.make_indirect(Dictionary(
            Subtype=Name.Text, Rect=[0, 0, 10, 10], Contents=String(PERSON)))])
        pdf.Root.AcroForm = Dictionary(Fields=Array(), DA=String("/F1 12 Tf 0 g"))

    with pikepdf.open(io.BytesIO(clean_base)) as pdf:
        leftovers.check(pdf)
    with edited(clean_base, add_comment) as pdf:  # comment text is what the reader sees: it stays
        leftovers.check(pdf)


def test_a_name_the_rebuild_keeps_is_still_refused_by_the_check(clean_base: bytes) -> None:
    """/PageMode keeps a name; a name no standard knows fails the file at the end."""
    with edited(clean_base, LEFTOVERS["unknown name value"]) as pdf:
        data = saved(pdf)
    with pytest.raises(Refused):
        pdf_format.sanitize(data)


def test_a_copy_cleaned_by_a_deny_list_does_not_inspect_clean(clean_base: bytes) -> None:
    """An annotation without /Type and of an unlisted subtype kept its author: `inspect`
    (which `receive` runs on every clean copy) now reports it."""
    def add_unknown_annotation(pdf: pikepdf.Pdf) -> None:
        pdf.pages[0].obj.Annots = Array([pdf.make_indirect(Dictionary(
            Subtype=Name("/Scribble"), Rect=[0, 0, 10, 10], T=String(PERSON)))])

    with edited(clean_base, add_unknown_annotation) as pdf:
        data = saved(pdf)
    assert "entries no role keeps" in [f.field for f in pdf_format.inspect(data)]
    assert pdf_format.inspect(clean_base) == []
    assert clean.inspect_bytes(data).findings


def test_keys_that_are_not_utf8_and_references_to_nothing_are_dropped_not_refused() -> None:
    """pikepdf cannot look such keys up with .get (a Latin-1 name, /Caf#E9), and an entry
    whose value is a reference to a missing object cannot be deleted: both once made the
    whole file a refusal."""
    from pdf_builders import EMPTY_STREAM, PAGES, simple_pdf

    catalog = b"<< /Type /Catalog /Pages 2 0 R /Caf#E9 (" + PERSON.encode() + b") /Lang (en) >>"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] /Contents 4 0 R /Thumb 99 0 R /Na#EFve (x) >>"
    data = simple_pdf([catalog, PAGES, page, EMPTY_STREAM])
    result = clean.clean_bytes(data)
    assert PERSON.encode() not in result.data and b"Caf" not in result.data and b"Na#EF" not in result.data
