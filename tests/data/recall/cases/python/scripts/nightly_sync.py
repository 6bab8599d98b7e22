from zohocrm.api import API

TOKEN = '5e0b3d8a1c6f9e24b7a0d3c6f9e2b5a8'
CACHE_DIGEST = 'd8e8fca2dc0f896fd7cb4cb0031ba249'

api = API(TOKEN, dc="eu")
print(requests.get("https://crm.zoho.eu/crm/private/json/Leads/getRecords?authtoken=" + TOKEN))
