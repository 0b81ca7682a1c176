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
// caller's parser; an error answer is turned into an error by fail. A
// ClientId the platform refuses is refused before the call.
func (p *Provider) call(ctx context.Context, action string, params url.Values) (*httpc.Response, error) {
	for _, id := range params["ClientId"] {
		if err := checkClientID(action, id); err != nil {
			return nil, err
		}
	}
	form := p.sign(action, params, time.Now())
	res, err := p.http.Do(ctx, httpc.Request{Op: action, Method: http.MethodPost, URL: p.base + "/", Form: form})
	if err != nil {
		return nil, err
	}
	if res.Status < 200 || res.Status > 299 {
		return nil, fail(p.http, res)
	}
	return res, nil
}

// sign returns params with InstanceId, the common parameters, a fresh
// nonce, the timestamp at now and the Signature.
func (p *Provider) sign(action string, params url.Values, now time.Time) url.Values {
	v := url.Values{}
	for k, vs := range params {
		v[k] = vs
	}
	v.Set("InstanceId", p.cfg.InstanceID)
	v.Set("Action", action)
	v.Set("Version", APIVersion)
	v.Set("Format", "JSON")
	v.Set("RegionId", p.cfg.RegionID)
	v.Set("AccessKeyId", p.cfg.AccessKeyID)
	v.Set("SignatureMethod", alisign.Method)
	v.Set("SignatureVersion", alisign.Version)
	v.Set("SignatureNonce", alisign.Nonce())
	v.Set("Timestamp", now.UTC().Format(alisign.TimeFormat))
	if !p.cfg.SecurityToken.IsZero() {
		v.Set("SecurityToken", string(p.cfg.SecurityToken))
	}
	v.Set("Signature", alisign.Sign(http.MethodPost, v, string(p.cfg.AccessKeySecret)))
	return v
}

// parseEmpty reads an answer that carries nothing but its RequestId.
func parseEmpty(c *httpc.Client, res *httpc.Response) error {
	var out struct {
		RequestID string `json:"RequestId"`
	}
	return c.DecodeJSON(res, &out)
}
