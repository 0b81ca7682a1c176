package alimqtt

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// The system topics of token mode, from "Client operations in token-based
// authentication" (ApsaraMQ for MQTT; help.aliyun.com/document_detail/54282,
// alibabacloud.com/help/en/apsaramq-for-mqtt/developer-reference/
// client-related-operations-in-token-based-authentication):
//
//   - a client replaces a token on a live connection by publishing
//     {"token": "<token>", "type": "R"|"W"|"RW"} (JSON) to $SYS/uploadToken,
//     and must wait for the PUBACK before it publishes or subscribes again;
//   - the broker sends {"expireTime": <ms>, "type": "..."} on
//     $SYS/tokenExpireNotice once, about five minutes before a token
//     expires, without a subscription;
//   - the broker sends {"code": <n>, "type": "..."} on
//     $SYS/tokenInvalidNotice when a token fails its check (1 forged,
//     2 expired, 3 revoked, 4 resource mismatch, 5 action mismatch,
//     8 bad signature, -1 account not allowed), and then disconnects.
const (
	TopicUploadToken   = "$SYS/uploadToken"
	TopicExpireNotice  = "$SYS/tokenExpireNotice"
	TopicInvalidNotice = "$SYS/tokenInvalidNotice"
)

// tokenUpload is the payload of a $SYS/uploadToken message. It is
// unexported: it holds a token in clear, for the wire only.
type tokenUpload struct {
	Token string `json:"token"`
	Type  string `json:"type"`
}

// SignatureSource is the signature mode login of clientID as an
// iotauth.MQTTSource. The login cannot change: after the broker refuses it,
// MQTTLogin fails with iotauth.ErrInvalidCredentials for the Cache's
// hold-off (5 minutes, or WithHoldOff in opts) instead of offering it
// again. opts configure the source's Cache (see iotauth.NewMQTTSource).
func (p *Provider) SignatureSource(clientID string, opts ...iotauth.CacheOption) iotauth.MQTTSource {
	return iotauth.NewMQTTSource(signatureCredential{p, clientID}, opts...)
}

type signatureCredential struct {
	p        *Provider
	clientID string
}

func (s signatureCredential) MQTTCredential(context.Context, bool) (*iotauth.Token, error) {
	l, err := s.p.SignatureLogin(s.clientID)
	if err != nil {
		return nil, err
	}
	return &iotauth.Token{AccessToken: string(l.Password)}, nil
}

func (s signatureCredential) MQTTLoginOf(t *iotauth.Token) iotauth.MQTTLogin {
	l := s.p.signatureLogin(s.clientID)
	l.Password = iotauth.Secret(t.AccessToken)
	return l
}

// Describe names the platform, and the login in a Store: under the account,
// instance and client id.
func (s signatureCredential) Describe() iotauth.Platform {
	return iotauth.Platform{Name: platform, StoreKey: s.p.storeKey("signature|" + s.clientID)}
}

// DeviceCredentialSource is the device-credential mode login of clientID as
// an iotauth.MQTTSource: the credential is looked up (registered only if the
// device has none, see DeviceCredential) once and reused. After the broker
// refuses a login, the credential is read from the platform again (and
// registered again only if the platform says it is gone); when the platform
// still gives the refused one, MQTTLogin fails with
// iotauth.ErrInvalidCredentials for the Cache's hold-off. opts configure the
// source's Cache (see iotauth.NewMQTTSource).
func (p *Provider) DeviceCredentialSource(clientID string, opts ...iotauth.CacheOption) iotauth.MQTTSource {
	return iotauth.NewMQTTSource(deviceCredential{p, clientID}, opts...)
}

type deviceCredential struct {
	p        *Provider
	clientID string
}

// MQTTCredential is the device's credential the Provider keeps (see
// DeviceCredential), as a Token; afresh, it is read from the platform again.
func (d deviceCredential) MQTTCredential(ctx context.Context, afresh bool) (*iotauth.Token, error) {
	if afresh {
		d.p.forget(d.clientID)
	}
	cred, err := d.p.DeviceCredential(ctx, d.clientID)
	if err != nil {
		return nil, err
	}
	return cred.token(), nil
}

func (d deviceCredential) MQTTLoginOf(t *iotauth.Token) iotauth.MQTTLogin {
	return d.p.credentialOf(d.clientID, t).MQTTLogin()
}

// Describe names the platform, and the device's credential in a Store:
// under the account, instance and client id.
func (d deviceCredential) Describe() iotauth.Platform {
	return iotauth.Platform{Name: platform, StoreKey: d.p.storeKey("device-credential|" + d.clientID)}
}

