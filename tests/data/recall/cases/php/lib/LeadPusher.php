<?php
class LeadPusher
{
    private $client;

    public function push(array $lead)
    {
        $xml = '<Leads><row no="1">';
        foreach ($lead as $field => $value) {
            $xml .= '<FL val="' . htmlspecialchars($field) . '">' . htmlspecialchars($value) . '</FL>';
        }
        $xml .= '</row></Leads>';
        return $this->client->call('Leads', 'insertRecords', array(
            'xmlData' => $xml,
            'newFormat' => 1,
            'wfTrigger' => 'true',
        ));
    }

    public function render(array $data)
    {
        $payload = array('data' => array($data), 'trigger' => array('workflow'));
        return json_encode($payload);
    }
}
