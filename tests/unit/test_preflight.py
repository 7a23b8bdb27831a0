"""The editor's pre-send check: every reason a send would be refused, worded for people."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.context import Context
from app.domain.editing import EditorDocument
from app.domain.geometry import PageGeometry
from app.domain.model import AnchorTag, Designation, Field, FieldType, Recipient
from app.domain.problems import Issue, mention
from app.pdf.document import MAX_PDF_BYTES, PdfInfo
from app.providers.base import Provider
from app.services.checks import Problem, Target, errors, explain, preflight
from app.wording import Text

PAGES = [PageGeometry.plain(1, 612, 792), PageGeometry.plain(2, 612, 792)]
PDF = PdfInfo(
    path=Path("contract.pdf"),
    size_bytes=40_000,
    sha256="0" * 64,
    page_count=2,
    pages=PAGES,
    title=None,
)


def good_doc() -> EditorDocument:
    doc = EditorDocument(pages=list(PAGES))
    doc.set_meta(name="Charter handover — BK-12345")
    doc.add_recipient(Recipient("Jane", "Doe", "jane@example.com"))
    doc.add_recipient(Recipient("Bob", "Roe", "bob@example.com", Designation.SIGNER))
    doc.add_fields([Field(0, FieldType.SIGNATURE, 1, 72, 650, 180, 48)])
    doc.add_anchor(AnchorTag("{{sign_bob}}", FieldType.SIGNATURE, 1))
    return doc


@pytest.fixture
def ctx(home: Path) -> Context:
    return Context.from_environment()


@pytest.fixture
def local(ctx: Context) -> Provider:
    return ctx.provider("local")


@pytest.fixture
def itasign(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Provider:
    monkeypatch.setenv("SEALBOX_ITASIGN_API_KEY", "test-key")
    return Context.from_environment().provider("itasign")


COUNTS = {"{{sign_bob}}": 2}


def messages(problems: list[Problem]) -> list[str]:
    return [p.message for p in problems]


def test_a_good_request_has_no_problems(local: Provider) -> None:
    assert preflight(good_doc(), PDF, local, COUNTS) == []


def test_no_document_open(local: Provider) -> None:
    problems = preflight(good_doc(), None, local, COUNTS)
    assert problems == [
        Problem(
            ("document",),
            "No document is open: open the PDF you want to send for signature.",
            Target("document"),
        )
    ]


def test_the_request_name(local: Provider) -> None:
    doc = good_doc()
    doc.set_meta(name="  ")
    assert preflight(doc, PDF, local, COUNTS) == [
        Problem(("name",), "Request name: must not be empty", Target("request"))
    ]


def test_recipient_problems_name_the_recipient(local: Provider) -> None:
    doc = good_doc()
    doc.update_recipient(0, Recipient("Jane", "Doe", "jane-at-example"))
    doc.update_recipient(1, Recipient("", "", "bob@example.com"))
    assert preflight(doc, PDF, local, COUNTS) == [
        Problem(
            ("recipients", 0, "email"),
            "Jane Doe's email: not an email address ('jane-at-example')",
            Target("recipient", 0),
        ),
        Problem(
            ("recipients", 1, "firstName"),
            "Recipient 2's first name: must not be empty",
            Target("recipient", 1),
        ),
    ]


def test_field_problems_target_the_field_id(local: Provider) -> None:
    doc = good_doc()
    # Ids are not positions: remove the first field, add two, the problem names the third id.
    doc.remove_fields(doc.field_ids())
    _ok, bad = doc.add_fields(
        [
            Field(0, FieldType.SIGNATURE, 1, 72, 650, 180, 48),
            Field(0, FieldType.SIGNATURE, 2, 500, 780, 180, 48),
        ]
    )
    assert bad != 2
    problems = preflight(doc, PDF, local, COUNTS)
    assert problems == [
        Problem(
            ("fields", 1),
            "Field 2 (signature, page 2): lies outside page 2 (612 × 792 pt)",
            Target("field", bad),
        )
    ]


def test_field_attribute_problems(local: Provider) -> None:
    doc = good_doc()
    (fid,) = doc.add_fields([Field(0, FieldType.DROPDOWN, 1, 72, 100, 100, 20)])
    problems = preflight(doc, PDF, local, COUNTS)
    assert problems == [
        Problem(
            ("fields", 1, "options"),
            "Field 2 (dropdown, page 1), options: a dropdown field needs at least one option",
            Target("field", fid),
        )
    ]


def test_a_field_for_a_cc_names_the_cc(local: Provider) -> None:
    doc = good_doc()
    doc.add_recipient(Recipient("Carl", "Coe", "carl@example.com", Designation.CC))
    (fid,) = doc.add_fields([Field(2, FieldType.TEXT, 1, 72, 100, 100, 20)])
    problems = preflight(doc, PDF, local, COUNTS)
    assert problems == [
        Problem(
            ("fields", 1, "recipientIndex"),
            "Field 2 (text, page 1), recipient: Carl Coe is a CC and only receives the result; "
            "assign the field to a Signer or Approver",
            Target("field", fid),
        )
    ]


def test_a_missing_anchor(local: Provider) -> None:
    doc = good_doc()
    problems = preflight(doc, PDF, local, {"{{sign_bob}}": 0})
    assert problems == [
        Problem(
            ("anchorTags", 0),
            "Anchor '{{sign_bob}}' is not in the document: fix the anchor text, or untick Required "
            "to send without it",
            Target("anchor", 0),
        )
    ]
    # One that may be missing, or whose count is not known, is not a problem.
    doc.update_anchor(0, replace(doc.anchors[0], ignore_if_not_present=True))
    assert preflight(doc, PDF, local, {"{{sign_bob}}": 0}) == []
    doc.update_anchor(0, replace(doc.anchors[0], ignore_if_not_present=False, required=False))
    assert preflight(doc, PDF, local, {"{{sign_bob}}": 0}) == []
    doc.update_anchor(0, replace(doc.anchors[0], required=True))
    assert preflight(doc, PDF, local, {}) == []


def test_a_signer_with_nothing_to_sign(local: Provider) -> None:
    doc = good_doc()
    doc.add_recipient(Recipient("Al", "Poe", "al@example.com"))
    doc.add_recipient(Recipient("Carl", "Coe", "carl@example.com", Designation.CC))
    doc.add_recipient(Recipient("Ann", "Ode", "ann@example.com", Designation.APPROVER))
    assert preflight(doc, PDF, local, COUNTS) == [
        Problem(
            ("recipients", 2),
            "Al Poe is a Signer but has no field to sign: add a signature field for them or make "
            "them a CC",
            Target("recipient", 2),
        )
    ]


def test_no_fields_at_all_is_said_once(local: Provider) -> None:
    doc = good_doc()
    doc.remove_fields(doc.field_ids())
    doc.remove_anchor(0)
    assert preflight(doc, PDF, local, COUNTS) == [
        Problem(
            ("fields",),
            "Fields: at least one field or anchor tag is required when a recipient is a Signer",
            Target("field"),
        )
    ]


def test_the_file_size(local: Provider) -> None:
    big = replace(PDF, size_bytes=MAX_PDF_BYTES + 1)
    (problem,) = preflight(good_doc(), big, local, COUNTS)
    assert problem.target == Target("document")
    assert problem.message.startswith("Document: 20.1 MiB is over In person's limit")


def test_an_unconfigured_provider_says_how_to_set_it_up(ctx: Context) -> None:
    doc = good_doc()
    doc.remove_fields(doc.field_ids())
    doc.remove_anchor(0)
    problems = preflight(doc, PDF, ctx.provider("itasign"), {})
    assert problems == [
        Problem(
            (),
            "ItaSign needs an API key: enter the API key in Settings › ItaSign.",
            Target("provider"),
        )
    ]


def test_other_configuration_problems_point_to_settings(ctx: Context) -> None:
    (problem, *_) = preflight(good_doc(), PDF, ctx.provider("saypdf"), COUNTS)
    assert problem == Problem(
        (), "SayPDF needs an API key: enter the API key in Settings › SayPDF.", Target("provider")
    )


def test_a_message_the_provider_does_not_deliver_is_a_warning(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEALBOX_SIGNATURE_NC_API_KEY", "test-key")
    signature_nc = Context.from_environment().provider("signature_nc")
    doc = good_doc()
    doc.set_meta(message="Please sign by Friday.")
    problems = preflight(doc, PDF, signature_nc, COUNTS)
    assert problems == [
        Problem(
            ("message",),
            "Message: Signature.nc does not deliver a message to the recipients; it is sent "
            "without it and kept in Sealbox only, so tell them another way if it matters",
            Target("request"),
            "warning",
        )
    ]
    assert problems[0].is_warning and errors(problems) == []


def test_the_built_in_provider_shows_the_message_so_it_is_no_warning(local: Provider) -> None:
    doc = good_doc()
    doc.set_meta(message="Please sign by Friday.")
    assert preflight(doc, PDF, local, COUNTS) == []


def test_warnings_come_after_the_errors_and_name_a_labelled_field(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEALBOX_CRAFTKIT_API_KEY", "test-key")
    craftkit = Context.from_environment().provider("craftkit")
    doc = good_doc()
    doc.set_meta(message="Please sign by Friday.")
    fid = doc.field_ids()[0]
    doc.update_fields({fid: replace(doc.field(fid), label="Tenant")})
    doc.set_meta(name=" ")
    problems = preflight(doc, PDF, craftkit, COUNTS, render_id="render-1")
    assert [(p.severity, p.target) for p in problems] == [
        ("error", Target("request")),
        ("warning", Target("request")),
        ("warning", Target("field", fid)),
    ]
    assert problems[2].message == (
        "Field 1 (signature, page 1), label: Craftkit does not show field labels to signers; "
        "the field's label stays in Sealbox only"
    )
    assert errors(problems) == problems[:1]


def test_craftkit_needs_a_render_id(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEALBOX_CRAFTKIT_API_KEY", "test-key")
    craftkit = Context.from_environment().provider("craftkit")
    problems = preflight(good_doc(), PDF, craftkit, COUNTS)
    assert problems == [
        Problem(
            (),
            "Craftkit sends a render of the document, not the file: "
            "choose the id of a succeeded render to send.",
            Target("provider"),
        )
    ]
    assert preflight(good_doc(), PDF, craftkit, COUNTS, render_id="render-1") == []
    # Anchors are found by Craftkit itself, but one that is not in the document still fails.
    assert messages(preflight(good_doc(), PDF, craftkit, {"{{sign_bob}}": 0}, "render-1")) == [
        "Anchor '{{sign_bob}}' is not in the document: fix the anchor text, or untick Required "
        "to send without it"
    ]


def test_a_provider_without_placed_fields(itasign: Provider) -> None:
    doc = good_doc()
    problems = preflight(doc, PDF, itasign, {"{{sign_bob}}": 0})
    fid = doc.field_ids()[0]
    assert problems == [
        Problem(
            ("fields", 0),
            "Field 1 (signature, page 1): ItaSign does not take placed "
            "fields (its signers place their own); remove the fields or choose another "
            "provider",
            Target("field", fid),
        ),
        Problem(
            ("anchorTags",),
            "Anchors: ItaSign does not take anchor tags; remove them or choose another provider",
            Target("anchor"),
        ),
    ]
    # Without fields there is nothing more to say: signers place their own signatures.
    doc.remove_fields(doc.field_ids())
    doc.remove_anchor(0)
    assert preflight(doc, PDF, itasign, {}) == []


def test_provider_rules_about_recipients(itasign: Provider) -> None:
    doc = good_doc()
    doc.remove_fields(doc.field_ids())
    doc.remove_anchor(0)
    doc.add_recipient(Recipient("Carl", "Coe", "carl@example.com", Designation.CC))
    assert preflight(doc, PDF, itasign, {}) == [
        Problem(
            ("recipients", 2, "designation"),
            "Carl Coe's role: ItaSign has only signers, not CC recipients; make Carl Coe a Signer, "
            "remove them, or choose another provider",
            Target("recipient", 2),
        )
    ]


def test_unsupported_field_types(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEALBOX_SAYPDF_API_KEY", "test-key")
    monkeypatch.setenv("SEALBOX_SENDER_EMAIL", "office@example.com")
    saypdf = Context.from_environment().provider("saypdf")
    doc = good_doc()
    (fid,) = doc.add_fields(
        [Field(0, FieldType.RADIO_BUTTONS, 1, 72, 100, 100, 20, options=("Yes", "No"))]
    )
    assert preflight(doc, PDF, saypdf, COUNTS) == [
        Problem(
            ("fields", 1, "type"),
            "Field 2 (radio buttons, page 1), type: SayPDF cannot take radio_buttons fields",
            Target("field", fid),
        )
    ]


def test_problems_come_in_a_stable_order(ctx: Context) -> None:
    doc = good_doc()
    doc.set_meta(name="")
    doc.update_recipient(0, Recipient("Jane", "Doe", "nope"))
    doc.add_fields([Field(0, FieldType.SIGNATURE, 2, 500, 780, 180, 48)])
    provider = ctx.provider("craftkit")
    first = preflight(doc, PDF, provider, {"{{sign_bob}}": 0})
    assert [p.target.kind for p in first] == [
        "provider",
        "provider",
        "request",
        "recipient",
        "field",
        "anchor",
    ]
    assert preflight(doc, PDF, provider, {"{{sign_bob}}": 0}) == first


BOB = good_doc().recipients[1]


@pytest.mark.parametrize(
    ("issue", "message", "expected"),
    [
        (
            Issue(
                ("recipients", 0, "order"),
                Text("1 is already used by ", mention("recipients[1]", BOB, 1)),
            ),
            "recipients[0].order: 1 is already used by recipients[1]",
            Problem(
                ("recipients", 0, "order"),
                "Jane Doe's signing order: 1 is already used by Bob Roe",
                Target("recipient", 0),
            ),
        ),
        (
            Issue(("recipients",), "at most 20 recipients are allowed (there are 21)"),
            "recipients: at most 20 recipients are allowed (there are 21)",
            Problem(
                ("recipients",),
                "Recipients: at most 20 recipients are allowed (there are 21)",
                Target("recipient"),
            ),
        ),
        (
            Issue(("expirationHours",), "must be between 1 and 8760 (it is 0)"),
            "expirationHours: must be between 1 and 8760 (it is 0)",
            Problem(
                ("expirationHours",),
                "Expiration: must be between 1 and 8760 (it is 0)",
                Target("request"),
            ),
        ),
        (
            Issue(("anchorTags", 0, "width"), "must be greater than 0 and at most 1000 points"),
            "anchorTags[0].width: must be greater than 0 and at most 1000 points",
            Problem(
                ("anchorTags", 0, "width"),
                "Anchor '{{sign_bob}}', width: must be greater than 0 and at most 1000 points",
                Target("anchor", 0),
            ),
        ),
        (
            Issue((), "something without a path"),
            "something without a path",
            Problem((), "something without a path", Target("request")),
        ),
    ],
)
def test_paths_are_rewritten_for_people(issue: Issue, message: str, expected: Problem) -> None:
    assert issue == message  # what the command line prints
    assert explain(issue, good_doc()) == expected


# --- documents that arrive signed, and anchors that make many fields ----------------------------


def signed_pdf(certification: int | None = None) -> PdfInfo:
    from app.pdf.signatures import ExistingSignature

    return replace(
        PDF, signatures=(ExistingSignature("Signature1", "Erika Mustermann", None, certification),)
    )


def test_a_provider_that_would_break_a_signature_is_named(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEALBOX_SIGNATURE_NC_API_KEY", "test-key")
    provider = Context.from_environment().provider("signature_nc")
    problems = preflight(good_doc(), signed_pdf(), provider, COUNTS)
    (problem,) = [p for p in problems if "already signed" in p.message]
    assert problem.message == (
        "Document: contract.pdf is already signed by Erika Mustermann, and Signature.nc would "
        "invalidate that signature (it rewrites the document to add the new signatures); send "
        "it in person with Sealbox or through ItaSign instead"
    )
    assert problem.target == Target("document")


def test_providers_that_keep_signatures_take_a_signed_pdf(
    local: Provider, itasign: Provider
) -> None:
    assert preflight(good_doc(), signed_pdf(), local, COUNTS) == []
    assert not [
        p for p in preflight(good_doc(), signed_pdf(), itasign, COUNTS) if "signed" in p.message
    ]


def test_a_certified_pdf_is_refused_by_every_provider(local: Provider) -> None:
    (problem,) = preflight(good_doc(), signed_pdf(certification=2), local, COUNTS)
    assert problem.message.startswith("Document: contract.pdf is certified by Erika Mustermann")


def test_anchors_that_make_too_many_fields(local: Provider) -> None:
    doc = good_doc()
    doc.add_anchor(AnchorTag("Initials:", FieldType.INITIALS, 0))
    counts = {**COUNTS, "Initials:": 336}
    (problem,) = preflight(doc, PDF, local, counts)
    assert problem.message == (
        "Anchors: they make 338 fields and 1 placed, 339 in all, more than the limit of 200 "
        "('Initials:' alone makes 336); use an anchor text that appears only where a field "
        "belongs, or remove anchors"
    )
    assert problem.target == Target("anchor")
    assert preflight(doc, PDF, local, {**COUNTS, "Initials:": 197}) == []


def test_a_missing_anchor_on_a_scan_says_why(local: Provider) -> None:
    doc = good_doc()
    hint = "; page 2 is a scanned image without a text layer (tick ... to read it)"
    (problem,) = preflight(doc, PDF, local, {"{{sign_bob}}": 0}, anchor_hint=hint)
    assert problem.message.startswith(
        "Anchor '{{sign_bob}}' is not in the document; page 2 is a scanned image without a "
        "text layer (tick ... to read it): fix the anchor text"
    )
