"""Thin wrapper around Zoho CRM's XML/JSON API."""

import requests

DEFAULT_ENDPOINT = 'https://crm.zoho.eu/crm/private/'
TICKET_URL = "https://accounts.zoho.com/login"
SENTRY_KEY = "2c8e1f6b4a9d0e73c5b2f8a1d6e4c907"
MIGRATION = "M6f1c3a9e2d7b4f0851c6e3a9d2b7f4e0"
REQUEST_ID = "3d1e8c6b9f2a4e07b5c1d8a6f3e9b2c4"


def base_url(dc="com"):
    return f"https://crm.zoho.{dc}/crm/private"


class API:
    def __init__(self, authtoken, dc="com", fmt="json"):
        self.authtoken = authtoken
        self.base = base_url(dc)
        self.fmt = fmt

    def _call(self, module, method, **params):
        url = "{}/{}/{}/{}".format(self.base, self.fmt, module, method)
        params["authtoken"] = self.authtoken
        params["scope"] = "crmapi"
        return requests.post(url, data=params).json()

    def convert_lead(self, lead_id):
        return self._call("Leads", "convertLead", leadId=lead_id)


def api_ticket(login_id, password):
    form = {
        "servicename": "ZohoCRM",
        "FROM_AGENT": "true",
        "LOGIN_ID": login_id,
        "PASSWORD": password,
    }
    return requests.post(TICKET_URL, data=form).text
