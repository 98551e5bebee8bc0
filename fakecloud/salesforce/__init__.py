"""Salesforce REST API emulator (``/services/oauth2/token``, ``/services/data/vXX.X/...``).

OAuth 2.0 JWT bearer flow verified against the connected app's certificate; describeGlobal,
describe, SOQL query (``SELECT f, ... FROM obj [WHERE SystemModstamp > ts]``) with
``nextRecordsUrl`` paging, getUpdated/getDeleted windows (30 days; older starts answer
``INVALID_REPLICATION_DATE``), ContentVersion ``VersionData`` and Attachment ``Body`` downloads,
record create/update, and ``REQUEST_LIMIT_EXCEEDED`` (403) throttling. Bulk API 2.0 query jobs and
``limits/recordCount`` (``bulk.py``); a small Metadata API SOAP surface at ``/services/Soap/m/<version>``
(describeMetadata, listMetadata, retrieve, checkRetrieveStatus: ``metadata.py``).
"""
