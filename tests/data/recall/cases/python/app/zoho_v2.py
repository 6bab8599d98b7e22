"""API 2.0 client: current, OAuth-based."""
import os

BOOKINGS = "https://www.zohoapis.com/bookings/v1/json/appointment"
HEADERS = {"Authorization": "Zoho-oauthtoken " + os.environ["ZOHO_ACCESS_TOKEN"]}


def fetch(client):
    leads = client.getRecords("Leads")
    client.updateRecords("Deals", [{"id": "1"}])
    client.convertLead("4150868000000231001")
    return leads
