"""The generated part of the catalogue and the few real files every attachment points at."""

import hashlib
import random
import zlib
from pathlib import Path

from django.core.files.storage import default_storage

from procedures.constants import WORKING_HOURS_PER_DAY
from procedures.management.commands.load_catalogue import sample_process
from procedures.models import (
    DossierComponent,
    Fee,
    FormField,
    Procedure,
    ProcedureStep,
    ProcessStep,
    process_hours,
)
from procedures.search import fold

VARIANT_VERBS = [
    "Cấp lại",
    "Sửa đổi, bổ sung",
    "Gia hạn",
    "Cấp đổi",
    "Điều chỉnh",
    "Đăng ký thay đổi nội dung",
    "Thông báo thay đổi",
    "Xác nhận",
]
VARIANT_SCOPES = [
    "",
    " đối với doanh nghiệp có vốn đầu tư nước ngoài",
    " trong trường hợp bị mất, hư hỏng",
    " theo thủ tục rút gọn",
    " cho chi nhánh, văn phòng đại diện",
    " phạm vi nội tỉnh",
    " phạm vi liên tỉnh",
    " phạm vi quốc tế",
]


# --- Small real files --------------------------------------------------------------------------


def _minimal_pdf(text: str) -> bytes:
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _minimal_png(width: int = 32, height: int = 32) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
        )

    raw = b"".join(b"\x00" + bytes([200, 220, 240]) * width for _ in range(height))
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def store_sample_files() -> dict[str, tuple[str, int, str, str]]:
    """A handful of real small files every attachment row points at: kind -> (name, size,
    sha256, content type)."""
    files = {
        "pdf": (_minimal_pdf("Ho so mau - benchmark"), "application/pdf"),
        "pdf2": (_minimal_pdf("Ban sao giay chung nhan - benchmark"), "application/pdf"),
        "png": (_minimal_png(), "image/png"),
        "result": (_minimal_pdf("Ket qua giai quyet - benchmark"), "application/pdf"),
        "receipt": (_minimal_png(48, 24), "image/png"),
    }
    stored = {}
    for kind, (content, content_type) in files.items():
        ext = "png" if content_type == "image/png" else "pdf"
        name = f"bench/sample-{kind}.{ext}"
        path = Path(default_storage.path(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        stored[kind] = (name, len(content), hashlib.sha256(content).hexdigest(), content_type)
    return stored


# --- Catalogue ---------------------------------------------------------------------------------


def generate_procedures(rng: random.Random, total: int) -> None:
    """Variants of the real catalogue's procedures up to `total`, with their child rows."""
    base = list(
        Procedure.objects.prefetch_related("steps", "components", "form_fields", "fees").order_by(
            "id"
        )
    )
    missing = total - len(base)
    if missing <= 0 or not base:
        return
    taken = {p.name for p in base}
    names = []
    for p in base:
        rest = p.name[4:] if p.name.startswith("Cấp ") else p.name[0].lower() + p.name[1:]
        for verb in VARIANT_VERBS:
            for scope in VARIANT_SCOPES:
                name = f"{verb} {rest}{scope}"
                if name not in taken:
                    names.append((p, name))
    rng.shuffle(names)
    while len(names) < missing:  # only with a tiny catalogue
        p = rng.choice(base)
        names.append((p, f"{p.name} (biến thể {len(names)})"))
    chosen = names[:missing]
    procedures = []
    for i, (source, name) in enumerate(chosen):
        code = f"9.9{i:05d}"
        procedures.append(
            Procedure(
                national_code=code,
                slug=code.replace(".", "-"),
                name=name,
                search_text=fold(f"{name} {code}"),
                field_id=source.field_id,
                agency_id=source.agency_id,
                service_level="partial" if rng.random() < 0.2 else source.service_level,
                applicant_types=source.applicant_types,
                applicants=source.applicants,
                content=source.content,
                conditions=source.conditions,
                processing_days=max(1, source.processing_days + rng.choice([-3, -1, 0, 0, 2, 5])),
                result=source.result,
                legal_basis=source.legal_basis,
                is_published=rng.random() > 0.02,
                is_sample=True,
                popularity=0,
            )
        )
    Procedure.objects.bulk_create(procedures, batch_size=500)
    steps, components, form_fields, fees = [], [], [], []
    for (source, _name), procedure in zip(chosen, procedures, strict=True):
        for s in source.steps.all():
            steps.append(ProcedureStep(procedure=procedure, order=s.order, text=s.text))
        for c in source.components.all():
            components.append(
                DossierComponent(
                    procedure=procedure,
                    order=c.order,
                    name=c.name,
                    description=c.description,
                    required=c.required,
                    copies=c.copies,
                    original_kind=c.original_kind,
                    file_types=c.file_types,
                    max_size_mb=c.max_size_mb,
                    multiple=c.multiple,
                    template=c.template.name or "",
                )
            )
        if rng.random() < 0.15:
            # Scanned technical documents: the large uploads (the 50 MB upload uses one).
            components.append(
                DossierComponent(
                    procedure=procedure,
                    order=99,
                    name="Tài liệu kỹ thuật kèm theo (bản quét)",
                    description="Bản vẽ, thuyết minh kỹ thuật; có thể gồm nhiều tệp.",
                    required=False,
                    copies=1,
                    original_kind="copy",
                    file_types=["pdf"],
                    max_size_mb=50,
                    multiple=True,
                )
            )
        for f in source.form_fields.all():
            form_fields.append(
                FormField(
                    procedure=procedure,
                    order=f.order,
                    key=f.key,
                    label=f.label,
                    kind=f.kind,
                    required=f.required,
                    choices=f.choices,
                    help=f.help,
                )
            )
        for f in source.fees.all():
            fees.append(Fee(procedure=procedure, order=f.order, name=f.name, amount=f.amount))
    for model, rows in (
        (ProcedureStep, steps),
        (DossierComponent, components),
        (FormField, form_fields),
        (Fee, fees),
        (ProcessStep, _variant_processes(procedures)),
    ):
        model.objects.bulk_create(rows, batch_size=2000)


def _variant_processes(procedures: list[Procedure]) -> list[ProcessStep]:
    """A sample internal process for each variant whose processing time its agency's default
    process does not add up to, as `load_catalogue` gives the real catalogue's procedures."""
    defaults: dict[int, list[ProcessStep]] = {}
    for step in ProcessStep.objects.filter(procedure=None).order_by("order", "id"):
        defaults.setdefault(step.agency_id, []).append(step)
    rows = []
    for procedure in procedures:
        days = procedure.processing_days
        if process_hours(defaults.get(procedure.agency_id, [])) == days * WORKING_HOURS_PER_DAY:
            continue
        for order, values in enumerate(sample_process(days)):
            values["is_sample"] = values.pop("sample", True)
            rows.append(ProcessStep(procedure=procedure, order=order, **values))
    return rows
