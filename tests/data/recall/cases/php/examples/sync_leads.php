<?php
require __DIR__ . '/../lib/ZohoCrmClient.php';

$auth = "a7c3e9f1b5d2084e6c1a3f7b9d5e2c80";
$cache_key = "0cc175b9c0f1b6a831c399e269772661";
$newrelic_license = 'c4ca4238a0b923820dcc509a6f75849b';

$client = new ZohoCrmClient($auth);
$leads = $client->getRecords('Leads');

$token = ZohoCrmClient::generateAuthToken('ops@northwind-traders.io', 'Gr33nfield!2015');

$query = array(
    'authtoken' => $auth,
    'scope' => 'crmapi',
    'selectColumns' => 'Leads(First Name,Last Name,Email)',
);
