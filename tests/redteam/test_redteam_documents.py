"""Red-team findings on documents from mainstream generators (reportlab, LibreOffice,
python-docx, exiftool...): each test is one bug that was found and fixed. Fixtures are
built here with pikepdf, Pillow, zipfile and hand-written XML only."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String
from PIL import Image

from intake.clean import clean_bytes
from intake.formats import ooxml, pdf as pdf_format
from intake.formats.base import Category


def _views_text(data: bytes) -> bytes:
    return b"\n".join(view.data for view in pdf_format.views(data))


def _jpeg_with_exif(artist: str) -> bytes:
    image = Image.new("RGB", (32, 24), (120, 30, 200))
    exif = Image.Exif()
    exif[0x013B] = artist  # Artist
    exif[0x8825] = {1: "N", 2: (52.0, 31.0, 12.5), 3: "E", 4: (13.0, 24.0, 1.0)}  # GPS
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def _pdf_with_image(raw: bytes, filters: list[str], **extra: object) -> bytes:
    pdf = pikepdf.new()
    image = pikepdf.Stream(pdf, b"")
    image.write(raw, filter=Array([Name(f) for f in filters]))
    image.Type, image.Subtype = Name.XObject, Name.Image
    image.Width, image.Height, image.ColorSpace, image.BitsPerComponent = 32, 24, Name.DeviceRGB, 8
    page = pdf.add_blank_page(page_size=(200, 200))
    page.Resources = Dictionary(XObject=Dictionary(Im0=image))
    page.Contents = pdf.make_stream(b"q 64 0 0 48 10 10 cm /Im0 Do Q")
    for key, value in extra.items():
        pdf.Root[key] = value
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def test_reportlab_ascii85_jpeg_is_cleaned_not_refused() -> None:
    """reportlab writes every JPEG as [/ASCII85Decode /DCTDecode]; such a PDF was refused
    ("unusual filter chain"), and the EXIF inside was never inspected."""
    jpeg = _jpeg_with_exif("RT-DOC-ARTIST-1")
    data = _pdf_with_image(base64.a85encode(jpeg, adobe=True)[2:], ["/ASCII85Decode", "/DCTDecode"])
    findings = pdf_format.inspect(data)
    assert any("RT-DOC-ARTIST-1" in f.value for f in findings)
    clean = clean_bytes(data).data
    assert b"RT-DOC-ARTIST-1" not in _views_text(clean)
    assert pdf_format.content(clean) == pdf_format.content(data)


def test_asciihex_jpeg_is_cleaned() -> None:
    jpeg = _jpeg_with_exif("RT-DOC-ARTIST-2")
    data = _pdf_with_image(jpeg.hex().encode() + b">", ["/ASCIIHexDecode", "/DCTDecode"])
    clean = clean_bytes(data).data
    assert b"RT-DOC-ARTIST-2" not in _views_text(clean)


def test_layer_usage_user_name_is_removed() -> None:
    """An optional content group's /Usage /User names the people the layer is meant for."""
    pdf = pikepdf.new()
    pdf.add_blank_page()
    user = Dictionary(Type=Name.Ind, Name=String("RT-DOC-LAYER-USER"))
    ocg = pdf.make_indirect(Dictionary(Type=Name.OCG, Name=String("Layer 1"), Usage=Dictionary(User=user)))
    pdf.Root.OCProperties = Dictionary(OCGs=Array([ocg]), D=Dictionary(Order=Array([ocg])))
    buffer = io.BytesIO()
    pdf.save(buffer)
    data = buffer.getvalue()
    assert any(f.value == "RT-DOC-LAYER-USER" for f in pdf_format.inspect(data))
    clean = clean_bytes(data).data
    assert b"RT-DOC-LAYER-USER" not in _views_text(clean)
    with pikepdf.open(io.BytesIO(clean)) as result:  # the layer itself stays
        assert str(result.Root.OCProperties.OCGs[0].Name) == "Layer 1"


