<?php
/**
 * Minimal client for the Zoho CRM API (2014 edition).
 */
class ZohoCrmClient
{
    const BASE_URL = 'https://crm.zoho.com/crm/private';
    const EU_BASE_URI = "https://crm.zoho.eu/crm/private/";
    const TOKEN_URL = 'https://accounts.zoho.com/apiauthtoken/nb/create?SCOPE=ZohoCRM/crmapi&';
    const CACHE_PREFIX = 'zcrm_';

    private $auth;
    private $format = 'json';
    private $bugsnagKey = '4f2a9c1e7b3d5a8f0c6e2b9d1a7f3c5e';

    public function __construct($auth = null)
    {
        $this->auth = $auth;
    }

    public static function generateAuthToken($email, $password)
    {
        $url = self::TOKEN_URL . 'EMAIL_ID=' . urlencode($email) . '&PASSWORD=' . urlencode($password);
        return file_get_contents($url);
    }

    public function call($module, $method, array $params = array())
    {
        $url = sprintf('%s/%s/%s/%s', self::BASE_URL, $this->format, $module, $method);
        $params['authtoken'] = $this->auth;
        $params['scope'] = 'crmapi';
        $cacheKey = md5($url . serialize($params));
        return $this->post($url, $params);
    }

    public function getRecords($module)
    {
        return $this->call($module, 'getRecords');
    }

    private function post($url, $params)
    {
        $ch = curl_init($url);
        curl_setopt($ch, CURLOPT_POSTFIELDS, http_build_query($params));
        curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
        return curl_exec($ch);
    }
}
