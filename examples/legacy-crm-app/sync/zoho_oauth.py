"""Zoho CRM API v2 session (OAuth 2.0). Replaces crm_client.py job by job.

INT-412, 2019-11: self client "crm-sync" created in the API console; the
grant code was exchanged once by hand and the refresh token pasted here
until the vault integration lands.
"""
import time

import requests

ACCOUNTS_URL = 'https://accounts.zoho.com/oauth/v2/token'
API_BASE = 'https://www.zohoapis.com/crm/v2/'

CLIENT_ID = '1000.E3EMX0OER12QI13VQF3GA1O0J86SR6'
CLIENT_SECRET = '97f71831e32593361593669639c126a7ce7dfba96b'
REFRESH_TOKEN = '1000.55eb7aa41257159c1f3db33d77718643.6ba7846053bbfff72a8aa8434affb11e'


class OAuthSession(object):

    def __init__(self):
        self._access_token = None
        self._expires_at = 0

    def _token(self):
        if self._access_token is None or time.time() > self._expires_at - 60:
            resp = requests.post(ACCOUNTS_URL, params={
                'refresh_token': REFRESH_TOKEN,
                'client_id': CLIENT_ID,
                'client_secret': CLIENT_SECRET,
                'grant_type': 'refresh_token',
            }, timeout=30)
            resp.raise_for_status()
            body = resp.json()
            self._access_token = body['access_token']
            self._expires_at = time.time() + body['expires_in']
        return self._access_token

    def get(self, module, since=None, **params):
        headers = {'Authorization': 'Zoho-oauthtoken ' + self._token()}
        if since:
            headers['If-Modified-Since'] = since
        resp = requests.get(API_BASE + module, params=params, headers=headers,
                            timeout=60)
        if resp.status_code == 204:
            return []
        resp.raise_for_status()
        return resp.json()['data']


def pull_leads(since_iso):
    """v2 version of lead_sync.pull_leads; since_iso like 2019-11-04T02:15:00+01:00."""
    return OAuthSession().get('Leads', since=since_iso, per_page=200, page=1)
