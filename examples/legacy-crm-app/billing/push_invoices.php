<?php
// Cron (billing-02, 03:30): push yesterday's invoices from the ERP to Zoho CRM (EU).
require_once __DIR__ . '/erp.php';
$config = require __DIR__ . '/zoho_config.php';

function zoho_call($config, $module, $method, array $params)
{
    $params['authtoken'] = $config['authtoken'];
    $params['scope'] = $config['scope'];
    $ch = curl_init($config['api_url'] . $module . '/' . $method);
    curl_setopt($ch, CURLOPT_POST, true);
    curl_setopt($ch, CURLOPT_POSTFIELDS, http_build_query($params));
    curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
    $xml = simplexml_load_string(curl_exec($ch));
    curl_close($ch);
    if (isset($xml->error)) {
        throw new RuntimeException("Zoho $method failed: {$xml->error->code} {$xml->error->message}");
    }
    return $xml;
}

function find_account_id($config, $vatId)
{
    $url = 'https://crm.zoho.eu/crm/private/xml/Accounts/getSearchRecordsByPDC?'
        . http_build_query(array('authtoken' => $config['authtoken'], 'scope' => 'crmapi',
            'searchColumn' => 'vat_id', 'searchValue' => $vatId, 'selectColumns' => 'Accounts(ACCOUNTID)'));
    $xml = simplexml_load_string(file_get_contents($url));
    return isset($xml->result) ? (string) $xml->result->Accounts->row->FL : null;
}

foreach (array_chunk(erp_invoices_since('-1 day'), $config['batch_size']) as $chunk) {
    $rows = '';
    foreach ($chunk as $i => $inv) {
        $rows .= sprintf('<row no="%d"><FL val="Subject">%s</FL><FL val="ACCOUNTID">%s</FL>'
            . '<FL val="Grand Total">%.2f</FL></row>', $i + 1, htmlspecialchars($inv['number']),
            find_account_id($config, $inv['vat_id']), $inv['total']);
    }
    zoho_call($config, 'Invoices', 'insertRecords', array('xmlData' => "<Invoices>$rows</Invoices>"));
}
