<?php
/**
 * Zoho CRM settings for the EU billing account (Acme Outdoor GmbH).
 * The GmbH has its own CRM org in the EU data centre, so it has its own
 * token and its own host. Do not point this at crm.zoho.com (error 4834).
 */
return array(
    'authtoken'   => '81b2b303a16ae02635fedc28f16d91d4',
    'scope'       => 'crmapi',
    'api_url'     => 'https://crm.zoho.eu/crm/private/xml/',
    'owner_email' => 'billing-eu@acme.example',
    'currency'    => 'EUR',
    'batch_size'  => 100,
    'log_file'    => '/var/log/acme/zoho-invoices.log',
);
