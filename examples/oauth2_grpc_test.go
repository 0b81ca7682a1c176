package examples_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/oauth"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/iotauth/iotauth"
	"github.com/iotauth/iotauth/iotauthtest"
	"github.com/iotauth/iotauth/providers/oceanconnect"
)

// grpcServer serves the gRPC health service over TLS (with the emulator's
// certificate), accepting only calls whose bearer token the OceanConnect
// emulator currently accepts.
func grpcServer(t *testing.T, emu *iotauthtest.Server) string {
	t.Helper()
	check := func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		auth := md.Get("authorization")
		if len(auth) != 1 || !strings.HasPrefix(auth[0], "Bearer ") || !emu.OceanConnect.ValidToken(strings.TrimPrefix(auth[0], "Bearer ")) {
			return nil, status.Error(codes.Unauthenticated, "token not accepted")
		}
		return h(ctx, req)
	}
	s := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{*emu.Certificate()}})),
		grpc.UnaryInterceptor(check))
	healthpb.RegisterHealthServer(s, health.NewServer())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go s.Serve(ln)
	t.Cleanup(s.Stop)
	return ln.Addr().String()
}

// dial connects with per-RPC credentials from an iotauth Cache, through
// iotauth.OAuth2 and gRPC's oauth.TokenSource.
func dial(t *testing.T, emu *iotauthtest.Server, addr string, cache *iotauth.Cache) healthpb.HealthClient {
	t.Helper()
	roots := emu.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{RootCAs: roots})),
		grpc.WithPerRPCCredentials(oauth.TokenSource{TokenSource: iotauth.OAuth2(cache)}))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return healthpb.NewHealthClient(conn)
}

func ocCache(t *testing.T, emu *iotauthtest.Server, secret string) *iotauth.Cache {
	t.Helper()
	p, err := oceanconnect.New(oceanconnect.Config{BaseURL: emu.URL, AppID: iotauthtest.OceanConnectAppID,
		Secret: iotauth.Secret(secret), HTTPClient: emu.Client()})
	require.NoError(t, err)
	c := iotauth.NewCache(p)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestOAuth2_GRPCPerRPCCredentials_ManyCallsOneLogin(t *testing.T) {
	emu := iotauthtest.NewServer(iotauthtest.WithTLS())
	defer emu.Close()
	cache := ocCache(t, emu, iotauthtest.OceanConnectSecret)
	hc := dial(t, emu, grpcServer(t, emu), cache)

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			resp, err := hc.Check(context.Background(), &healthpb.HealthCheckRequest{})
			if assert.NoError(t, err) {
				assert.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus())
			}
		})
	}
	wg.Wait()
	assert.EqualValues(t, 1, emu.OceanConnect.Logins(), "one login for every call")

	// A token the platform stopped accepting is refused by the service; once
	// the cache drops it, the next call carries a new one.
	tok, err := cache.Token(context.Background())
	require.NoError(t, err)
	emu.OceanConnect.Revoke()
	_, err = hc.Check(context.Background(), &healthpb.HealthCheckRequest{})
	assert.Equal(t, codes.Unauthenticated, status.Code(err))
	cache.Invalidate(tok)
	_, err = hc.Check(context.Background(), &healthpb.HealthCheckRequest{})
	assert.NoError(t, err)
}

func TestOAuth2_GRPCPerRPCCredentials_RefusedLoginFailsTheCall(t *testing.T) {
	emu := iotauthtest.NewServer(iotauthtest.WithTLS())
	defer emu.Close()
	const wrong = "not-the-secret"
	cache := ocCache(t, emu, wrong)
	hc := dial(t, emu, grpcServer(t, emu), cache)

	_, err := hc.Check(context.Background(), &healthpb.HealthCheckRequest{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid credentials")
	assert.NotContains(t, err.Error(), wrong)
	assert.EqualValues(t, 1, cache.Stats().Failures)

	_, err = hc.Check(context.Background(), &healthpb.HealthCheckRequest{})
	assert.Contains(t, err.Error(), "invalid credentials", "latched by the cache")
	assert.EqualValues(t, 1, cache.Stats().Logins, "no second login with refused credentials")
}
