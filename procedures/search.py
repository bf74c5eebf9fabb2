"""Accent folding for Vietnamese search: "Cấp giấy phép bưu chính" -> "cap giay phep buu chinh"."""

import unicodedata


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ -> d) and collapse spaces."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().split())
