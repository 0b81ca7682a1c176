// Package storekeys_test checks, across every provider, that each source
// names its credential in a Store: built with iotauth.WithStore alone (no
// WithStoreKey), two processes sharing a store.File log in once between
// them.
package storekeys_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
	"github.com/iotauth/iotauth/providers/cloudstudio"
	"github.com/iotauth/iotauth/providers/iotda"
	"github.com/iotauth/iotauth/providers/mxchip"
	"github.com/iotauth/iotauth/providers/oceanconnect"
	"github.com/iotauth/iotauth/store"
)

// The child process is this test binary, run with these variables set.
const (
	envSource = "IOTAUTH_STOREKEYS_SOURCE" // the name of the source to build
	envURL    = "IOTAUTH_STOREKEYS_URL"    // the emulator, served by the parent
	envDir    = "IOTAUTH_STOREKEYS_DIR"    // the store.File both processes share
)

func TestMain(m *testing.M) {
	if name := os.Getenv(envSource); name != "" {
		os.Exit(child(name, os.Getenv(envURL), os.Getenv(envDir)))
	}
	os.Exit(m.Run())
}

// A source is built with WithStore and the other options given, and
// returns a fingerprint of the credential it served (never the credential).
type source func(url string, opts ...iotauth.CacheOption) (func(context.Context) (string, error), error)

// sources are every source of every provider, by name.
var sources = map[string]source{
	"oceanconnect.Provider": func(url string, opts ...iotauth.CacheOption) (func(context.Context) (string, error), error) {
		p, err := oceanconnect.New(oceanconnect.Config{BaseURL: url, AppID: iotauthtest.OceanConnectAppID,
			Secret: iotauthtest.OceanConnectSecret})
		if err != nil {
			return nil, err
		}
		return cached(iotauth.NewCache(p, opts...)), nil
	},
	"cloudstudio.Provider": func(url string, opts ...iotauth.CacheOption) (func(context.Context) (string, error), error) {
		p, err := cloudstudio.New(cloudstudio.Config{BaseURL: url, Email: iotauthtest.CloudStudioEmail,
			Password: iotauthtest.CloudStudioPassword, ClientID: iotauthtest.CloudStudioClientID, Description: "iotauth store keys"})
		if err != nil {
			return nil, err
		}
		return cached(iotauth.NewCache(p, opts...)), nil
	},
	"iotda.Provider": func(url string, opts ...iotauth.CacheOption) (func(context.Context) (string, error), error) {
		p, err := iotda.New(iotda.Config{Endpoint: url, IAMEndpoint: url, DomainName: iotauthtest.IoTDADomainName,
			UserName: iotauthtest.IoTDAUserName, Password: iotauthtest.IoTDAPassword, ProjectName: iotauthtest.IoTDAProjectName})
		if err != nil {
			return nil, err
		}
		return cached(iotauth.NewCache(p, opts...)), nil
	},
	"mxchip.Provider": func(url string, opts ...iotauth.CacheOption) (func(context.Context) (string, error), error) {
		p, err := mxchipProvider(url)
		if err != nil {
			return nil, err
		}
		return cached(iotauth.NewCache(p, opts...)), nil
	},
	"mxchip.Client.MQTTSource": func(url string, opts ...iotauth.CacheOption) (func(context.Context) (string, error), error) {
		p, err := mxchipProvider(url)
		if err != nil {
			return nil, err
		}
		c := p.NewClient(iotauth.NewCache(p, opts...))
		return login(c.MQTTSource(iotauthtest.MXCHIPAppID, opts...)), nil
	},
	"alimqtt.Provider.TokenSource": func(url string, opts ...iotauth.CacheOption) (func(context.Context) (string, error), error) {
		c, err := aliClient(url)
		if err != nil {
			return nil, err
		}
		return cached(iotauth.NewCache(c.TokenSource([]string{"fleet/#"}, alimqtt.ActionReadWrite, time.Hour), opts...)), nil
	},
	"alimqtt.Provider.TokenMQTTSource": func(url string, opts ...iotauth.CacheOption) (func(context.Context) (string, error), error) {
		c, err := aliClient(url)
		if err != nil {
			return nil, err
		}
		r := iotauth.NewCache(c.TokenSource([]string{"fleet/#"}, alimqtt.ActionRead, time.Hour), opts...)
		w := iotauth.NewCache(c.TokenSource([]string{"fleet/#"}, alimqtt.ActionWrite, time.Hour), opts...)
		return login(c.TokenMQTTSource("GID_fleet@@@token", r, w)), nil
	},
	"alimqtt.Provider.SignatureSource": func(url string, opts ...iotauth.CacheOption) (func(context.Context) (string, error), error) {
		c, err := aliClient(url)
		if err != nil {
			return nil, err
		}
		return login(c.SignatureSource("GID_fleet@@@signature", opts...)), nil
	},
	"alimqtt.Provider.DeviceCredentialSource": func(url string, opts ...iotauth.CacheOption) (func(context.Context) (string, error), error) {
		c, err := aliClient(url)
		if err != nil {
			return nil, err
		}
		return login(c.DeviceCredentialSource("GID_fleet@@@device", opts...)), nil
	},
}