def test_reference_xobject_path_is_removed() -> None:
    """A reference XObject (/Ref) names the outside PDF it stands for, with its folder."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(200, 200))
    form = pdf.make_stream(b"0 0 m 10 10 l S")
    form.Type, form.Subtype, form.BBox = Name.XObject, Name.Form, Array([0, 0, 100, 100])
    path = String("C:\\Users\\RT-DOC-Jane\\original.pdf")
    form.Ref = Dictionary(F=Dictionary(Type=Name.Filespec, F=path, UF=path), Page=0)
    page.Resources = Dictionary(XObject=Dictionary(Fm0=form))
    page.Contents = pdf.make_stream(b"/Fm0 Do")
    buffer = io.BytesIO()
    pdf.save(buffer)
    data = buffer.getvalue()
    assert any("RT-DOC-Jane" in f.value for f in pdf_format.inspect(data))
    clean = clean_bytes(data).data
    assert b"RT-DOC-Jane" not in _views_text(clean)
    assert pdf_format.content(clean) == pdf_format.content(data)


# --- OOXML ---------------------------------------------------------------------

_SML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def _zip(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _xlsx(workbook_extra: str, sheet_extra: str) -> bytes:
    guid = "{11111111-2222-3333-4444-555555555555}"
    return _zip({
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{_SML}" xmlns:r="{_REL}">'
            '<bookViews><workbookView/></bookViews><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets>'
            + workbook_extra.format(guid=guid) + '<calcPr calcId="124519"/></workbook>'),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_SML}">'
            '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Witness list</t></is></c>'
            '<c r="B1"><v>42</v></c></row></sheetData>'
            + sheet_extra.format(guid=guid) + '</worksheet>'),
    })


def test_excel_personal_view_names_are_removed(tmp_path: Path) -> None:
    """A shared workbook names each user's personal view after the user."""
    data = _xlsx('<customWorkbookViews><customWorkbookView name="RT-DOC-Jane Roe - Personal View" guid="{guid}" '
                 'personalView="1" windowWidth="100" windowHeight="100" activeSheetId="1"/></customWorkbookViews>',
                 '<customSheetViews><customSheetView guid="{guid}"><selection activeCell="A1"/>'
                 '</customSheetView></customSheetViews>')
    result = clean_bytes(data)
    assert any(f.value == "RT-DOC-Jane Roe - Personal View" and f.category == Category.PERSON
               for f in result.findings)
    with zipfile.ZipFile(io.BytesIO(result.data)) as archive:
        for name in archive.namelist():
            assert b"RT-DOC" not in archive.read(name)
            assert b"customSheetView" not in archive.read(name)
    assert ooxml.content(result.data) == ooxml.content(data)
    if shutil.which("soffice"):
        _opens_in_libreoffice(tmp_path, "clean.xlsx", result.data, "csv")


def _opens_in_libreoffice(tmp_path: Path, name: str, data: bytes, target: str) -> bytes:
    source = tmp_path / name
    source.write_bytes(data)
    out = tmp_path / "out"
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless", "--convert-to",
                    target, "--outdir", str(out), str(source)], check=True, capture_output=True, timeout=180)
    converted = list(out.iterdir())
    assert converted, "LibreOffice could not open the clean copy"
    return converted[0].read_bytes()


def test_excel_range_permissions_lose_their_account_ids(tmp_path: Path) -> None:
    """"Allow users to edit ranges" stores who may edit as Windows account ids (SDDL)."""
    sid = "S-1-5-21-1004336348-1177238915-682003330-1001"
    data = _xlsx("", '<protectedRanges><protectedRange name="Range1" sqref="A1:B2" '
                     f'securityDescriptor="O:WDG:WDD:(A;;CC;;;{sid})"/>'
                     f'<protectedRange name="Range2" sqref="C1"><securityDescriptor>O:WDG:WDD:(A;;CC;;;{sid})'
                     '</securityDescriptor></protectedRange></protectedRanges>')
    result = clean_bytes(data)
    assert any(sid in f.value for f in result.findings)
    with zipfile.ZipFile(io.BytesIO(result.data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert sid.encode() not in sheet
    assert b'name="Range1"' in sheet and b'name="Range2"' in sheet  # the ranges stay
    assert ooxml.content(result.data) == ooxml.content(data)
    if shutil.which("soffice"):
        _opens_in_libreoffice(tmp_path, "clean.xlsx", result.data, "csv")
