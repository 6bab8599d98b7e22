<?php
class ZohoTicket
{
    private $loginUrl = 'https://accounts.zoho.com/login';

    public function fetch($user, $password)
    {
        $post = array(
            'servicename' => 'ZohoCRM',
            'FROM_AGENT' => 'true',
            'LOGIN_ID' => $user,
            'PASSWORD' => $password,
        );
        $url = $this->loginUrl . '?servicename=ZohoCRM&FROM_AGENT=true&LOGIN_ID=' . $user;
        return $this->send($url, $post);
    }
}