func mxchipProvider(url string) (*mxchip.Provider, error) {
	return mxchip.New(mxchip.Config{BaseURL: url, ClientID: iotauthtest.MXCHIPClientID,
		ClientSecret: iotauthtest.MXCHIPClientSecret})
}

func aliClient(url string) (*alimqtt.Provider, error) {
	return alimqtt.New(alimqtt.Config{RegionID: iotauthtest.EmulatorRegion, Endpoint: url,
		AccessKeyID: iotauthtest.AlibabaAccessKeyID, AccessKeySecret: iotauthtest.AlibabaAccessKeySecret,
		InstanceID: iotauthtest.AlibabaInstanceID})
}

func cached(c *iotauth.Cache) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		t, err := c.Token(ctx)
		if err != nil {
			return "", err
		}
		return fingerprint(t.AccessToken), nil
	}
}

func login(src iotauth.MQTTSource) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		l, err := src.MQTTLogin(ctx)
		if err != nil {
			return "", err
		}
		return fingerprint(l.ClientID + "\x00" + l.Username + "\x00" + string(l.Password)), nil
	}
}

func fingerprint(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// child builds the source name over the store in dir, takes one credential
// and prints its fingerprint and what its Caches did ("login", "adopt").
func child(name, url, dir string) int {
	st, err := store.NewFile(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var (
		mu  sync.Mutex
		ops []string
	)
	hook := iotauth.WithHook(func(ev iotauth.Event) {
		mu.Lock()
		defer mu.Unlock()
		ops = append(ops, ev.Op)
	})
	take, err := sources[name](url, iotauth.WithStore(st), hook)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fp, err := take(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(ops)
	fmt.Printf("credential %s ops %s\n", fp, strings.Join(slices.Compact(ops), ","))
	return 0
}

// run runs a child process for name and returns its fingerprint and ops.
func run(t *testing.T, name, url, dir string) (fp, ops string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envSource+"="+name, envURL+"="+url, envDir+"="+dir)
	out, err := cmd.Output()
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	require.NoError(t, err, "child %s: %s", name, stderr)
	_, err = fmt.Sscanf(string(out), "credential %s ops %s", &fp, &ops)
	require.NoError(t, err, "child output %q", out)
	return fp, ops
}

// Every source of every provider, built with WithStore and no key: the
// first process logs in and saves, the second adopts what the first saved
// and makes no platform call at all.
func TestEverySource_WithStore_TwoProcessesLogInOnce(t *testing.T) {
	srv := iotauthtest.NewServer()
	defer srv.Close()
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range sources {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.Chmod(dir, 0o700))
			first, ops := run(t, name, srv.URL, dir)
			assert.Contains(t, strings.Split(ops, ","), "login", "the first process logs in")
			before := requests(srv)
			second, ops := run(t, name, srv.URL, dir)
			assert.Equal(t, first, second, "the second process serves the first's credential")
			assert.Equal(t, "adopt", ops, "the second process only adopts")
			assert.Equal(t, before, requests(srv), "the second process calls no platform")
		})
	}
}

// requests counts the calls every emulated platform has served.
func requests(srv *iotauthtest.Server) string {
	return strconv.FormatInt(srv.OceanConnect.Requests(), 10) + "/" + strconv.FormatInt(srv.CloudStudio.Requests(), 10) +
		"/" + strconv.FormatInt(srv.MXCHIP.Requests(), 10) + "/" + strconv.FormatInt(srv.Alibaba.Requests(), 10) +
		"/" + strconv.FormatInt(srv.IAM.Requests(), 10)
}
