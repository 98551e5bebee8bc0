from kustos.lifecycle.models.gdpr import GdprDecision, GdprRequest
from kustos.lifecycle.models.holds import HoldItem, LegalCase, LegalHold
from kustos.lifecycle.models.ingest_rules import IngestRule
from kustos.lifecycle.models.retention import (
    DeletionApproval,
    DeletionProposal,
    ProposalItem,
    RetentionClass,
    RetentionRule,
    Tombstone,
)
from kustos.lifecycle.models.settings import LifecycleSetting

__all__ = ["DeletionApproval", "DeletionProposal", "GdprDecision", "GdprRequest", "HoldItem", "IngestRule",
           "LegalCase", "LegalHold", "LifecycleSetting", "ProposalItem", "RetentionClass", "RetentionRule", "Tombstone"]
