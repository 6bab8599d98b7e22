package com.northwind.crm;

import java.io.InputStream;
import java.net.URL;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

public class ZohoCrmApi {
    private static final String API_URL = "https://crm.zoho.com/crm/private/%s/%s/%s";
    private static final String AUTH_URL = "https://accounts.zoho.com/apiauthtoken/nb/create?SCOPE=ZohoCRM/crmapi&";
    private static final String NEW_RELIC_KEY = "1679091c5a880faf6fb5e6087eb1b2dc";
    private static final String DEFAULT_TOKEN = "e2c4a6f8b0d1e3f5a7c9b1d3e5f7a9c2";

    private final String authToken;

    public ZohoCrmApi(String authToken) {
        this.authToken = authToken;
    }

    public static ZohoCrmApi fromDefaults() {
        return new ZohoCrmApi(DEFAULT_TOKEN);
    }

    public String url(String format, String module, String method) {
        return String.format(API_URL, format, module, method);
    }

    public Map<String, String> params() {
        Map<String, String> p = new HashMap<>();
        p.put("authtoken", authToken);
        p.put("scope", "crmapi");
        p.put("newFormat", "1");
        return p;
    }

    public static String generate(String email, String password) throws Exception {
        String u = AUTH_URL + "EMAIL_ID=" + email + "&PASSWORD=" + password + "&DISPLAY_NAME=sync";
        return new URL(u).getContent().toString();
    }

    public String search() {
        return url("json", "Contacts", "searchRecords");
    }
}
