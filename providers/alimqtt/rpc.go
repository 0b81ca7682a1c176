package alimqtt

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/iotauth/iotauth/internal/alisign"
	"github.com/iotauth/iotauth/internal/httpc"
)

// call makes one signed OpenAPI call: action with params (InstanceId is
// added), POSTed as a form. It returns only successful answers, for the
// caller to decode; an error answer is mapped by fail.
func (c *Client) call(ctx context.Context, action string, params url.Values) (*httpc.Response, error) {
	for _, id := range params["ClientId"] {
		if err := checkClientID(action, id); err != nil {
			return nil, err
		}
	}
	form := c.sign(action, params, time.Now())
	res, err := c.http.Do(ctx, httpc.Request{Op: action, Method: http.MethodPost, URL: c.base + "/", Form: form})
	if err != nil {
		return nil, err
	}
	if res.Status < 200 || res.Status > 299 {
		return nil, c.fail(res)
	}
	return res, nil
}

// sign returns params with InstanceId, the common parameters, a fresh
// nonce, the timestamp at now and the Signature.
func (c *Client) sign(action string, params url.Values, now time.Time) url.Values {
	p := url.Values{}
	for k, v := range params {
		p[k] = v
	}
	p.Set("InstanceId", c.cfg.InstanceID)
	p.Set("Action", action)
	p.Set("Version", APIVersion)
	p.Set("Format", "JSON")
	p.Set("RegionId", c.cfg.RegionID)
	p.Set("AccessKeyId", c.cfg.AccessKeyID)
	p.Set("SignatureMethod", alisign.Method)
	p.Set("SignatureVersion", alisign.Version)
	p.Set("SignatureNonce", alisign.Nonce())
	p.Set("Timestamp", now.UTC().Format(alisign.TimeFormat))
	if !c.cfg.SecurityToken.IsZero() {
		p.Set("SecurityToken", string(c.cfg.SecurityToken))
	}
	p.Set("Signature", alisign.Sign(http.MethodPost, p, string(c.cfg.AccessKeySecret)))
	return p
}
