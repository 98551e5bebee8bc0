"""S/MIME opaque-signed parts (smime.p7m, signed-data): the signed MIME entity inside
is parsed like an attached message. Encrypted (enveloped-data) parts cannot be read
without the recipient's key; that is recorded as the reason."""

from __future__ import annotations

from asn1crypto import cms

from .registry import Context, Extracted, ExtractionError


class SmimeExtractor:
    name = "smime"

    def extract(self, data: bytes, ctx: Context) -> Extracted:
        try:
            info = cms.ContentInfo.load(data)
            kind = info["content_type"].native
            if kind != "signed_data":
                raise ExtractionError(f"S/MIME {kind.replace('_', '-')}: content not readable without a key")
            content = info["content"]["encap_content_info"]["content"].native
        except ExtractionError:
            raise
        except Exception as exc:  # asn1crypto parses lazily and raises on first access
            raise ExtractionError(f"not a readable PKCS #7 structure: {type(exc).__name__}") from exc
        if not isinstance(content, bytes) or not content:
            return Extracted()  # detached signature: nothing inside
        return ctx.parse_message(content, ctx)
