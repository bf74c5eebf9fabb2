"""The visible signature: a box naming the organisation, the person and the time (and a QR code).

pyHanko embeds the font as a CID font whose widths it takes in the font's own units, which PDF
reads as thousandths of an em: a font with another grid (DejaVu Sans, the image's font, has 2048
units per em) would print with gaps between the letters. So a font whose grid is not 1000 is
reduced once to the Latin and Vietnamese letters, rescaled to 1000 units by fontTools, and kept
in the temporary folder for the next runs.
"""

import functools
import logging
import os
import tempfile
import unicodedata
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

# Fonts with every Vietnamese glyph, in order of preference (the first that exists).
FONTS = (
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf",
)
# Basic Latin, Latin-1 and Extended A/B, combining marks, Vietnamese, dashes and quotes.
UNICODE_RANGES = ((0x20, 0x7F), (0xA0, 0x250), (0x300, 0x370), (0x1EA0, 0x1F00), (0x2010, 0x2030))
FONT_SIZE = 10  # the box scales its content down to fit
# Width × height in points, at this distance from the last page's bottom right corner.
SIZE = (220.0, 62.0)
MARGIN = 28.0
A4 = (595.0, 842.0)


def _rescaled(path: Path) -> Path:
    """`path` itself when its grid is 1000 units per em, else a rescaled subset of it."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    font = TTFont(str(path), lazy=True)
    if font["head"].unitsPerEm == 1000:
        return path
    stat = path.stat()
    target = Path(tempfile.gettempdir()) / f"portal-signing-{path.stem}-{stat.st_size}-v2.ttf"
    if target.is_file():
        return target
    font = TTFont(str(path))
    options = subset.Options()
    # Vietnamese is written with precomposed letters (the text is NFC): no shaping tables are
    # needed, and without them the font loads several times faster for every signature.
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH"]
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for low, high in UNICODE_RANGES for c in range(low, high)])
    subsetter.subset(font)
    scale_upem(font, 1000)
    partial = target.with_suffix(f".{os.getpid()}.part")
    font.save(str(partial))
    partial.replace(target)  # atomic: a concurrent run reads a whole file or none
    return target


@functools.cache
def font_path() -> str | None:
    """The font of the visible signature, or None (pyHanko's built-in Courier: no diacritics)."""
    for candidate in FONTS:
        path = Path(candidate)
        if path.is_file():
            try:
                return str(_rescaled(path))
            except Exception:  # a broken font file must not stop signing
                logger.exception("signature font %s unusable", path)
    logger.warning("no font with Vietnamese glyphs for the visible signature")
    return None


def _escape(text: str) -> str:
    """pyHanko fills the appearance text with %-interpolation: keep names literal; NFC, so every
    Vietnamese letter is one precomposed glyph."""
    return unicodedata.normalize("NFC", text).replace("%", "%%")


def stamp_style(*, signer_name: str, signer_title: str, with_qr: bool):
    """The pyHanko stamp style: organisation, person (name – title), signing time; the documents
    are Vietnamese administrative documents, so the words are Vietnamese."""
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import QRStampStyle, TextStampStyle

    lines = [f"Ký số bởi: {_escape(settings.SIGNING_ORGANISATION)}"]
    person = " – ".join(part for part in (signer_name, signer_title) if part)
    if person:
        lines.append(_escape(person))
    lines.append("Thời gian ký: %(ts)s")
    font = font_path()
    text_box = (
        TextBoxStyle(font=GlyphAccumulatorFactory(font, font_size=FONT_SIZE), font_size=FONT_SIZE)
        if font
        else TextBoxStyle(font_size=FONT_SIZE)
    )
    style = QRStampStyle if with_qr else TextStampStyle
    return style(
        stamp_text="\n".join(lines),
        text_box_style=text_box,
        timestamp_format="%d/%m/%Y %H:%M:%S %z",
        border_width=1,
        background=None,
    )


def last_page_box(writer) -> tuple[int, tuple[int, int, int, int]]:
    """The last page's index and the signature box at its bottom right corner."""
    pages = writer.root["/Pages"]
    count = int(pages["/Count"])
    try:
        page_ref, _ = writer.find_page_for_modification(count - 1)
        page = page_ref.get_object() if hasattr(page_ref, "get_object") else page_ref
        box = [float(v) for v in page.get("/MediaBox", pages.get("/MediaBox", [0, 0, *A4]))]
    except (KeyError, ValueError, TypeError, IndexError, AttributeError):
        box = [0.0, 0.0, *A4]
    width, height = SIZE
    right, bottom = box[2] - MARGIN, box[1] + MARGIN
    return count - 1, (round(right - width), round(bottom), round(right), round(bottom + height))
