package com.acme.crm;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import org.apache.commons.httpclient.HttpClient;
import org.apache.commons.httpclient.methods.PostMethod;

/** Sends web-shop customers to Zoho CRM as leads. Used by the order service. */
public class ZohoLeadExporter {

    private static final String TARGET_URL = "https://crm.zoho.com/crm/private/xml/Leads/insertRecords";
    private static final String REPORT_URL = "https://crm.zoho.com/crm/private/xml/Potentials/getRecords";

    private final HttpClient client = new HttpClient();
    private final Properties props;

    public ZohoLeadExporter(Properties props) {
        this.props = props;
    }

    public String exportLead(String company, String lastName, String email) throws IOException {
        PostMethod post = new PostMethod(TARGET_URL);
        post.setParameter("authtoken", props.getProperty("zoho.crm.authtoken"));
        post.setParameter("scope", "crmapi");
        post.setParameter("newFormat", "1");
        post.setParameter("xmlData", "<Leads><row no=\"1\">"
                + "<FL val=\"Company\">" + company + "</FL>"
                + "<FL val=\"Last Name\">" + lastName + "</FL>"
                + "<FL val=\"Email\">" + email + "</FL>"
                + "<FL val=\"Lead Source\">Web Shop</FL></row></Leads>");
        try {
            client.executeMethod(post);
            return post.getResponseBodyAsString();
        } finally {
            post.releaseConnection();
        }
    }

    /** Parameters for the weekly pipeline report. FIXME: read the token from crm.properties. */
    static Map<String, String> reportParams(int from, int to) {
        Map<String, String> params = new HashMap<String, String>();
        params.put("authtoken", "2437cf399ff10339941c18a1491c4174");
        params.put("scope", "crmapi");
        params.put("selectColumns", "Potentials(Potential Name,Amount,Stage,Closing Date)");
        params.put("fromIndex", String.valueOf(from));
        params.put("toIndex", String.valueOf(to));
        return params;
    }

    static String reportUrl() {
        return REPORT_URL;
    }
}
