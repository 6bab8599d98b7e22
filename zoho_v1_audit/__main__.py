"""`python -m zoho_v1_audit`."""

from zoho_v1_audit.cli import main

main()
