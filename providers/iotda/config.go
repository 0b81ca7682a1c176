package iotda

import (
	"net/http"
	"regexp"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/internal/httpc"
)

// platform is the platform id in errors, logs and store keys.
const platform = "iotda"

// DefaultIAMEndpoint is IAM's global endpoint, where tokens are obtained
// when Config.IAMEndpoint is empty.
const DefaultIAMEndpoint = "https://iam.myhuaweicloud.com"

// Config describes one IoTDA application and how to reach it: an IAM user
// (DomainName, UserName, Password, ProjectName) or an access key
// (AccessKey, SecretKey), not both.
type Config struct {
	// Endpoint is the IoTDA API base URL, such as
	// https://{id}.st1.iotda-app.cn-north-4.myhuaweicloud.com: the only
	// origin that receives the credentials. Required.
	Endpoint string
	// IAMEndpoint is where IAM tokens are obtained, such as
	// https://iam.cn-north-4.myhuaweicloud.com; DefaultIAMEndpoint when
	// empty. Not used with an access key.
	IAMEndpoint string
	// DomainName is the account (domain) name the IAM user belongs to.
	DomainName string
	// UserName is the IAM user's name.
	UserName string
	// Password is the IAM user's password.
	Password iotauth.Secret
	// ProjectName scopes the token to a project, such as "cn-north-4": the
	// project of the region IoTDA runs in.
	ProjectName string

	// AccessKey is the access key id (AK) that signs requests instead of a
	// token.
	AccessKey string
	// SecretKey is the secret access key (SK) of AccessKey.
	SecretKey iotauth.Secret

	// AllowInsecureHTTP lets Endpoint and IAMEndpoint be http:// URLs to a
	// host that is not a loopback one (http to 127.0.0.1, ::1 or localhost
	// is always allowed). Only for tests and emulators.
	AllowInsecureHTTP bool
	// HTTPClient sends the token calls, for proxies and timeouts. When
	// nil, a client with a 30 s timeout is used.
	HTTPClient *http.Client
}

// accessKeyForm is an access key id: Huawei's are 20 upper-case letters and
// digits. Anything beyond letters and digits could break the Authorization
// header it is written into.
var accessKeyForm = regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`)

// Provider is an iotauth.TokenSource for one IoTDA application: an IAM
// user's tokens, or, with an access key, a signing credential (see
// Describe). It is safe for concurrent use; wrap it in an iotauth.Cache.
type Provider struct {
	base string // Endpoint
	iam  string // IAMEndpoint, "" with an access key

	domain, user, project string
	password              iotauth.Secret

	accessKey string
	secretKey iotauth.Secret

	http *httpc.Client
}

// New checks cfg and returns its Provider. The error names the missing or
// invalid field.
func New(cfg Config) (*Provider, error) {
	f := httpc.Fields{Platform: platform}
	base, err := f.BaseURL("Endpoint", cfg.Endpoint, "", cfg.AllowInsecureHTTP)
	if err != nil {
		return nil, err
	}
	p := &Provider{base: base}
	byPassword := cfg.DomainName != "" || cfg.UserName != "" || !cfg.Password.IsZero() || cfg.ProjectName != ""
	byKey := cfg.AccessKey != "" || !cfg.SecretKey.IsZero()
	switch {
	case byPassword && byKey:
		return nil, f.Err("AccessKey", "and SecretKey must not be set with an IAM user (DomainName, UserName, Password, ProjectName): choose one")
	case byKey:
		err = httpc.First(
			f.Match("AccessKey", cfg.AccessKey, accessKeyForm, "an access key id (letters and digits)"),
			f.Required("SecretKey", !cfg.SecretKey.IsZero()),
		)
		p.accessKey, p.secretKey = cfg.AccessKey, cfg.SecretKey
	default:
		p.iam, err = f.BaseURL("IAMEndpoint", cfg.IAMEndpoint, DefaultIAMEndpoint, cfg.AllowInsecureHTTP)
		if err == nil {
			err = httpc.First(
				f.Required("DomainName", cfg.DomainName != ""),
				f.Required("UserName", cfg.UserName != ""),
				f.Required("Password", !cfg.Password.IsZero()),
				f.Required("ProjectName", cfg.ProjectName != ""),
			)
		}
		p.domain, p.user, p.password, p.project = cfg.DomainName, cfg.UserName, cfg.Password, cfg.ProjectName
	}
	if err != nil {
		return nil, err
	}
	p.http = httpc.New(platform, cfg.HTTPClient, string(cfg.Password), string(cfg.SecretKey))
	return p, nil
}

// signing reports whether the provider signs requests with an access key
// rather than sending IAM tokens.
func (p Provider) signing() bool { return p.accessKey != "" }

var (
	_ iotauth.Describer   = (*Provider)(nil)
	_ iotauth.TokenSource = (*Provider)(nil)
)
