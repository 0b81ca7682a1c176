package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/providers/alimqtt"
	"github.com/iotauth/iotauth/providers/cloudstudio"
	"github.com/iotauth/iotauth/providers/iotda"
	"github.com/iotauth/iotauth/providers/mxchip"
	"github.com/iotauth/iotauth/providers/oceanconnect"
	"github.com/iotauth/iotauth/store"
)

// httpClient returns the client the providers use: nil (their default) unless
// ca_file names extra certificate authorities to trust.
func (s *settings) httpClient() (*http.Client, error) {
	path := s.get("ca_file")
	if path == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, &settingError{fmt.Sprintf("IOTAUTH_CA_FILE: %v", pathError(err))}
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, &settingError{fmt.Sprintf("IOTAUTH_CA_FILE: %s holds no PEM certificate", path)}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}, nil
}

// tokenStore returns the file store that keeps tokens between runs: in
// store_dir, by default iotauth under the user's cache directory (created
// with mode 0700), or nil with --no-store (IOTAUTH_NO_STORE).
func (s *settings) tokenStore() (iotauth.Store, error) {
	if s.noStore() {
		return nil, nil
	}
	dir, err := s.storeDir()
	if err != nil {
		return nil, err
	}
	st, err := store.NewFile(dir)
	if err != nil {
		return nil, &settingError{"token store: " + strings.TrimPrefix(err.Error(), "iotauth: ") + " (set IOTAUTH_STORE_DIR, or pass --no-store)"}
	}
	return st, nil
}

// storeDir is the token store's directory: store_dir, else iotauth in the
// user's cache directory.
func (s *settings) storeDir() (string, error) {
	if dir := s.get("store_dir"); dir != "" {
		return dir, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", &settingError{fmt.Sprintf("token store: no user cache directory (%v): set IOTAUTH_STORE_DIR (or --store-dir), or pass --no-store", err)}
	}
	return filepath.Join(cache, "iotauth"), nil
}

// noStore reports whether --no-store (or IOTAUTH_NO_STORE) asks for no store.
func (s *settings) noStore() bool {
	v, _ := strconv.ParseBool(s.flagOr("no-store", "IOTAUTH_NO_STORE"))
	return v
}

// invalid is the error for a setting whose value cannot be used.
func (s *settings) invalid(key, why string) error {
	if s.serveKey != nil {
		return &settingError{fmt.Sprintf("%s: %s", s.serveKey(key), why)}
	}
	return &settingError{fmt.Sprintf("%s: %s", envName(s.platform, key), why)}
}

func (s *settings) oceanConnect() (*oceanconnect.Provider, error) {
	base, err := s.need("base_url")
	if err != nil {
		return nil, err
	}
	appID, err := s.need("app_id")
	if err != nil {
		return nil, err
	}
	secret, err := s.secret("secret", true)
	if err != nil {
		return nil, err
	}
	hc, err := s.httpClient()
	if err != nil {
		return nil, err
	}
	p, err := oceanconnect.New(oceanconnect.Config{BaseURL: base, AppID: appID, Secret: secret, HTTPClient: hc})
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return p, nil
}

func (s *settings) mxchip() (*mxchip.Provider, error) {
	clientID, err := s.need("client_id")
	if err != nil {
		return nil, err
	}
	secret, err := s.secret("client_secret", true)
	if err != nil {
		return nil, err
	}
	hc, err := s.httpClient()
	if err != nil {
		return nil, err
	}
	p, err := mxchip.New(mxchip.Config{BaseURL: s.get("base_url"), ClientID: clientID, ClientSecret: secret, HTTPClient: hc})
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return p, nil
}

// cloudStudioDescription describes the tokens the command creates, when the
// settings do not.
const cloudStudioDescription = "iotauth command line"

func (s *settings) cloudStudio() (*cloudstudio.Provider, error) {
	email, err := s.need("email")
	if err != nil {
		return nil, err
	}
	password, err := s.secret("password", true)
	if err != nil {
		return nil, err
	}
	cid, err := s.need("client_id")
	if err != nil {
		return nil, err
	}
	clientID, err := strconv.Atoi(cid)
	if err != nil || clientID <= 0 {
		return nil, s.invalid("client_id", fmt.Sprintf("%q is not a positive integer", cid))
	}
	var expiration time.Duration
	if v := s.get("expiration"); v != "" {
		if expiration, err = time.ParseDuration(v); err != nil || expiration < time.Minute {
			return nil, s.invalid("expiration", fmt.Sprintf("%q is not a duration of a minute or more, such as 720h", v))
		}
	}
	desc := s.get("description")
	if desc == "" {
		desc = cloudStudioDescription
	}
	hc, err := s.httpClient()
	if err != nil {
		return nil, err
	}
	p, err := cloudstudio.New(cloudstudio.Config{
		BaseURL: s.get("base_url"), Email: email, Password: password, ClientID: clientID,
		Description: desc, Expiration: expiration, HTTPClient: hc,
	})
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return p, nil
}

