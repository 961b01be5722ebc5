"""edXML packages the edoc-exchange checks send: conformant e-documents and status packages, and hostile ones.

Every package carries a ``DocumentId`` unique to the run (the run id and a counter), so the checks
can run against a shared staging platform. The conformant ones pass every mandatory ``edxml``
requirement (a test keeps it so).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from xml.sax.saxutils import escape

__all__ = ["Agency", "PackageMaker", "document_id"]

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
_PDF = b"%PDF-1.7\n" + bytes(range(256)) * 4


@dataclass(frozen=True)
class Agency:
    """An agency as the platform lists it: its code and name."""

    organ_id: str
    name: str


def document_id(organ_id: str, day: str, number: str, notation: str) -> str:
    """The edXML ``DocumentId``: ``OrganId,yyyy/MM/dd,Number/Notation``."""
    return f"{organ_id},{day},{number}/{notation}"


def _organ(tag: str, agency: Agency) -> str:
    slug = hashlib.sha256(agency.organ_id.encode()).hexdigest()[:6]
    return (f"<edXML:{tag}><edXML:OrganId>{escape(agency.organ_id)}</edXML:OrganId>"
            f"<edXML:OrganizationInCharge>{escape(agency.name)}</edXML:OrganizationInCharge>"
            f"<edXML:OrganName>{escape(agency.name[:200])}</edXML:OrganName>"
            f"<edXML:OrganAdd>Số 1, đường Trần Hưng Đạo, thành phố Tây Ninh</edXML:OrganAdd>"
            f"<edXML:Email>vanthu.{slug}@tayninh.gov.vn</edXML:Email>"
            f"<edXML:Telephone>0276.3822111</edXML:Telephone><edXML:Fax>0276.3822112</edXML:Fax>"
            f"<edXML:Website>https://tayninh.gov.vn</edXML:Website></edXML:{tag}>")


class PackageMaker:
    """Builds the run's packages: each e-document gets the next number and a run-unique notation."""

    def __init__(self, run_id: str, now: datetime) -> None:
        self.notation = f"LT-{run_id.upper()}"
        self.now = now
        self._numbers = itertools.count(1)

    def edoc(self, sender: Agency, recipients: Sequence[Agency], *, subject: str | None = None,
             promulgation_date: str | None = None, from_organ: Agency | None = None) -> tuple[bytes, str]:
        """A conformant e-document package and its ``DocumentId``; the overrides make it invalid on purpose."""
        number = str(next(self._numbers))
        day = self.now.strftime("%Y/%m/%d")
        author = from_organ or sender
        doc_id = document_id(author.organ_id, day, number, self.notation)
        stamp = self.now.strftime("%Y/%m/%d %H:%M:%S")
        text = subject if subject is not None else f"Về việc kiểm thử liên thông văn bản điện tử số {number}"
        attachment = base64.encodebytes(_PDF).decode()
        cid = f"cid:{hashlib.sha256(doc_id.encode()).hexdigest()[:32]}"
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NS}" xmlns:edXML="{NS}">'
            "<edXML:edXMLEnvelope><edXML:edXMLHeader><edXML:MessageHeader>"
            + _organ("From", author) + "".join(_organ("To", r) for r in recipients)
            + f"<edXML:DocumentId>{escape(doc_id)}</edXML:DocumentId>"
            f"<edXML:Code><edXML:CodeNumber>{number}</edXML:CodeNumber>"
            f"<edXML:CodeNotation>{self.notation}</edXML:CodeNotation></edXML:Code>"
            f"<edXML:PromulgationInfo><edXML:Place>Tây Ninh</edXML:Place>"
            f"<edXML:PromulgationDate>{promulgation_date or day}</edXML:PromulgationDate></edXML:PromulgationInfo>"
            "<edXML:DocumentType><edXML:Type>1</edXML:Type><edXML:TypeDetail>1</edXML:TypeDetail>"
            "<edXML:TypeName>Công văn</edXML:TypeName></edXML:DocumentType>"
            f"<edXML:Subject>{escape(text)}</edXML:Subject>"
            "<edXML:Content>Văn bản do công cụ kiểm thử sự phù hợp tạo ra.</edXML:Content>"
            "<edXML:SignerInfo><edXML:Competence>KT. GIÁM ĐỐC</edXML:Competence>"
            "<edXML:Position>Phó Giám đốc</edXML:Position><edXML:FullName>Nguyễn Văn An</edXML:FullName>"
            "</edXML:SignerInfo>"
            f"<edXML:DueDate>{(self.now + timedelta(days=15)).strftime('%Y/%m/%d')}</edXML:DueDate>"
            "<edXML:OtherInfo><edXML:Priority>0</edXML:Priority>"
            "<edXML:SphereOfPromulgation>Tỉnh Tây Ninh</edXML:SphereOfPromulgation>"
            "<edXML:TyperNotation>NVA</edXML:TyperNotation><edXML:PromulgationAmount>1</edXML:PromulgationAmount>"
            "<edXML:PageAmount>1</edXML:PageAmount><edXML:Direction>false</edXML:Direction></edXML:OtherInfo>"
            "<edXML:SteeringType>0</edXML:SteeringType>"
            "<edXML:ToPlaces><edXML:Place>Như trên</edXML:Place></edXML:ToPlaces>"
            "</edXML:MessageHeader><edXML:TraceHeaderList><edXML:TraceHeader>"
            f"<edXML:OrganId>{escape(author.organ_id)}</edXML:OrganId><edXML:Timestamp>{stamp}</edXML:Timestamp>"
            "</edXML:TraceHeader><edXML:Bussiness>"
            f"<edXML:DocumentId>{escape(doc_id)}</edXML:DocumentId><edXML:BussinessDocType>0</edXML:BussinessDocType>"
            "<edXML:BussinessDocReason>Gửi văn bản mới</edXML:BussinessDocReason><edXML:Paper>0</edXML:Paper>"
            "<edXML:StaffInfo><edXML:Department>Văn thư</edXML:Department><edXML:Staff>Lê Thị Hoa</edXML:Staff>"
            "<edXML:Email>hoalt@tayninh.gov.vn</edXML:Email><edXML:Mobile>0912345678</edXML:Mobile>"
            "</edXML:StaffInfo></edXML:Bussiness></edXML:TraceHeaderList></edXML:edXMLHeader>"
            "<edXML:edXMLBody><edXML:edXMLManifest version=\"1.0\"><edXML:Reference>"
            f"<edXML:ContentId>{cid}</edXML:ContentId><edXML:ContentType>application/pdf</edXML:ContentType>"
            "<edXML:Description>Văn bản chính</edXML:Description>"
            f"<edXML:AttachmentName>Công văn {number}.pdf</edXML:AttachmentName>"
            "</edXML:Reference></edXML:edXMLManifest></edXML:edXMLBody></edXML:edXMLEnvelope>"
            f"<AttachmentEncoded><Attachment><ContentId>{cid}</ContentId>"
            f"<AttachmentName>Công văn {number}.pdf</AttachmentName><Description>Văn bản chính</Description>"
            f"<ContentType>application/pdf</ContentType>"
            f"<edXML:ContentTransferEncoded>{attachment}</edXML:ContentTransferEncoded>"
            "</Attachment></AttachmentEncoded></edXML>\n"
        )
        return body.encode("utf-8"), doc_id

    def status(self, sender: Agency, about: str, code: str, *, about_organ: str | None = None) -> bytes:
        """A status package from ``sender`` about the document ``about`` (its ``DocumentId``)."""
        organ, day, code_text = about.split(",", 2)
        stamp = self.now.strftime("%Y/%m/%d %H:%M:%S")
        return (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NS}" xmlns:edXML="{NS}">'
            "<edXML:edXMLEnvelope><edXML:edXMLHeader><edXML:MessageHeader>" + _organ("From", sender)
            + f"<edXML:ResponseFor><edXML:OrganId>{escape(about_organ or organ)}</edXML:OrganId>"
            f"<edXML:Code>{escape(code_text)}</edXML:Code><edXML:PromulgationDate>{day}</edXML:PromulgationDate>"
            f"<edXML:DocumentId>{escape(about)}</edXML:DocumentId></edXML:ResponseFor>"
            "<edXML:StaffInfo><edXML:Department>Văn thư</edXML:Department><edXML:Staff>Nguyễn Thị Lan</edXML:Staff>"
            "<edXML:Mobile>0987654321</edXML:Mobile><edXML:Email>lannt@tayninh.gov.vn</edXML:Email>"
            f"</edXML:StaffInfo><edXML:StatusCode>{code}</edXML:StatusCode>"
            f"<edXML:Description>Trạng thái {code} do công cụ kiểm thử gửi</edXML:Description>"
            f"<edXML:Timestamp>{stamp}</edXML:Timestamp>"
            "</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML>\n"
        ).encode("utf-8")

    def hostile(self, kind: str, sender: Agency, recipient: Agency, url: str) -> bytes:
        """A hostile package of ``kind``: doctype, external-entity, parameter-entity, external-dtd, xinclude,
        local-file, entity-expansion. ``url`` is the out-of-band URL it tries to make the platform fetch."""
        package, _ = self.edoc(sender, [recipient])
        text = package.decode("utf-8")
        head, _, rest = text.partition("\n")
        marker = "<edXML:Subject>"
        doctypes = {
            "doctype": '<!DOCTYPE edXML [<!ELEMENT edXML ANY>]>',
            "external-entity": f'<!DOCTYPE edXML [<!ENTITY probe SYSTEM "{url}">]>',
            "parameter-entity": f'<!DOCTYPE edXML [<!ENTITY % probe SYSTEM "{url}"> %probe;]>',
            "external-dtd": f'<!DOCTYPE edXML SYSTEM "{url}">',
            "local-file": '<!DOCTYPE edXML [<!ENTITY probe SYSTEM "file:///etc/passwd">]>',
            "entity-expansion": '<!DOCTYPE edXML [<!ENTITY a "aaaaaaaaaa">'
                                + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'
                                          for i in range(8)) + "]>",
        }
        if kind == "xinclude":
            include = f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{url}" parse="text"/>'
            return (head + "\n" + rest.replace(marker, marker + include, 1)).encode("utf-8")
        reference = {"external-entity": "&probe;", "local-file": "&probe;", "entity-expansion": "&i;"}.get(kind, "")
        return (head + "\n" + doctypes[kind] + "\n" + rest.replace(marker, marker + reference, 1)).encode("utf-8")
