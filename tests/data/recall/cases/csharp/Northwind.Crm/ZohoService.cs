using System;
using System.Collections.Generic;
using System.Net.Http;

namespace Northwind.Crm
{
    public class ZohoService
    {
        private const string BaseUrl = "https://crm.zoho.com/crm/private/xml/";
        private const string Scope = "crmapi";
        private const string AuthToken = "c1e3a5b7d9f2046e8a0c2e4b6d8f1a3c";
        private const string BugsnagApiKey = "a87ff679a2f3e71d9181a67b7542122c";
        private static readonly Guid InstallId = new Guid("0f8fad5bd9cb469fa16570867728950e");
        private readonly HttpClient http = new HttpClient();

        public string Insert(string module, string xml)
        {
            var url = BaseUrl + module + "/insertRecords";
            var form = new Dictionary<string, string>
            {
                { "authtoken", AuthToken },
                { "scope", Scope },
                { "xmlData", xml },
            };
            return http.PostAsync(url, new FormUrlEncodedContent(form)).Result.Content.ReadAsStringAsync().Result;
        }
    }
}
