package cloudstudio

import (
	"context"
	"errors"

	"github.com/iotauth/iotauth"
)

// Token returns the current token while it has more than 1.2 times its
// refresh window (iotauth.DefaultRefreshWindow) left, from Config.Store when
// set, else from memory; otherwise it rotates: creates a new token, stores
// it, and only then deletes the old one. So a restart or a second process
// reuses the stored token instead of creating one.
func (p *Provider) Token(ctx context.Context) (*iotauth.Token, error) {
	if err := p.begin(ctx); err != nil {
		return nil, err
	}
	defer p.release()
	cur := p.current(ctx)
	if p.reusable(cur) {
		return cur, nil
	}
	return p.rotate(ctx, cur)
}

// Refresh replaces old, which is about to expire or was rejected: it
// returns a newer stored token that another process created, if there is
// one to reuse, and otherwise rotates (create, store, delete old).
func (p *Provider) Refresh(ctx context.Context, old *iotauth.Token) (*iotauth.Token, error) {
	if err := p.begin(ctx); err != nil {
		return nil, err
	}
	defer p.release()
	cur := p.current(ctx)
	if old == nil {
		old = cur
	} else if cur != nil && cur.AccessToken != old.AccessToken && p.reusable(cur) {
		return cur, nil
	}
	return p.rotate(ctx, old)
}

// Revoke deletes the current token on the platform and removes it from
// the Store. A token the platform no longer knows counts as revoked.
func (p *Provider) Revoke(ctx context.Context) error {
	if err := p.acquire(ctx); err != nil {
		return err
	}
	defer p.release()
	cur := p.current(ctx)
	if cur == nil {
		return nil
	}
	if err := p.delete(ctx, cur); err != nil && !errors.Is(err, iotauth.ErrTokenRejected) {
		return err
	}
	p.last = nil
	if p.store != nil {
		if err := p.store.Delete(ctx, p.CacheKey()); err != nil {
			p.logger.WarnContext(ctx, "cloudstudio: removing the revoked token from the store failed", "err", err)
		}
	}
	return nil
}

// rotate creates a token, stores it, then deletes old: there is never a
// moment without a valid token. A failed deletion is logged; the old token
// then lives until its expiry.
func (p *Provider) rotate(ctx context.Context, old *iotauth.Token) (*iotauth.Token, error) {
	tok, err := p.create(ctx)
	if err != nil {
		return nil, err
	}
	p.last = tok
	if p.store != nil {
		if err := p.store.Save(ctx, p.CacheKey(), tok); err != nil {
			p.logger.WarnContext(ctx, "cloudstudio: saving the new token to the store failed", "err", err)
		}
	}
	if old != nil && old.AccessToken != tok.AccessToken {
		if err := p.delete(ctx, old); err != nil && !errors.Is(err, iotauth.ErrTokenRejected) {
			p.logger.WarnContext(ctx, "cloudstudio: deleting the replaced token failed", "token_id", old.ID, "err", err)
		}
	}
	return tok, nil
}

// current returns the newest of the stored token and the one in memory: the
// store has another process's rotation, memory has ours when saving failed.
func (p *Provider) current(ctx context.Context) *iotauth.Token {
	if p.store == nil {
		return p.last
	}
	st, err := p.store.Load(ctx, p.CacheKey())
	if err != nil {
		p.logger.WarnContext(ctx, "cloudstudio: loading the token from the store failed", "err", err)
		return p.last
	}
	switch {
	case st == nil || st.AccessToken == "":
		return p.last
	case p.last == nil || st.IssuedAt.After(p.last.IssuedAt):
		return st
	}
	return p.last
}

// reusable reports whether t has more than 1.2 times its refresh window
// left, so that a Cache does not find it due as soon as it gets it.
func (p *Provider) reusable(t *iotauth.Token) bool {
	if t == nil || t.AccessToken == "" {
		return false
	}
	if t.Expiry.IsZero() {
		return true
	}
	left := t.Expiry.Sub(p.now())
	life := left
	if !t.IssuedAt.IsZero() {
		life = t.Expiry.Sub(t.IssuedAt)
	}
	if life <= 0 {
		return false
	}
	w := iotauth.DefaultRefreshWindow(life)
	return left > w+w/5
}

// begin returns a latched login refusal at once, without waiting, and
// otherwise acquires; the caller releases.
func (p *Provider) begin(ctx context.Context) error {
	if err := p.l.check(p.now()); err != nil {
		return err
	}
	return p.acquire(ctx)
}

// acquire waits for the right to create or delete a token, or for ctx.
func (p *Provider) acquire(ctx context.Context) error {
	select {
	case p.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *Provider) release() { <-p.sem }
