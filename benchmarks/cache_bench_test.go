package benchmarks

import (
	"context"
	"testing"
	"time"

	"github.com/aws/smithy-go/auth/bearer"
	"golang.org/x/oauth2"

	"github.com/iotauth/iotauth"
)

// Each benchmark serves a token that is valid for an hour, so every call
// after the first is a cache hit.

func iotauthCache(b *testing.B) *iotauth.Cache {
	c := iotauth.NewCache(iotauth.TokenSourceFunc(func(context.Context) (*iotauth.Token, error) {
		return &iotauth.Token{AccessToken: "tok", Expiry: time.Now().Add(time.Hour)}, nil
	}))
	if _, err := c.Token(context.Background()); err != nil {
		b.Fatal(err)
	}
	return c
}

type oauth2Source struct{}

func (oauth2Source) Token() (*oauth2.Token, error) {
	return &oauth2.Token{AccessToken: "tok", Expiry: time.Now().Add(time.Hour)}, nil
}

func oauth2Cache(b *testing.B) oauth2.TokenSource {
	ts := oauth2.ReuseTokenSource(nil, oauth2Source{})
	if _, err := ts.Token(); err != nil {
		b.Fatal(err)
	}
	return ts
}

func smithyCache(b *testing.B) *bearer.TokenCache {
	tc := bearer.NewTokenCache(bearer.TokenProviderFunc(func(context.Context) (bearer.Token, error) {
		return bearer.Token{Value: "tok", CanExpire: true, Expires: time.Now().Add(time.Hour)}, nil
	}))
	if _, err := tc.RetrieveBearerToken(context.Background()); err != nil {
		b.Fatal(err)
	}
	return tc
}

func BenchmarkCacheHit(b *testing.B) {
	ctx := context.Background()
	b.Run("impl=iotauth/serial", func(b *testing.B) {
		c := iotauthCache(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Token(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=oauth2/serial", func(b *testing.B) {
		ts := oauth2Cache(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ts.Token(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=smithy/serial", func(b *testing.B) {
		tc := smithyCache(b)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := tc.RetrieveBearerToken(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("impl=iotauth/parallel", func(b *testing.B) {
		c := iotauthCache(b)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Token(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("impl=oauth2/parallel", func(b *testing.B) {
		ts := oauth2Cache(b)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := ts.Token(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("impl=smithy/parallel", func(b *testing.B) {
		tc := smithyCache(b)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := tc.RetrieveBearerToken(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
