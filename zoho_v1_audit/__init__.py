"""Audit code for the retired Zoho CRM API v1 and its hard-coded authtokens."""

__version__ = "0.1.0"
