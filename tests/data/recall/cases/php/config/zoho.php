<?php
return [
    'database' => [
        'host' => 'localhost',
        'user' => 'crm_sync',
        'password' => 'dbS3cretLocal',
    ],
    'zoho' => [
        'login' => 'sales@northwind-traders.io',
        'password' => 'Spr1ngTide#44',
        'endpoint' => 'https://crm.zoho.com/crm/private/xml/',
    ],
    'airbrake' => [
        'project_key' => 'e4da3b7fbbce2345d7772b0674a318d5',
    ],
];