func (s *settings) aliMQTT() (*alimqtt.Provider, error) {
	region, err := s.need("region_id")
	if err != nil {
		return nil, err
	}
	keyID, err := s.need("access_key_id")
	if err != nil {
		return nil, err
	}
	keySecret, err := s.secret("access_key_secret", true)
	if err != nil {
		return nil, err
	}
	stsToken, err := s.secret("security_token", false)
	if err != nil {
		return nil, err
	}
	instance, err := s.need("instance_id")
	if err != nil {
		return nil, err
	}
	hc, err := s.httpClient()
	if err != nil {
		return nil, err
	}
	c, err := alimqtt.New(alimqtt.Config{
		RegionID: region, Endpoint: s.get("base_url"), AccessKeyID: keyID, AccessKeySecret: keySecret,
		SecurityToken: stsToken, InstanceID: instance, MQTTHost: s.get("mqtt_host"), HTTPClient: hc,
	})
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return c, nil
}

// aliTokenSource is the source of Alibaba MQTT tokens for the configured
// resources, actions and lifetime.
func (s *settings) aliTokenSource(c *alimqtt.Provider) (iotauth.TokenSource, error) {
	res, err := s.need("resources")
	if err != nil {
		return nil, err
	}
	var resources []string
	for _, r := range strings.Split(res, ",") {
		if r = strings.TrimSpace(r); r != "" {
			resources = append(resources, r)
		}
	}
	actions := s.get("actions")
	if actions == "" {
		actions = alimqtt.ActionReadWrite
	}
	switch actions {
	case alimqtt.ActionRead, alimqtt.ActionWrite, alimqtt.ActionReadWrite:
	default:
		return nil, s.invalid("actions", fmt.Sprintf("%q is not R, W or R,W", actions))
	}
	lifetime := time.Hour
	if v := s.get("lifetime"); v != "" {
		if lifetime, err = time.ParseDuration(v); err != nil || lifetime <= 0 {
			return nil, s.invalid("lifetime", fmt.Sprintf("%q is not a positive duration, such as 1h", v))
		}
	}
	return c.TokenSource(resources, actions, lifetime), nil
}

// tokenSource builds the configured platform's token source.
func (s *settings) tokenSource() (iotauth.TokenSource, error) {
	switch s.platform {
	case "oceanconnect":
		return s.oceanConnect()
	case "mxchip":
		return s.mxchip()
	case "cloudstudio":
		return s.cloudStudio()
	case "iotda":
		return s.iotda()
	default:
		c, err := s.aliMQTT()
		if err != nil {
			return nil, err
		}
		return s.aliTokenSource(c)
	}
}

// iotda is the IoTDA application: the IAM user, or, with access_key, the
// access key that signs each request (which only 'iotauth serve' and the
// library can use: a signature belongs to one request).
func (s *settings) iotda() (*iotda.Provider, error) {
	base, err := s.need("base_url")
	if err != nil {
		return nil, err
	}
	hc, err := s.httpClient()
	if err != nil {
		return nil, err
	}
	cfg := iotda.Config{Endpoint: base, IAMEndpoint: s.get("iam_endpoint"), HTTPClient: hc}
	if ak := s.get("access_key"); ak != "" {
		if name := s.cmd.Name(); name == "token" || name == "header" {
			return nil, &usageError{fmt.Sprintf("%s: an IoTDA access key signs each request; use 'iotauth serve' (or the library), or the IAM user settings", name)}
		}
		if cfg.SecretKey, err = s.secret("secret_key", true); err != nil {
			return nil, err
		}
		cfg.AccessKey = ak
	} else {
		for _, f := range []struct {
			key string
			v   *string
		}{{"domain_name", &cfg.DomainName}, {"user_name", &cfg.UserName}, {"project_name", &cfg.ProjectName}} {
			if *f.v, err = s.need(f.key); err != nil {
				return nil, err
			}
		}
		if cfg.Password, err = s.secret("password", true); err != nil {
			return nil, err
		}
	}
	p, err := iotda.New(cfg)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return p, nil
}

// iotdaDevice is the MQTT login source of the configured IoTDA device.
func (s *settings) iotdaDevice() (iotauth.MQTTSource, error) {
	id, err := s.need("device")
	if err != nil {
		return nil, err
	}
	secret, err := s.secret("device_secret", true)
	if err != nil {
		return nil, err
	}
	host, err := s.need("mqtt_host")
	if err != nil {
		return nil, err
	}
	d := iotda.Device{ID: id, Secret: secret, Host: host}
	for _, p := range []struct {
		key string
		v   *int
	}{{"mqtt_port", &d.Port}, {"mqtt_tls_port", &d.TLSPort}} {
		if v := s.get(p.key); v != "" {
			if *p.v, err = strconv.Atoi(v); err != nil || *p.v < 0 || *p.v > 65535 {
				return nil, s.invalid(p.key, fmt.Sprintf("%q is not a port", v))
			}
		}
	}
	src, err := iotda.DeviceSource(d)
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return src, nil
}
