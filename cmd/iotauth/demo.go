package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/alimqtt"
	"github.com/iotauth/iotauth/providers/cloudstudio"
	"github.com/iotauth/iotauth/providers/iotda"
	"github.com/iotauth/iotauth/providers/mxchip"
	"github.com/iotauth/iotauth/providers/oceanconnect"
)

// The demo's sizes.
const (
	demoCallers     = 1000 // concurrent callers in the cold start
	demoAfterRotate = 50   // OceanConnect requests sent after the rotation
	demoSideCalls   = 20   // MXCHIP, Cloud Studio and IoTDA requests in the flow
	demoBadAttempts = 100  // attempts with the bad password
	demoShortTTL    = 3 * time.Second
	demoTTL         = 10 * time.Minute
	demoSkew        = 11 * time.Minute // how far OceanConnect's clock jumps
	demoFlowLimit   = 10 * time.Second
	demoPace        = 5 * time.Millisecond
	demoDevice      = "GID_iotauth@@@demo-device-001"
	demoBadPassword = "not-the-password"
)

func newDemoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Show the cache and transport at work against the in-process emulators",
		Long: `Start the five platform emulators in-process on loopback and show, one
line per step:

  1. a cold start: 1,000 concurrent callers per platform make one login each;
  2. a request flow through the Transport, with the OceanConnect token
     refreshed ahead of its expiry in the middle and no failed request;
  3. an OceanConnect token rejected by the platform, refreshed and the
     request resent, transparently;
  4. a bad Cloud Studio password latched after one attempt (three would lock
     the account behind a captcha);
  5. an Alibaba Cloud MQTT device credential turned into an MQTT login, and
     an IoTDA device login checked by the broker rules.

It ends with a table of the platforms' logins, refreshes, requests (as the
emulators counted them) and failures (as the caches counted them), checks
every figure and exits 1 if one is wrong. No account or network is needed.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(cmd.Context(), cmd.OutOrStdout())
		},
	}
}

// countingTransport counts the requests a platform's clients send, to check
// that the emulator received exactly those.
type countingTransport struct {
	n    atomic.Int64
	base http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

// demo holds the emulators, the per-platform clients and what the steps
// expect of the final table.
type demo struct {
	ctx   context.Context
	out   io.Writer
	srv   *iotauthtest.Server
	clk   *iotauthtest.Clock
	sent  map[string]*countingTransport
	fails map[string]func() int64 // the failures the platform's caches counted
	step  int
	wrong []string
}

func runDemo(ctx context.Context, out io.Writer) error {
	clk := iotauthtest.NewClock()
	srv := iotauthtest.NewServer(iotauthtest.WithClock(clk))
	defer srv.Close()
	d := &demo{ctx: ctx, out: out, srv: srv, clk: clk, sent: map[string]*countingTransport{}, fails: map[string]func() int64{}}
	for _, p := range platformIDs {
		d.sent[p] = &countingTransport{base: srv.Client().Transport}
	}
	fmt.Fprintf(out, "iotauth demo: five platform emulators on %s\n", srv.URL)

	oc, err := oceanconnect.New(oceanconnect.Config{BaseURL: srv.URL, AppID: iotauthtest.OceanConnectAppID,
		Secret: iotauthtest.OceanConnectSecret, HTTPClient: d.client("oceanconnect")})
	if err != nil {
		return failure(err)
	}
	mx, err := mxchip.New(mxchip.Config{BaseURL: srv.URL, ClientID: iotauthtest.MXCHIPClientID,
		ClientSecret: iotauthtest.MXCHIPClientSecret, HTTPClient: d.client("mxchip")})
	if err != nil {
		return failure(err)
	}
	cs, err := d.cloudStudio(iotauthtest.CloudStudioPassword)
	if err != nil {
		return failure(err)
	}
	ali, err := alimqtt.New(alimqtt.Config{RegionID: emulatorRegion, Endpoint: srv.URL,
		AccessKeyID: iotauthtest.AlibabaAccessKeyID, AccessKeySecret: iotauthtest.AlibabaAccessKeySecret,
		InstanceID: iotauthtest.AlibabaInstanceID, HTTPClient: d.client("alimqtt")})
	if err != nil {
		return failure(err)
	}
	hw, err := iotda.New(iotda.Config{Endpoint: srv.URL, IAMEndpoint: srv.URL, DomainName: iotauthtest.IoTDADomainName,
		UserName: iotauthtest.IoTDAUserName, Password: iotauthtest.IoTDAPassword, ProjectName: iotauthtest.IoTDAProjectName,
		HTTPClient: d.client("iotda")})
	if err != nil {
		return failure(err)
	}
	caches := map[string]*iotauth.Cache{
		"iotda":        iotauth.NewCache(hw),
		"oceanconnect": iotauth.NewCache(oc),
		"mxchip":       iotauth.NewCache(mx),
		"cloudstudio":  iotauth.NewCache(cs),
		"alimqtt":      iotauth.NewCache(ali.TokenSource([]string{"iotauth/demo/#"}, alimqtt.ActionReadWrite, time.Hour)),
	}
	for p, c := range caches {
		d.fails[p] = func() int64 { return c.Stats().Failures }
	}

	steps := []func() error{
		func() error { return d.coldStart(caches) },
		func() error { return d.flow(caches, mx) },
		func() error { return d.rejected(caches["oceanconnect"]) },
		func() error { return d.badPassword() },
		func() error { return d.deviceCredential(ali) },
	}
	for _, step := range steps {
		d.step++
		if err := step(); err != nil {
			return failure(fmt.Errorf("demo step %d: %w", d.step, err))
		}
	}
	d.table()
	if len(d.wrong) > 0 {
		return failure(fmt.Errorf("demo: %d figure(s) wrong: %s", len(d.wrong), strings.Join(d.wrong, "; ")))
	}
	fmt.Fprintln(out, "every figure is as expected")
	return nil
}

// client is the HTTP client of a platform's provider, counting its requests.
func (d *demo) client(platform string) *http.Client {
	return &http.Client{Transport: d.sent[platform], Timeout: 10 * time.Second}
}

func (d *demo) cloudStudio(password string) (*cloudstudio.Provider, error) {
	return cloudstudio.New(cloudstudio.Config{BaseURL: d.srv.URL, Email: iotauthtest.CloudStudioEmail,
		Password: iotauth.Secret(password), ClientID: iotauthtest.CloudStudioClientID,
		Description: "iotauth demo", HTTPClient: d.client("cloudstudio")})
}

// progress prints a step's line.
func (d *demo) progress(format string, args ...any) {
	fmt.Fprintf(d.out, "[%d/5] %s\n", d.step, fmt.Sprintf(format, args...))
}

// expect records a wrong figure.
func (d *demo) expect(what string, got, want int64) {
	if got != want {
		d.wrong = append(d.wrong, fmt.Sprintf("%s = %d, want %d", what, got, want))
	}
}

// logins returns the platform's login counter.
func (d *demo) logins(platform string) int64 {
	switch platform {
	case "oceanconnect":
		return d.srv.OceanConnect.Logins()
	case "mxchip":
		return d.srv.MXCHIP.Logins()
	case "cloudstudio":
		return d.srv.CloudStudio.Logins()
	case "iotda":
		return d.srv.IAM.Logins()
	}
	return d.srv.Alibaba.Logins()
}

// coldStart lets demoCallers callers per platform ask an empty cache for a
// token at once: each platform must see exactly one login.
func (d *demo) coldStart(caches map[string]*iotauth.Cache) error {
	// A short first OceanConnect token, so that step 2 sees it refreshed
	// ahead of its expiry; the refreshed one lives demoTTL.
	d.srv.OceanConnect.SetTokenTTL(demoShortTTL)
	defer d.srv.OceanConnect.SetTokenTTL(demoTTL)
	var summary []string
	for _, p := range platformIDs {
		if err := d.stampede(caches[p]); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		d.expect(p+" logins after the cold start", d.logins(p), 1)
		d.expect(p+" cache logins after the cold start", caches[p].Stats().Logins, 1)
		summary = append(summary, fmt.Sprintf("%s %d", p, d.logins(p)))
	}
	d.progress("cold start: %d concurrent callers per platform, logins: %s", demoCallers, strings.Join(summary, ", "))
	return nil
}

// stampede runs demoCallers concurrent Token calls; all must get one token.
func (d *demo) stampede(c *iotauth.Cache) error {
	start := make(chan struct{})
	toks := make([]*iotauth.Token, demoCallers)
	errs := make([]error, demoCallers)
	var wg sync.WaitGroup
	for i := range demoCallers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			toks[i], errs[i] = c.Token(d.ctx)
		}()
	}
	close(start)
	wg.Wait()
	for i := range toks {
		if errs[i] != nil {
			return errs[i]
		}
		if toks[i] != toks[0] {
			return errors.New("callers got different tokens")
		}
	}
	return nil
}

// flow sends OceanConnect requests through the Transport until the token
// was refreshed ahead of its expiry and demoAfterRotate more went through,
// plus MXCHIP and Cloud Studio calls; none may fail.
func (d *demo) flow(caches map[string]*iotauth.Cache, mx *mxchip.Provider) error {
	oc := &http.Client{Transport: iotauth.NewTransport(caches["oceanconnect"], d.sent["oceanconnect"])}
	devices := d.srv.URL + "/iocm/app/dm/v1.4.0/devices"
	sent, failed, rotatedAt := 0, 0, -1
	deadline := time.Now().Add(demoFlowLimit)
	pace := time.NewTicker(demoPace)
	defer pace.Stop()
	for rotatedAt < 0 || sent < rotatedAt+demoAfterRotate {
		if time.Now().After(deadline) {
			return fmt.Errorf("oceanconnect: no refresh ahead of expiry within %s", demoFlowLimit)
		}
		if !d.get(oc, devices) {
			failed++
		}
		sent++
		if rotatedAt < 0 && d.srv.OceanConnect.Refreshes() > 0 {
			rotatedAt = sent
		}
		select {
		case <-pace.C:
		case <-d.ctx.Done():
			return d.ctx.Err()
		}
	}
	mxc := mx.NewClient(caches["mxchip"])
	cs := &http.Client{Transport: iotauth.NewTransport(caches["cloudstudio"], d.sent["cloudstudio"])}
	dashboards := d.srv.URL + "/services/gear/DashboardService.svc/GetDashboards"
	hw := &http.Client{Transport: iotauth.NewTransport(caches["iotda"], d.sent["iotda"])}
	hwDevices := d.srv.URL + "/v5/iot/" + iotauthtest.IoTDAProjectID + "/devices"
	for range demoSideCalls {
		if !d.get(hw, hwDevices) {
			failed++
		}
		if _, err := mxc.ProductIDs(d.ctx); err != nil {
			failed++
		}
		if !d.get(cs, dashboards) {
			failed++
		}
	}
	d.expect("failed requests in the flow", int64(failed), 0)
	d.expect("oceanconnect refreshes ahead of expiry", d.srv.OceanConnect.Refreshes(), 1)
	d.progress("request flow: %d requests to OceanConnect through the Transport, the token refreshed ahead of its expiry mid-flow, and %d each to MXCHIP, Cloud Studio and IoTDA: %d failed",
		sent, demoSideCalls, failed)
	return nil
}

// get sends a GET through c and reports whether it succeeded.
func (d *demo) get(c *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(d.ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// rejected moves OceanConnect's clock past the token's expiry, so the
// platform rejects a token the cache still holds as valid: the Transport
// must refresh it and resend the request.
func (d *demo) rejected(c *iotauth.Cache) error {
	oc := &http.Client{Transport: iotauth.NewTransport(c, d.sent["oceanconnect"])}
	rejected, refreshes, logins := d.srv.OceanConnect.Rejected(), d.srv.OceanConnect.Refreshes(), d.srv.OceanConnect.Logins()
	d.clk.Advance(demoSkew)
	ok := d.get(oc, d.srv.URL+"/iocm/app/dm/v1.4.0/devices")
	if !ok {
		d.wrong = append(d.wrong, "the request after the rejection failed")
	}
	d.expect("oceanconnect rejections", d.srv.OceanConnect.Rejected()-rejected, 1)
	d.expect("oceanconnect refreshes after the rejection", d.srv.OceanConnect.Refreshes()-refreshes, 1)
	d.expect("oceanconnect logins after the rejection", d.srv.OceanConnect.Logins()-logins, 0)
	outcome := "the request succeeded"
	if !ok {
		outcome = "the request FAILED"
	}
	d.progress("token rejected: OceanConnect refused the cached token (its clock is %s ahead); the Transport refreshed it and resent the request: %s",
		demoSkew, outcome)
	return nil
}

// badPassword asks for a Cloud Studio token demoBadAttempts times with a
// wrong password: the cache must call the platform once and latch the
// refusal, so that the account is not locked behind a captcha.
func (d *demo) badPassword() error {
	p, err := d.cloudStudio(demoBadPassword)
	if err != nil {
		return err
	}
	// The refusal is deliberate: keep its warning out of the demo output.
	c := iotauth.NewCache(p, iotauth.WithLogger(slog.New(slog.DiscardHandler)))
	good := d.fails["cloudstudio"]
	d.fails["cloudstudio"] = func() int64 { return good() + c.Stats().Failures }
	calls := d.srv.CloudStudio.CreateCalls()
	refused := 0
	for range demoBadAttempts {
		_, err := c.Token(d.ctx)
		if errors.Is(err, iotauth.ErrInvalidCredentials) {
			refused++
		}
		if err != nil && strings.Contains(fmt.Sprintf("%+v", err), demoBadPassword) {
			d.wrong = append(d.wrong, "an error contained the password")
		}
	}
	made := d.srv.CloudStudio.CreateCalls() - calls
	d.expect("attempts refused as invalid credentials", int64(refused), demoBadAttempts)
	d.expect("cloudstudio calls with the bad password", made, 1)
	if d.srv.CloudStudio.CaptchaLocked() {
		d.wrong = append(d.wrong, "the Cloud Studio account got locked")
	}
	d.progress("bad password: %d attempts, %d call to Cloud Studio, latched as invalid credentials; account not locked: %t",
		demoBadAttempts, made, !d.srv.CloudStudio.CaptchaLocked())
	return nil
}

// deviceCredential registers an Alibaba device credential and turns it into
// an MQTT login the broker accepts.
func (d *demo) deviceCredential(ali *alimqtt.Provider) error {
	cred, err := ali.DeviceCredential(d.ctx, demoDevice)
	if err != nil {
		return err
	}
	l := cred.MQTTLogin()
	accepted := d.srv.Alibaba.AcceptsMQTTLogin(l.ClientID, l.Username, string(l.Password))
	if !accepted {
		d.wrong = append(d.wrong, "the broker refused the MQTT login")
	}
	d.expect("alimqtt device credentials registered", d.srv.Alibaba.Registers(), 1)
	hw, err := iotda.DeviceLogin(iotauthtest.IoTDADeviceID, iotauthtest.IoTDADeviceSecret, d.srv.IoTDA.Now())
	if err != nil {
		return err
	}
	hwAccepted := d.srv.IoTDA.AcceptsMQTTLogin(hw.ClientID, hw.Username, string(hw.Password))
	if !hwAccepted {
		d.wrong = append(d.wrong, "the broker refused the IoTDA device login")
	}
	d.progress("MQTT login: device %s, broker %s, username %s, password %v; accepted by the broker: %t; IoTDA device login accepted: %t",
		l.ClientID, l.BrokerURL(), l.Username, l.Password, accepted, hwAccepted)
	return nil
}

// table prints the figures and checks them: logins and refreshes against
// what the steps must have caused, requests against what the clients sent,
// failures against the one latched bad password.
func (d *demo) table() {
	rows := []struct {
		platform                    string
		logins, refreshes, requests int64
		wantLogins, wantRefreshes   int64
		wantFailures                int64
	}{
		{"oceanconnect", d.srv.OceanConnect.Logins(), d.srv.OceanConnect.Refreshes(), d.srv.OceanConnect.Requests(), 1, 2, 0},
		{"mxchip", d.srv.MXCHIP.Logins(), d.srv.MXCHIP.Refreshes(), d.srv.MXCHIP.Requests(), 1, 0, 0},
		{"cloudstudio", d.srv.CloudStudio.Logins(), d.srv.CloudStudio.Refreshes(), d.srv.CloudStudio.Requests(), 1, 0, 1},
		// alimqtt: the token of step 1 and the device credential of step 5.
		{"alimqtt", d.srv.Alibaba.Logins(), d.srv.Alibaba.Refreshes(), d.srv.Alibaba.Requests(), 2, 0, 0},
		{"iotda", d.srv.IAM.Logins(), d.srv.IAM.Refreshes(), d.srv.IAM.Requests() + d.srv.IoTDA.Requests(), 1, 0, 0},
	}
	fmt.Fprintln(d.out)
	fmt.Fprintf(d.out, "%-13s %7s %10s %9s %9s\n", "platform", "logins", "refreshes", "requests", "failures")
	for _, r := range rows {
		failures := d.fails[r.platform]()
		fmt.Fprintf(d.out, "%-13s %7d %10d %9d %9d\n", r.platform, r.logins, r.refreshes, r.requests, failures)
		d.expect(r.platform+" logins", r.logins, r.wantLogins)
		d.expect(r.platform+" refreshes", r.refreshes, r.wantRefreshes)
		d.expect(r.platform+" requests (as sent by its clients)", r.requests, d.sent[r.platform].n.Load())
		d.expect(r.platform+" failures", failures, r.wantFailures)
	}
	fmt.Fprintln(d.out)
}
