"""Small client for the Zoho CRM API, used by the sync jobs.

Written 2013 for lead_sync.py. Calls look like
BASE_URL + <Module> + '/' + <method>, with the token and scope as form fields.
"""
import os

import requests
import yaml

BASE_URL = 'https://crm.zoho.com/crm/private/json/'
# fallback so the job still runs when the CronJob forgets the env var
AUTHTOKEN = os.environ.get('ZOHO_AUTHTOKEN', 'c58096d51f4fa5fc1cf6c91f9f94825c')


class ZohoError(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, '%s: %s' % (code, message))
        self.code = code


class CrmClient(object):

    def __init__(self, authtoken=AUTHTOKEN, base_url=BASE_URL, timeout=60):
        self.authtoken = authtoken
        self.base_url = base_url
        self.timeout = timeout

    @classmethod
    def from_settings(cls, path):
        with open(path) as fh:
            cfg = yaml.safe_load(fh)['zoho']
        return cls(cfg['authtoken'], 'https://%s/crm/private/json/' % cfg['host'])

    def build_url(self, module, method):
        return self.base_url + module + '/' + method

    def post(self, url, **params):
        params.update({'authtoken': self.authtoken, 'scope': 'crmapi'})
        resp = requests.post(url, data=params, timeout=self.timeout)
        resp.raise_for_status()
        body = resp.json()['response']
        if 'error' in body:
            raise ZohoError(body['error']['code'], body['error']['message'])
        if 'nodata' in body:
            return []
        return rows(body['result'])


def rows(result):
    """Flatten {'Leads': {'row': [{'no': '1', 'FL': [...]}]}} into dicts."""
    module_rows = list(result.values())[0]['row']
    if isinstance(module_rows, dict):
        module_rows = [module_rows]
    out = []
    for row in module_rows:
        fields = row['FL'] if isinstance(row['FL'], list) else [row['FL']]
        out.append(dict((f['val'], f.get('content')) for f in fields))
    return out
