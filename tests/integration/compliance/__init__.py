"""One test module per requirement of ../shared/spec/COMPLIANCE.md, named after its number (test_reqNN_*)."""
