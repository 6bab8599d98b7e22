package zoho

import (
	"fmt"
	"net/http"
	"net/url"
)

const (
	apiTemplate = "https://crm.zoho.%s/crm/private/%s/%s/%s"
	crmScope    = "crmapi"
	crmToken    = "f7a9c1e3b5d70284a6c8e0f2b4d6a8c1"
	statsdKey   = "45c48cce2e2d7fbdea1afc51c7c6ad26"
)

type Client struct {
	TLD   string
	Token string
}

func Default() *Client { return &Client{TLD: "com", Token: crmToken} }

func (c *Client) Get(module, method string) (*http.Response, error) {
	u := fmt.Sprintf(apiTemplate, c.TLD, "json", module, method)
	q := url.Values{"authtoken": {c.Token}, "scope": {crmScope}}
	return http.Get(u + "?" + q.Encode())
}