// TokenMQTTSource is the token mode login of clientID as an
// iotauth.MQTTSource. Each login draws the current token of every source in
// tokens (an iotauth.Cache over TokenSource, one per token type; a source
// that is not a Cache is wrapped in one with the default options) and
// builds the password from their types (see TokenLogin). After the broker
// refuses a login, its tokens are invalidated in their Caches, so the next
// login carries new ones.
//
// The source is an iotauth.MQTTRenewer: an MQTT adapter uploads the renewed
// tokens on the live connection ($SYS/uploadToken) when their Caches
// refresh them (iotauth.Cache.RefreshAt: WithRefreshWindow decides), before
// they expire.
func (p *Provider) TokenMQTTSource(clientID string, tokens ...iotauth.TokenSource) iotauth.MQTTSource {
	caches := make([]*iotauth.Cache, len(tokens))
	for i, ts := range tokens {
		switch ts := ts.(type) {
		case nil:
		case *iotauth.Cache:
			caches[i] = ts
		default:
			caches[i] = iotauth.NewCache(ts)
		}
	}
	return &tokenMQTTSource{p: p, clientID: clientID, caches: caches}
}

type tokenMQTTSource struct {
	p        *Provider
	clientID string
	caches   []*iotauth.Cache // nil where the source given was nil

	mu       sync.Mutex
	last     []*iotauth.Token // the tokens of the last login served
	lastPass iotauth.Secret
}

func (s *tokenMQTTSource) MQTTLogin(ctx context.Context) (iotauth.MQTTLogin, error) {
	if len(s.caches) == 0 {
		return iotauth.MQTTLogin{}, httpc.Refuse(platform, "mqtt login", "no token source")
	}
	toks := make([]*iotauth.Token, len(s.caches))
	for i, ts := range s.caches {
		if ts == nil {
			return iotauth.MQTTLogin{}, httpc.Refuse(platform, "mqtt login", "a token source is nil")
		}
		t, err := ts.Token(ctx)
		if err != nil {
			return iotauth.MQTTLogin{}, err
		}
		toks[i] = t
	}
	l, err := s.p.TokenLogin(s.clientID, toks...)
	if err != nil {
		return iotauth.MQTTLogin{}, err
	}
	s.mu.Lock()
	s.last, s.lastPass = toks, l.Password
	s.mu.Unlock()
	return l, nil
}

func (s *tokenMQTTSource) Refused(l iotauth.MQTTLogin) {
	s.mu.Lock()
	toks := s.last
	if l.Password != s.lastPass {
		toks = nil // an older login: its tokens were replaced already
	}
	s.mu.Unlock()
	for i, t := range toks {
		s.caches[i].Invalidate(t)
	}
}

// renewAt is when the MQTT session holding l asks for newer tokens: what
// the Caches of l's tokens say (see iotauth.Cache.RefreshAt), the earliest
// of them; at once for a login older than the last one served.
func (s *tokenMQTTSource) renewAt(l iotauth.MQTTLogin) (time.Time, []<-chan struct{}) {
	s.mu.Lock()
	toks := s.last
	if l.Password != s.lastPass {
		toks = nil
	}
	s.mu.Unlock()
	if toks == nil {
		return time.Now(), nil
	}
	var (
		at      time.Time
		changed []<-chan struct{}
	)
	for i, t := range toks {
		a, ch := s.caches[i].RefreshAt(t)
		if !a.IsZero() && (at.IsZero() || a.Before(at)) {
			at = a
		}
		if ch != nil {
			changed = append(changed, ch)
		}
	}
	return at, changed
}

// MQTTRenewal uploads each token of a login on $SYS/uploadToken when the
// tokens' Caches refresh them (renewAt), and reads the broker's expiry and
// invalid-token notices.
func (s *tokenMQTTSource) MQTTRenewal() iotauth.MQTTRenewal {
	return iotauth.MQTTRenewal{Upload: TokenUploads, ExpiringTopic: TopicExpireNotice, InvalidTopic: TopicInvalidNotice,
		RenewAt: s.renewAt}
}

// TokenUploads returns the $SYS/uploadToken messages that hand the tokens
// of a token mode login to the broker, one per token.
func TokenUploads(l iotauth.MQTTLogin) []iotauth.MQTTMessage {
	f := strings.Split(string(l.Password), "|")
	var msgs []iotauth.MQTTMessage
	for i := 0; i+1 < len(f); i += 2 {
		b, _ := json.Marshal(tokenUpload{Token: f[i+1], Type: f[i]})
		msgs = append(msgs, iotauth.MQTTMessage{Topic: TopicUploadToken, Payload: iotauth.Secret(b)})
	}
	return msgs
}

var _ iotauth.MQTTRenewer = (*tokenMQTTSource)(nil)
